import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { AppErrorData } from '../../shared/errors'
import { isTerminal, jobInputSource, type BatchSpec, type BatchSummary, type ItemState, type JobEvent, type JobItem } from '../core/jobs/model'
import type { JobEngine } from '../core/jobs/engine'
import type { CliContext } from './context'
import { ExitCode, exitCodeFor, type ExitCodeValue } from './exit'
import { formatCredits, type ProgressBar } from './output'
import { printSizeMismatches, sizeMismatchesOf } from './size-mismatches'

export interface RunResult {
  summary: BatchSummary & { items: JobItem[] }
  exitCode: ExitCodeValue
}

/**
 * Runs one batch of the engine in the foreground: streams its events (JSON lines, or a progress bar and
 * a line per failure), and ends when every item has finished, when the budget holds the rest back, or
 * on Ctrl-C. Ctrl-C pauses the batch, cancels what is in flight and waits for those requests to wind
 * down, so the batch is left consistent and `pixdesk batch resume <id>` picks it up.
 */
export async function runBatch(
  ctx: CliContext,
  engine: JobEngine,
  start: { spec: BatchSpec } | { batchId: string },
  label: string,
  options: { maxWaitMs?: number } = {}
): Promise<RunResult> {
  // The engine's own timers never keep a process alive (the app has its window for that): while work is
  // left, this command does, also when all it does is wait for the network to come back.
  const keepAlive = setInterval(() => undefined, 60_000)
  let giveUp: NodeJS.Timeout | undefined
  let gaveUp: (() => void) | undefined
  const buffered: JobEvent[] = []
  let onEvent: (event: JobEvent) => void = (e) => buffered.push(e)
  const unsubscribe = engine.on((e) => onEvent(e))
  try {
    const id = 'spec' in start ? (await engine.createBatch(start.spec)).id : start.batchId
    const first = engine.get(id)
    const sizes = new Map<string, number>()
    // Skipped files are never uploaded: the bar counts what runs.
    for (const item of first.items) if (item.state !== 'skipped') sizes.set(item.id, await itemBytes(item))
    const reported = new Set<string>()
    // Settled when the batch was made: said now, before the progress bar, as failures are when they happen.
    const skippedNow = 'spec' in start ? first.items.filter((i) => i.state === 'skipped') : []
    for (const item of skippedNow) {
      reported.add(item.id)
      ctx.out.note(failureLine(item))
    }
    const bar = ctx.out.progress(label, first.counts.total - first.counts.skipped, [...sizes.values()].reduce((a, b) => a + b, 0))
    let offline = false
    const settledBytes = new Map<string, number>()
    // Kept current from the events themselves: reading the whole batch back on every event is O(items).
    let summary: BatchSummary = first
    const states = new Map<string, ItemState>()

    const show = (event: JobEvent, replay: boolean) => {
      if (!concerns(event, id)) return
      ctx.out.event(event.type, eventFields(event))
      if ((event.type === 'batch.created' || event.type === 'batch.updated') && !replay) {
        summary = event.batch
      } else if (event.type === 'item.updated') {
        const item = event.item
        if (!replay) states.set(item.id, item.state)
        if (item.state !== 'queued' && item.state !== 'preparing' && item.state !== 'uploading' && sizes.has(item.id)) settledBytes.set(item.id, sizes.get(item.id) ?? 0)
        if ((item.state === 'failed' || item.state === 'interrupted') && !reported.has(item.id)) {
          reported.add(item.id)
          ctx.out.note(failureLine(item))
        }
      } else if (event.type === 'budget.reached') {
        ctx.out.note(`pixdesk: ${event.scope === 'daily' ? 'daily' : 'batch'} budget reached: ${formatCredits(event.committed)} of ${formatCredits(event.cap)} credits committed; the next item needs ${formatCredits(event.needed)}. Remaining items wait.`)
      } else if (event.type === 'rate_limited') {
        ctx.out.note(`pixdesk: ${event.provider} asked to slow down; waiting until ${event.until}.`)
      } else if (event.type === 'network' && event.network.online !== !offline) {
        // Said once per outage, not on every probe.
        offline = !event.network.online
        clearTimeout(giveUp)
        if (offline && options.maxWaitMs !== undefined && !replay) giveUp = setTimeout(() => gaveUp?.(), options.maxWaitMs)
        ctx.out.note(
          offline
            ? `pixdesk: the server cannot be reached (${event.network.reason ?? 'network error'}); waiting for it to come back (Ctrl-C to stop; the batch stays resumable).`
            : 'pixdesk: the server answers again; continuing.'
        )
      }
      let bytes = 0
      for (const b of settledBytes.values()) bytes += b
      updateBar(bar, summary, bytes)
    }

    const finished = new Promise<'done' | 'budget' | 'interrupted' | 'unavailable'>((resolve) => {
      gaveUp = () => resolve('unavailable')
      const check = () => {
        if (summary.counts.queued === 0 && summary.counts.active === 0) resolve('done')
        else if (summary.counts.active === 0 && summary.state === 'budget_reached') resolve('budget')
      }
      onEvent = (e) => {
        show(e, false)
        check()
      }
      // Events from before now are printed, but the batch as it is now is read once, not rebuilt from them.
      for (const e of buffered.splice(0)) show(e, true)
      const now = engine.get(id)
      summary = now
      for (const item of now.items) states.set(item.id, item.state)
      check()
      if (ctx.signal.aborted) resolve('interrupted')
      ctx.signal.addEventListener('abort', () => resolve('interrupted'), { once: true })
    })
    const outcome = await finished
    if (outcome === 'interrupted') {
      summary = engine.pause(id)
      const active = [...states].filter(([, state]) => !isTerminal(state) && state !== 'queued').map(([itemId]) => itemId)
      if (active.length) summary = engine.cancel(id, active)
      // Wait for the cancelled requests to come back, so their records and the queue are written.
      await waitUntil(engine, id, summary, (s) => s.counts.active === 0)
    } else if (outcome === 'budget') {
      engine.pause(id)
    } else if (outcome === 'unavailable') {
      summary = engine.pause(id)
      await waitUntil(engine, id, summary, (s) => s.counts.active === 0)
      ctx.out.note(
        `pixdesk: the server stayed unreachable for ${formatWait(options.maxWaitMs ?? 0)}; stopped waiting. Nothing left was sent: resume with "pixdesk batch resume ${id}".`
      )
    }
    ctx.out.endProgress()
    const final = engine.get(id)
    const exitCode =
      outcome === 'interrupted'
        ? ExitCode.interrupted
        : outcome === 'budget'
          ? ExitCode.budget
          : outcome === 'unavailable'
            ? ExitCode.unavailable
            : exitCodeOf(final.items)
    return { summary: final, exitCode }
  } finally {
    clearInterval(keepAlive)
    clearTimeout(giveUp)
    unsubscribe()
  }
}

