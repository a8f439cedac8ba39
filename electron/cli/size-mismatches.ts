import type { JobItem } from '../core/jobs/model'
import type { CliContext } from './context'

/**
 * Results whose delivered size is not what was asked (a model that ignores a size it cannot make), as
 * the request commands report them: per output, with what was done about it, and counted.
 */

export interface OutputSizeMismatch {
  itemId: string
  model: string
  source: string | null
  path: string
  asked: string
  got: string
  delivered: { width: number; height: number }
  /** Resized to the asked size afterwards (the "resize results to the asked size" setting). */
  finished: boolean
  /** A pack output: finished to its target's exact frame whatever the model delivered. */
  packTarget?: { name: string; width: number; height: number }
}

export function sizeMismatchesOf(items: readonly JobItem[]): OutputSizeMismatch[] {
  return items.flatMap((item) =>
    item.outputs.flatMap((output) => {
      const m = output.sizeMismatch
      if (!m) return []
      return [
        {
          itemId: item.id,
          model: item.snapshot.model,
          source: item.snapshot.inputs[0]?.path ?? null,
          path: output.path,
          asked: m.asked,
          got: m.got,
          delivered: m.delivered,
          finished: m.finished,
          ...(output.finish ? { packTarget: { name: output.finish.target, width: output.width, height: output.height } } : {})
        }
      ]
    })
  )
}

/** "asked 2048×2048 (2K, 1:1), got 1024×1024; kept as delivered" */
export function sizeMismatchText(m: Pick<OutputSizeMismatch, 'asked' | 'got' | 'finished' | 'packTarget'>): string {
  const then = m.packTarget
    ? `finished by the pack to its ${m.packTarget.name} target, ${m.packTarget.width}×${m.packTarget.height}`
    : m.finished
      ? 'finished to the asked size'
      : 'kept as delivered'
  return `asked ${m.asked}, got ${m.got}; ${then}`
}

const SHOWN = 50

/** The outputs not at the asked size, one line each, and how many (0 prints nothing). */
export function printSizeMismatches(ctx: CliContext, mismatches: readonly OutputSizeMismatch[], outputs: number): void {
  if (!mismatches.length) return
  ctx.out.line(`\nNot the size asked (${mismatches.length} of ${outputs} output${outputs === 1 ? '' : 's'}):`)
  for (const m of mismatches.slice(0, SHOWN)) ctx.out.line(`  ${m.path} · ${m.model}: ${sizeMismatchText(m)}`)
  if (mismatches.length > SHOWN) ctx.out.line(`  … and ${mismatches.length - SHOWN} more (in the --json summary and the history)`)
  const kept = mismatches.filter((m) => !m.finished && !m.packTarget).length
  if (kept) {
    ctx.out.line(
      `  ${kept === mismatches.length ? 'They were' : `${kept} were`} kept as the model delivered them; with the app's setting "Resize results to the asked size", such results are resized (and the record says so).`
    )
  }
}
