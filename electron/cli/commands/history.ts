import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { spendIntervals, totalsGroupings, type HistoryFilter, type ReadWarning, type SpendBucket, type SpendInterval } from '../../../shared/history'
import { providerIds } from '../../../shared/providers'
import { requestStatusSchema } from '../../../shared/records'
import type { CliContext } from '../context'
import type { Runner } from '../types'
import { ExitCode, usageError } from '../exit'
import { dateFlag, intFlag, parseFlags, providerFlag } from '../flags'
import { formatCredits } from '../output'
import { registerLineage } from './lineage'

const filterFlags = z.object({
  model: z.string().trim().min(1).max(200).optional(),
  status: z.enum(requestStatusSchema.options, { error: `use one of ${requestStatusSchema.options.join(', ')}` }).optional(),
  since: dateFlag.optional(),
  until: dateFlag.optional(),
  search: z.string().max(500).optional(),
  batch: z.string().trim().min(1).max(200).optional(),
  provider: providerFlag.optional()
})
type FilterFlags = z.infer<typeof filterFlags>

const listFlags = filterFlags.extend({
  limit: intFlag(1, 500).optional(),
  page: intFlag(1, 1_000_000).optional()
})

const exportFlags = filterFlags.extend({
  format: z.enum(['csv', 'json'], { error: 'use csv or json' }),
  out: z.string().min(1).optional()
})

const totalsFlags = filterFlags.extend({
  by: z.enum(totalsGroupings, { error: `use one of ${totalsGroupings.join(', ')}` }).default('model')
})

const spendFlags = filterFlags.extend({
  by: z.enum(spendIntervals, { error: `use one of ${spendIntervals.join(', ')}` }).optional()
})

const bundleFlags = z.object({ id: z.string().trim().min(1).max(200) })

function addFilterOptions(command: Command): Command {
  return command
    .option('--model <id>', 'only this model (ids or aliases)')
    .option('--status <status>', requestStatusSchema.options.join(' | '))
    .option('--since <date>', 'started on or after this date (2026-03-01, or a full ISO time)')
    .option('--until <date>', 'started on or before this date (a bare date includes that whole day)')
    .option('--search <text>', 'words that must all appear in the prompt, the ids (request, task, record) or the error')
    .option('--batch <id>', 'only requests of this batch')
    .option('--provider <id>', providerIds.join(' | '))
}

export function registerHistory(program: Command, run: Runner): void {
  const history = addFilterOptions(
    program
      .command('history')
      .description('the request history shared with the desktop app: every request id, model, status and credit cost')
  )
    .option('--limit <n>', 'entries per page, newest first (default 50)')
    .option('--page <n>', 'page number (default 1)')
    .option('--json', 'one JSON line per request record, then a summary')
    .action(
      run(async (ctx, raw: Record<string, unknown>) => {
        const opts = parseFlags(listFlags, raw)
        const filter = await toFilter(opts, ctx)
        const page = await (await ctx.history()).query({
          ...filter,
          pageSize: opts.limit ?? 50,
          page: opts.page ?? 1
        })
        for (const item of page.items) ctx.out.event('record', { ...item })
        if (page.items.length > 0) {
          ctx.out.table(
            ['started', 'status', 'model', 'provider', 'credits', 'latency', 'request id', 'batch', 'prompt / error'],
            page.items.map((i) => [
              localTime(i.startedAt),
              i.status,
              i.model,
              i.sandbox ? `${i.provider} (sandbox)` : i.provider,
              `${formatCredits(i.cost.credits)}${i.cost.estimated ? '~' : ''}`,
              `${(i.latencyMs / 1000).toFixed(1)} s`,
              i.requestIds[0] ?? i.taskId ?? '',
              i.batchId ?? '',
              clip(i.error ? `${i.error.code}: ${i.error.message}` : i.prompt, 60)
            ]),
            ['left', 'left', 'left', 'left', 'right', 'right', 'left', 'left', 'left']
          )
        }
        ctx.out.line(
          page.total === 0
            ? 'No requests match.'
            : `\nShowing ${page.items.length} of ${page.total} (page ${page.page} of ${page.pages}). Credits marked ~ are catalog estimates.`
        )
        warn(ctx, page.readWarnings)
        ctx.out.event('summary', { total: page.total, shown: page.items.length, page: page.page, pages: page.pages, readWarnings: page.readWarnings.length })
        return ExitCode.ok
      })
    )

  addFilterOptions(history.command('export').description('export matching requests for a spreadsheet or a support ticket'))
    .requiredOption('--format <format>', 'csv | json')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(
      run(async (ctx, raw: Record<string, unknown>) => {
        const opts = parseFlags(exportFlags, raw)
        const filter = await toFilter(opts, ctx)
        const store = await ctx.history()
        const text = opts.format === 'csv' ? await store.exportCsv(filter) : await store.exportJson(filter)
        if (opts.out === undefined) {
          process.stdout.write(text)
          return ExitCode.ok
        }
        const path = resolve(opts.out)
        try {
          await writeFile(path, text, { encoding: 'utf8', mode: 0o600 })
        } catch (err) {
          throw usageError(`--out: cannot write "${opts.out}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Check the folder exists and is writable.`, 'out', opts.out)
        }
        const count = opts.format === 'csv' ? Math.max(0, text.split('\r\n').length - 2) : (JSON.parse(text) as { count: number }).count
        ctx.out.line(`Exported ${count} requests to ${path}.`)
        ctx.out.event('summary', { path, format: opts.format, count })
        return ExitCode.ok
      })
    )

  addFilterOptions(history.command('totals').description('requests, failures and credits, grouped'))
    .option('--by <grouping>', `${totalsGroupings.join(' | ')} (default model)`)
    .option('--json', 'one JSON line per group, then a summary with the overall totals')
    .action(
      run(async (ctx, raw: Record<string, unknown>) => {
        const opts = parseFlags(totalsFlags, raw)
        const filter = await toFilter(opts, ctx)
        const totals = await (await ctx.history()).totals({ ...filter, by: opts.by })
        for (const row of totals.rows) ctx.out.event('total', { by: totals.by, ...row })
        const asRow = (key: string, r: typeof totals.overall) => [
          key,
          r.count,
          r.succeeded,
          r.failed,
          r.cancelled + r.interrupted,
          formatCredits(r.credits),
          formatCredits(r.estimatedCredits),
          `${(r.latencyMsAverage / 1000).toFixed(1)} s`
        ]
        ctx.out.table(
          [totals.by, 'requests', 'succeeded', 'failed', 'stopped', 'credits', 'estimated', 'avg latency'],
          [...totals.rows.map((r) => asRow(r.key || (totals.by === 'batch' ? '(no batch)' : '(none)'), r)), asRow('total', totals.overall)],
          ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']
        )
        warn(ctx, totals.readWarnings)
        ctx.out.event('summary', { by: totals.by, overall: totals.overall, groups: totals.rows.length, readWarnings: totals.readWarnings.length })
        return ExitCode.ok
      })
    )

  registerSpend(history, run)
  registerLineage(history, run)
}