function formatWait(ms: number): string {
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} h`
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(1)} min`
  return `${+(ms / 1000).toFixed(1)} s`
}

function concerns(event: JobEvent, batchId: string): boolean {
  switch (event.type) {
    case 'batch.created':
    case 'batch.updated':
      return event.batch.id === batchId
    case 'item.updated':
    case 'budget.reached':
    case 'batch.finished':
      return event.batchId === batchId
    default:
      return true
  }
}

/** Events as JSON lines: the fields the event carries, with items trimmed to what a script needs. */
function eventFields(event: JobEvent): Record<string, unknown> {
  const { type: _type, ...rest } = event
  if (event.type === 'item.updated') return { ...rest, item: itemForScripts(event.item) }
  return rest
}

/**
 * An item as the command line's JSON lines give it to scripts: paths and request ids, where the
 * window's view of an item (electron/ipc/viewmodels.ts) has asset URLs.
 */
export function itemForScripts(item: JobItem): Record<string, unknown> {
  return {
    id: item.id,
    state: item.state,
    ...(item.hold ? { hold: item.hold } : {}),
    source: item.snapshot.inputs[0]?.path,
    model: item.snapshot.model,
    provider: item.snapshot.provider,
    requestIds: item.requestIds,
    ...(item.taskId ? { taskId: item.taskId } : {}),
    charged: item.charged,
    estimate: item.estimate,
    latencyMs: item.latencyMs,
    uploadedBytes: item.uploadedBytes,
    uploadTotalBytes: item.uploadTotalBytes,
    outputs: item.outputs,
    ...(item.error ? { error: item.error } : {}),
    ...(item.maskLeak !== undefined ? { maskLeak: item.maskLeak } : {}),
    ...(item.mayHaveCharged ? { mayHaveCharged: true } : {}),
    ...(item.historyPending ? { historyPending: true } : {}),
    ...(item.paidResult && item.state === 'failed'
      ? { paidNotSaved: { kept: item.paidResult.kept?.map((k) => k.path) ?? [], fetchAgain: Boolean(item.paidResult.urls?.length || item.paidResult.taskId) } }
      : {})
  }
}

