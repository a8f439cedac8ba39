import { z } from 'zod'
import { ACTIVE_STATES, canFetchAgain, isTerminal, type Batch, type JobItem, type SkippedInput } from '../../core/jobs/model'
import type { ProviderId } from '../../../shared/records'
import { queueHolder } from '../../core/jobs/queue-lock'
import { loadQueue } from '../../core/jobs/store'
import { connect } from '../connection'
import type { CliContext } from '../context'
import { ExitCode, usageError } from '../exit'
import { durationFlag, intFlag, parseFlags, splitList } from '../flags'
import { promptFromFlags, templateFlagsSchema } from '../template-flags'
import { itemForScripts, printReport, runBatch } from '../run'
import { formatCredits } from '../output'
import { jobInputOf, outDirOf, preflight, resolveInputs, resolveModels } from '../request'
import { paramsOf, requestFlagsSchema } from '../request-options'
import { referenceFlagsSchema, referenceJobInput, referencesFromFlags } from '../reference-flags'
import { withPromptAdditions } from '../../core/jobs/expand'

// What the batch commands do (registered in batch.ts).

const budgetFlag = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a positive number of credits, e.g. 200')
  .transform(Number)
  .refine((n) => n > 0, 'must be more than 0 credits')

const batchSchema = requestFlagsSchema.extend({
  ...templateFlagsSchema.shape,
  ...referenceFlagsSchema.shape,
  model: z.string({ error: 'is required: one model id, or several separated by commas' }).trim().min(1, 'is empty'),
  concurrency: intFlag(1, 8).optional(),
  budget: budgetFlag.optional(),
  duplicates: z.enum(['skip', 'run'], { error: 'use skip or run' }).default('skip')
})

const resumeSchema = z.object({
  budget: budgetFlag.optional(),
  concurrency: intFlag(1, 8).optional(),
  sandbox: z.boolean().optional(),
  json: z.boolean().optional(),
  resendCharged: z.boolean().optional(),
  saveTo: z.string().trim().min(1).optional(),
  maxWait: durationFlag.optional()
})

export async function startBatch(ctx: CliContext, paths: string[], raw: Record<string, unknown>) {
  const flags = parseFlags(batchSchema, raw)
  const services = await ctx.services()
  const routes = resolveModels(services, splitList(flags.model), flags.provider, '--model')
  if (routes.length > 8) throw usageError('--model: at most 8 models in one batch.', 'model')
  const choice = await promptFromFlags(ctx, flags, routes, paramsOf(flags))

  const skipped: SkippedInput[] = []
  const files = await resolveInputs(paths, {
    folders: true,
    note: (t) => ctx.out.note(t),
    // Each is said when the batch starts and again in the report (runBatch, printReport).
    skip: (input) => skipped.push(input)
  })
  if (files.length === 0) {
    const why = skipped.length ? ` (${skipped.length} skipped: ${skipped[0]!.reason.message}${skipped.length > 1 ? ' …' : ''})` : ''
    throw usageError(`No usable images in the paths given${why}; nothing to do.`, 'paths')
  }
  const params = choice.params
  const route = flags.async ? 'async' : 'sync'
  // Every item of the batch takes the same references, after its own image.
  const refs = await referencesFromFlags(ctx, flags)
  const refInputs = refs.references.map((r) => r.input)
  const prompt = withPromptAdditions(choice.rendered, refs.snippets)
  await preflight(routes, { kind: 'edit', prompt, params, route, itemInputs: files.map((f) => [f, ...refInputs]), roles: [undefined, ...refs.references.map((r) => r.role)] })
  const outputDir = await outDirOf(flags.out)
  const connection = await connect(ctx, services, unique(routes.map((r) => r.provider)), { provider: flags.provider, baseUrl: flags.baseUrl })
  const engine = await ctx.jobs(connection, flags.concurrency)
  const result = await runBatch(
    ctx,
    engine,
    {
      spec: {
        kind: 'edit',
        files: files.map(jobInputOf),
        skipped,
        references: refs.references.map((r) => referenceJobInput(jobInputOf, r)),
        ...choice.spec,
        ...(refs.snippets.length ? { promptAdditions: refs.snippets } : {}),
        models: routes.map((r) => ({ model: r.model.id, provider: r.provider })),
        params,
        route,
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        budgetCredits: flags.budget ?? null,
        duplicates: flags.duplicates,
        ...(outputDir ? { outputDir } : {}),
        sandbox: connection.sandbox
      }
    },
    'batch',
    { maxWaitMs: flags.maxWait }
  )
  printReport(ctx, result)
  return result.exitCode
}