function registerSpend(history: Command, run: Runner): void {
  addFilterOptions(history.command('spend').description('credits over time by model: what the History chart shows'))
    .option('--by <interval>', `${spendIntervals.join(' | ')} (default: days up to 60 days, weeks up to a year, months beyond)`)
    .option('--json', 'one JSON line per period (quiet ones included), then a summary with the totals per model')
    .action(
      run(async (ctx, raw: Record<string, unknown>) => {
        const opts = parseFlags(spendFlags, raw)
        const filter = await toFilter(opts, ctx)
        const spend = await (await ctx.history()).spend({ ...filter, ...(opts.by ? { by: opts.by } : {}) })
        for (const bucket of spend.buckets) ctx.out.event('spend', { by: spend.by, ...bucket })
        const busy = spend.buckets.filter((b) => b.count > 0)
        if (busy.length) {
          ctx.out.table(
            [spend.by, 'requests', 'credits', 'at risk', 'by model'],
            [
              ...busy.map((b) => [periodLabel(b, spend.by), b.count, formatCredits(b.credits), b.atRisk ? formatCredits(b.atRisk) : '', byModel(b.models)]),
              ['total', spend.overall.count, formatCredits(spend.overall.credits), spend.overall.atRisk ? formatCredits(spend.overall.atRisk) : '', byModel(spend.models)]
            ],
            ['left', 'right', 'right', 'right', 'left']
          )
          if (spend.overall.atRisk) ctx.out.line('\nAt risk: interrupted requests that may have been charged without a result, at their estimate.')
        } else ctx.out.line('No requests match.')
        warn(ctx, spend.readWarnings)
        ctx.out.event('summary', { by: spend.by, periods: spend.buckets.length, overall: spend.overall, models: spend.models, readWarnings: spend.readWarnings.length })
        return ExitCode.ok
      })
    )

  history
    .command('bundle <record-id>')
    .description('one request as text for a message to support: its ids, record, error and output hashes, never a key or the prompt')
    .option('--json', 'one line {"type":"bundle","id":...,"text":...}')
    .action(
      run(async (ctx, id: string, raw: Record<string, unknown>) => {
        const opts = parseFlags(bundleFlags, { ...raw, id })
        const services = await ctx.services()
        const text = await services.supportBundle(opts.id)
        if (ctx.out.json) ctx.out.event('bundle', { id: opts.id, text })
        else process.stdout.write(text)
        return ExitCode.ok
      })
    )
}

function periodLabel(bucket: SpendBucket, by: SpendInterval): string {
  if (by === 'day') return bucket.start
  if (by === 'month') return bucket.start.slice(0, 7)
  return `${bucket.start} – ${bucket.end.slice(5)}`
}

function byModel(models: SpendBucket['models']): string {
  return models
    .filter((m) => m.credits || m.atRisk)
    .map((m) => `${m.model} ${formatCredits(m.credits)}${m.atRisk ? ` (+${formatCredits(m.atRisk)} at risk)` : ''}`)
    .join(', ')
}

async function toFilter(opts: FilterFlags, ctx: CliContext): Promise<HistoryFilter> {
  if (opts.since && opts.until && Date.parse(opts.since) > Date.parse(opts.until)) {
    throw usageError(`--since ${opts.since} is after --until ${opts.until}; swap them.`, 'since')
  }
  // Aliases are resolved so "nano-banana" finds what was recorded under its id; unknown ids are kept
  // as typed, since the history also holds retired and custom models.
  // Only then are the services (with the custom models) needed: without --model the history is read alone.
  const model = opts.model === undefined ? undefined : ((await ctx.services()).catalog.get(opts.model)?.id ?? opts.model)
  return {
    ...(model ? { model } : {}),
    ...(opts.status ? { status: opts.status } : {}),
    ...(opts.since ? { from: opts.since } : {}),
    ...(opts.until ? { to: opts.until } : {}),
    ...(opts.search ? { text: opts.search } : {}),
    ...(opts.batch ? { batchId: opts.batch } : {}),
    ...(opts.provider ? { provider: opts.provider } : {})
  }
}

function warn(ctx: CliContext, warnings: ReadWarning[]): void {
  for (const w of warnings.slice(0, 5)) ctx.out.note(`warning: ${w.file} line ${w.line} was skipped: ${w.reason}`)
  if (warnings.length > 5) ctx.out.note(`warning: ${warnings.length - 5} more history lines were skipped.`)
}

function localTime(iso: string): string {
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