function updateBar(bar: ProgressBar, s: BatchSummary, bytes: number): void {
  bar.update({ done: s.counts.done, failed: s.counts.failed + s.counts.cancelled + s.counts.interrupted, credits: s.charged, bytes })
}

function failureLine(item: JobItem): string {
  const first = item.snapshot.inputs[0]
  const source = first ? jobInputSource(first) : undefined
  const name = !first ? '(generated)' : source?.kind === 'file' ? basename(source.path) : first.path.slice(0, 60)
  const error: AppErrorData | undefined = item.error
  const id = error?.requestId ?? item.requestIds.at(-1) ?? item.taskId
  const charged = item.mayHaveCharged ? ' It may have been charged.' : ''
  if (item.state === 'skipped') return `  – ${name} · ${item.snapshot.model}: skipped, nothing sent: ${error?.message ?? 'the file cannot be used'}`
  return `  ✗ ${name} · ${item.snapshot.model}: ${error?.message ?? item.state}${charged}${id ? ` (request id ${id})` : ''}`
}

/** 0 when every item succeeded; 3 when a key was refused; otherwise 1 if anything failed. */
function exitCodeOf(items: JobItem[]): ExitCodeValue {
  const bad = items.filter((i) => i.state !== 'done')
  if (bad.length === 0) return ExitCode.ok
  if (bad.some((i) => i.error && exitCodeFor(i.error) === ExitCode.auth)) return ExitCode.auth
  return ExitCode.someFailed
}

/** Resolves once the batch's summary satisfies `done`, judged from the summaries the engine emits. */
function waitUntil(engine: JobEngine, batchId: string, current: BatchSummary, done: (s: BatchSummary) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done(current)) return resolve()
    const off = engine.on((event) => {
      if ((event.type === 'batch.updated' || event.type === 'batch.created') && event.batch.id === batchId && done(event.batch)) {
        off()
        resolve()
      }
    })
  })
}

async function itemBytes(item: JobItem): Promise<number> {
  let total = 0
  for (const input of item.snapshot.inputs) {
    const source = jobInputSource(input)
    if (source.kind !== 'file') continue
    total += await stat(source.path).then((s) => s.size, () => 0)
  }
  return total
}