export async function resumeBatch(ctx: CliContext, id: string, raw: Record<string, unknown>) {
  const flags = parseFlags(resumeSchema, raw)
  const services = await ctx.services()
  const saved = findBatch((await loadQueue(services.paths.dataDir)).batches, id)
  const providers = unique(saved.items.map((i) => i.snapshot.provider))
  const connection = await connect(ctx, services, providers, {})
  const ranInSandbox = saved.items.some((i) => i.snapshot.sandbox)
  if (ranInSandbox !== connection.sandbox) {
    throw usageError(
      ranInSandbox
        ? `Batch ${saved.id} ran in the sandbox; resume it with --sandbox (or PIXAPI_BASE_URL pointing at a sandbox) so simulated and real results do not mix.`
        : `Batch ${saved.id} ran against the real API; resume it without the sandbox.`,
      'sandbox'
    )
  }
  const engine = await ctx.jobs(connection, flags.concurrency)
  ctx.adopt(saved.id)
  if (flags.budget !== undefined) engine.setBudget(saved.id, flags.budget)
  engine.resume(saved.id)
  // Items stopped by Ctrl-C or a crash before anything was sent run again. One that may have reached
  // the server (or was charged and then lost) is sent again only on the user's word: a sync request is
  // not idempotent, and sending it again may charge it again. Failures keep their reason (retry them in
  // the app), and duplicates skipped on purpose stay skipped.
  const items = engine.get(saved.id).items
  // Paid results that could not be downloaded or written are fetched or saved again: that costs nothing.
  const unsaved = items.filter((i) => i.state === 'failed' && i.paidResult && canFetchAgain(i.paidResult)).map((i) => i.id)
  const saveTo = await outDirOf(flags.saveTo)
  if (unsaved.length) engine.saveAgain(saved.id, unsaved, saveTo)
  const paid = (i: JobItem) => i.mayHaveCharged || (i.charged ?? 0) > 0
  const cutOff = items.filter((i) => i.state === 'interrupted' || (i.state === 'cancelled' && !i.duplicateOf))
  const again = cutOff.filter((i) => flags.resendCharged || !paid(i)).map((i) => i.id)
  const held = cutOff.filter((i) => !flags.resendCharged && paid(i))
  if (held.length) {
    ctx.out.event('notice', { message: heldMessage(held.length), items: held.map((i) => i.id) })
    ctx.out.note(`pixdesk: ${heldMessage(held.length)}`)
  }
  if (again.length) engine.retry(saved.id, again)
  const result = await runBatch(ctx, engine, { batchId: saved.id }, 'batch', { maxWaitMs: flags.maxWait })
  printReport(ctx, result)
  return result.exitCode
}

/** What resuming will make of an item whose process stopped mid-way (mirrors the engine's recovery). */
/** Where a paid result that is not saved stands, in words for the status table. */
function paidState(item: JobItem): string | undefined {
  const paid = item.paidResult
  if (!paid || item.state !== 'failed') return undefined
  if (paid.kept?.length) return `paid, not saved (kept in the recovery folder; "batch resume" saves it)`
  if (canFetchAgain(paid)) return `paid, not saved (downloaded again by "batch resume", no new charge)`
  return 'paid, not saved'
}

function cutOffState(item: JobItem): string {
  if (item.submission.phase === 'accepted' && item.taskId) return `stopped (task ${item.taskId} is picked up again on resume)`
  // What recovery.ts will do: a paid result that can still be had without paying is saved on resume.
  const links = Boolean(item.savingFrom?.urls?.length)
  const savable = item.pendingRecord ? links || Boolean(item.savingFrom?.kept?.length) || item.taskId !== undefined : item.submission.phase === 'pending' && item.submission.answered === true && links
  if (savable) return 'paid, not saved yet (saved on resume, no new charge)'
  if (item.submission.phase === 'pending' || item.pendingRecord) return 'interrupted (may have been charged; not sent again on resume)'
  return 'interrupted (nothing sent; runs on resume)'
}

