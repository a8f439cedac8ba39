import type { Command } from 'commander'
import { z } from 'zod'
import { AppError } from '../../../shared/errors'
import type { LineageNode } from '../../core/history/lineage'
import type { Runner } from '../types'
import { ExitCode, usageError } from '../exit'
import { parseFlags } from '../flags'
import { formatCredits } from '../output'

const lineageFlags = z.object({ json: z.boolean().optional() })

/** `pixdesk history lineage <request id>`: the chain of edits a result belongs to, from its original down. */
export function registerLineage(history: Command, run: Runner): void {
  history
    .command('lineage')
    .description('the chain of edits a request belongs to: every version from the original down, with its cost')
    .argument('<id>', 'a request id (or record id) anywhere in the chain')
    .option('--json', 'one JSON line per version (with its parent), then a summary')
    .action(
      run(async (ctx, id: string, raw: Record<string, unknown>) => {
        parseFlags(lineageFlags, raw)
        const { lineageOf } = await import('../../core/history/lineage')
        const lineage = await lineageOf(await ctx.history(), id).catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'not_found') throw usageError(`${err.message} Check the id with "pixdesk history --search ${id}".`, 'id', id)
          throw err
        })
        const lines: string[] = []
        const walk = (node: LineageNode, depth: number) => {
          const { item } = node
          const missing = item.outputs.filter((o) => o.fileMissing).length
          ctx.out.event('version', {
            recordId: item.id,
            requestId: item.requestIds.at(-1),
            parent: item.parent,
            depth,
            model: item.model,
            status: item.status,
            credits: item.cost.credits,
            startedAt: item.startedAt,
            prompt: item.prompt,
            outputs: item.outputs.map((o) => ({ path: o.path, fileMissing: o.fileMissing }))
          })
          const from = item.parent ? ` (from output ${item.parent.outputIndex + 1})` : ''
          const files = item.outputs.length === 0 ? 'no output' : missing ? `${missing} of ${item.outputs.length} file${item.outputs.length === 1 ? '' : 's'} missing` : `${item.outputs.length} file${item.outputs.length === 1 ? '' : 's'}`
          const mark = item.id === lineage.focus.id ? '▶ ' : ''
          lines.push(
            `${'  '.repeat(depth)}${depth ? '└ ' : ''}${mark}${item.requestIds.at(-1) ?? item.id}${from} · ${item.model} · ${item.status} · ${formatCredits(item.cost.credits)} credits · ${item.startedAt.slice(0, 16).replace('T', ' ')} · ${files}`,
            `${'  '.repeat(depth + 1)}“${clip(item.prompt, 70)}”`
          )
          for (const child of node.children) walk(child, depth + 1)
        }
        for (const root of lineage.roots) walk(root, 0)
        for (const line of lines) ctx.out.line(line)
        ctx.out.line(`\n${lineage.members.length} version${lineage.members.length === 1 ? '' : 's'}, ${formatCredits(lineage.credits)} credits in this chain.`)
        ctx.out.event('summary', { versions: lineage.members.length, credits: lineage.credits, focus: lineage.focus.id })
        return ExitCode.ok
      })
    )
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