/** The end of every run: a table per model (done / failed / credits), each failure with its reason and request id, and the files written. */
export function printReport(ctx: CliContext, result: RunResult): void {
  const { summary } = result
  const items = summary.items
  const models = [...new Set(items.map((i) => i.snapshot.model))]
  const skipped = items.filter((i) => i.state === 'skipped')
  const row = (label: string, list: JobItem[]) => [
    label,
    list.length,
    list.filter((i) => i.state === 'done').length,
    list.filter((i) => i.state === 'failed').length,
    ...(skipped.length ? [list.filter((i) => i.state === 'skipped').length] : []),
    list.filter((i) => i.state === 'cancelled' || i.state === 'interrupted').length,
    list.filter((i) => i.state === 'queued' || !isTerminal(i.state)).length,
    formatCredits(list.reduce((sum, i) => sum + (i.charged ?? 0), 0))
  ]
  const failures = items.filter((i) => i.state === 'failed' || i.state === 'interrupted' || (i.state === 'cancelled' && i.error))
  const outputs = items.flatMap((i) => i.outputs.map((o) => o.path))
  const mismatches = sizeMismatchesOf(items)

  ctx.out.line('')
  // The skipped column appears only when a file was skipped, so the usual table keeps its shape.
  ctx.out.table(
    ['model', 'items', 'done', 'failed', ...(skipped.length ? ['skipped'] : []), 'stopped', 'left', 'credits'],
    [...models.map((m) => row(m, items.filter((i) => i.snapshot.model === m))), ...(models.length > 1 ? [row('total', items)] : [])],
    ['left', 'right', 'right', 'right', ...(skipped.length ? (['right'] as const) : []), 'right', 'right', 'right']
  )
  if (failures.length) {
    ctx.out.line('\nNot done:')
    for (const item of failures) ctx.out.line(failureLine(item))
  }
  if (skipped.length) {
    ctx.out.line('\nSkipped (the file cannot be used; nothing sent, no credits):')
    for (const item of skipped) ctx.out.line(failureLine(item))
  }
  const unledgered = items.filter((i) => i.historyPending)
  if (unledgered.length) {
    ctx.out.note(
      `pixdesk: ${unledgered.length} finished request(s) are not yet in the history (it could not be written); they are kept in the queue and written there by the next pixdesk command or the app.`
    )
  }
  if (outputs.length) {
    ctx.out.line(`\nWrote ${outputs.length} image${outputs.length === 1 ? '' : 's'}:`)
    for (const path of outputs.slice(0, 20)) ctx.out.line(`  ${path}`)
    if (outputs.length > 20) ctx.out.line(`  … and ${outputs.length - 20} more (pixdesk history --batch ${summary.id})`)
  }
  printSizeMismatches(ctx, mismatches, outputs.length)
  const left = summary.counts.queued + summary.counts.active + summary.counts.cancelled + summary.counts.interrupted
  if (result.exitCode === ExitCode.interrupted || result.exitCode === ExitCode.budget || left > 0) {
    const how = result.exitCode === ExitCode.budget ? ` --budget <more credits>` : ''
    if (left > 0) ctx.out.line(`\nBatch ${summary.id} is paused with ${left} item${left === 1 ? '' : 's'} left. Continue it with: pixdesk batch resume ${summary.id}${how}`)
  } else {
    const skippedPart = summary.counts.skipped ? `, ${summary.counts.skipped} skipped` : ''
    const mismatchPart = mismatches.length ? `, ${mismatches.length} output${mismatches.length === 1 ? '' : 's'} not the size asked` : ''
    ctx.out.line(`\nBatch ${summary.id}: ${summary.counts.done} done, ${summary.counts.failed} failed${skippedPart}${mismatchPart}, ${formatCredits(summary.charged)} credits.`)
  }
  ctx.out.event('summary', {
    batchId: summary.id,
    kind: summary.kind,
    state: summary.state,
    counts: summary.counts,
    charged: summary.charged,
    estimate: summary.estimate,
    budget: summary.budget,
    failures: failures.map((i) => ({
      itemId: i.id,
      source: i.snapshot.inputs[0]?.path ?? null,
      model: i.snapshot.model,
      state: i.state,
      error: i.error ?? null,
      requestId: i.error?.requestId ?? i.requestIds.at(-1) ?? null,
      mayHaveCharged: i.mayHaveCharged
    })),
    skipped: skipped.map((i) => ({ itemId: i.id, source: i.snapshot.inputs[0]?.path ?? null, model: i.snapshot.model, reason: i.error ?? null })),
    outputs,
    sizeMismatched: mismatches.length,
    sizeMismatches: mismatches,
    exitCode: result.exitCode
  })
}