function heldMessage(count: number): string {
  const items = count === 1 ? '1 item was' : `${count} items were`
  return `${items} interrupted after it may have reached the server and may have been charged: not sent again. Check the history, then run "pixdesk batch resume <id> --resend-charged" to send ${count === 1 ? 'it' : 'them'} again anyway.`
}

function findBatch(batches: Batch[], id: string): Batch {
  const exact = batches.find((b) => b.id === id)
  if (exact) return exact
  const matches = id.length >= 4 ? batches.filter((b) => b.id.startsWith(id)) : []
  if (matches.length === 1) return matches[0]!
  if (matches.length > 1) throw usageError(`Batch id "${id}" matches ${matches.length} batches; give more of it.`, 'id')
  throw usageError(`There is no batch "${id}" in the queue. Run "pixdesk batch list" for the ids.`, 'id')
}

function overview(b: Batch) {
  const count = (pred: (i: JobItem) => boolean) => b.items.filter(pred).length
  const total = b.items.length
  const done = count((i) => i.state === 'done')
  const failed = count((i) => i.state === 'failed')
  const skipped = count((i) => i.state === 'skipped')
  const left = count((i) => !isTerminal(i.state) || i.state === 'interrupted' || (i.state === 'cancelled' && !i.duplicateOf))
  const state = left === 0 ? 'finished' : b.paused ? 'paused' : b.cancelled ? 'cancelled' : b.items.some((i) => i.hold === 'budget') ? 'budget_reached' : 'queued'
  return {
    id: b.id,
    name: b.name,
    kind: b.kind,
    createdAt: b.createdAt,
    state,
    total,
    done,
    failed,
    skipped,
    left,
    charged: b.items.reduce((sum, i) => sum + (i.charged ?? 0), 0),
    budget: b.budgetCredits,
    models: b.models
  }
}

function unique(list: ProviderId[]): ProviderId[] {
  return [...new Set(list)]
}

export async function listBatches(ctx: CliContext) {
        const services = await ctx.services()
        const { batches } = await loadQueue(services.paths.dataDir)
        for (const b of batches) ctx.out.event('batch', overview(b))
        if (batches.length === 0) ctx.out.line('No batches in the queue.')
        else {
          ctx.out.table(
            ['id', 'created', 'kind', 'state', 'items', 'done', 'failed', 'left', 'credits', 'models'],
            batches.map((b) => {
              const o = overview(b)
              return [b.id, b.createdAt.slice(0, 19).replace('T', ' '), b.kind, o.state, o.total, o.done, o.failed, o.left, formatCredits(o.charged), b.models.join(', ')]
            }),
            ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'left']
          )
        }
        ctx.out.event('summary', { count: batches.length })
        return ExitCode.ok
      }

export async function batchStatus(ctx: CliContext, id: string) {
        const services = await ctx.services()
        const found = findBatch((await loadQueue(services.paths.dataDir)).batches, id)
        // With nobody running the queue, an item saved mid-request was cut off by a crash: say so, rather
        // than "running", since resuming will not simply send it again.
        const orphaned = (await queueHolder(services.paths.dataDir)) === undefined
        const stateOf = (i: JobItem) => {
          if (orphaned && ACTIVE_STATES.includes(i.state)) return cutOffState(i)
          const paid = paidState(i)
          if (paid) return paid
          return i.hold ? `${i.state} (${i.hold})` : i.state
        }
        for (const item of found.items) ctx.out.event('item', { ...itemForScripts(item), ...(orphaned && ACTIVE_STATES.includes(item.state) ? { cutOff: true } : {}) })
        ctx.out.table(
          ['source', 'model', 'state', 'credits', 'request id', 'reason'],
          found.items.map((i) => [
            i.snapshot.inputs[0]?.path ?? '(generated)',
            i.snapshot.model,
            stateOf(i),
            i.charged === null ? '' : formatCredits(i.charged),
            i.error?.requestId ?? i.requestIds.at(-1) ?? i.taskId ?? '',
            i.error?.message ?? ''
          ])
        )
        const o = overview(found)
        ctx.out.line(`\nBatch ${found.id} (${found.name}): ${o.state}, ${o.done} of ${o.total} done, ${o.failed} failed, ${o.skipped ? `${o.skipped} skipped, ` : ''}${o.left} left, ${formatCredits(o.charged)} credits.`)
        ctx.out.event('summary', o)
        return ExitCode.ok
      }
