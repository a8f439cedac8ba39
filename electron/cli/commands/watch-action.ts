import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { z } from 'zod'
import { requestIssues } from '../../../shared/catalog'
import type { RequestParams } from '../../../shared/records'
import { DEFAULT_WATCH_PATTERNS, type WatchFileEvent, type WatchRule, type WatchRuleView } from '../../../shared/watch'
import type { JobEvent } from '../../core/jobs/model'
import type { Pack } from '../../../shared/packs'
import { packRuleSpec } from '../../core/watch/pack-rule'
import { RuleRunner } from '../../core/watch/rule-runner'
import { ruleRequest } from '../../core/watch/service'
import { connect } from '../connection'
import type { CliContext } from '../context'
import { ExitCode, usageError, type ExitCodeValue } from '../exit'
import { durationFlag, intFlag, parseFlags, splitList } from '../flags'
import { formatCredits } from '../output'
import { sizeMismatchesOf, sizeMismatchText } from '../size-mismatches'
import { outDirOf, resolveModels, type ModelRoute } from '../request'
import { requestFlagsSchema } from '../request-options'
import { promptFromFlags, templateFlagsSchema } from '../template-flags'
import { packFlagConflicts, packOfFlag, planPackRuleForCli } from './watch-pack'

// What `pixdesk watch` does (registered in watch.ts).

const watchSchema = requestFlagsSchema.omit({ maxWait: true }).extend({
  ...templateFlagsSchema.shape,
  model: z.string({ error: 'is required: one model id, or several separated by commas' }).trim().min(1, 'is empty'),
  dailyBudget: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number of credits, e.g. 200')
    .transform(Number)
    .optional(),
  recursive: z.boolean().optional(),
  pattern: z.array(z.string().trim().min(1, 'is empty')).default([]),
  includeExisting: z.boolean().optional(),
  settle: durationFlag.optional(),
  aspectRatio: z.string().trim().min(1).max(16).optional(),
  n: intFlag(1, 10).optional(),
  pack: z.string().trim().min(1, 'is empty: a pack id or name (see pixdesk packs list)').optional(),
  allowUpscale: z.boolean().optional(),
  json: z.boolean().optional()
})
type WatchFlags = z.infer<typeof watchSchema>

export async function watchFolder(ctx: CliContext, folderArg: string, raw: Record<string, unknown>): Promise<ExitCodeValue> {
  const flags = parseFlags(watchSchema, raw)
  if (flags.dailyBudget === 0) {
    throw usageError('--daily-budget 0: a rule with a budget of 0 credits sends nothing. Give a budget above 0, or leave it out for no daily cap.', 'dailyBudget')
  }
  const folder = resolve(folderArg)
  const st = await stat(folder).catch(() => null)
  if (!st) throw usageError(`The folder "${folderArg}" does not exist. Check the path; nothing was sent.`, 'folder', folderArg)
  if (!st.isDirectory()) throw usageError(`"${folderArg}" is a file; give the folder to watch.`, 'folder', folderArg)

  const services = await ctx.services()
  const routes = resolveModels(services, splitList(flags.model), flags.provider, '--model')
  if (routes.length > 8) throw usageError('--model: at most 8 models per rule.', 'model')
  const route = flags.async ? 'async' : 'sync'
  const outputDir = await outDirOf(flags.out)
  let rule: WatchRule
  let pack: Pack | undefined
  if (flags.pack !== undefined || flags.allowUpscale) {
    packFlagConflicts(flags, routes.length)
    pack = await packOfFlag(ctx, flags.pack!)
    rule = ruleOf(folder, flags, routes, { packId: pack.id, params: { n: 1, ...(flags.quality ? { quality: flags.quality } : {}) } }, outputDir)
    const plan = await planPackRuleForCli(ctx, rule, pack, routes[0]!)
    for (const target of plan.targets) checkRequest(routes, target.prompt, { n: 1, ...target.params }, route)
  } else {
    const params: RequestParams = {
      n: flags.n ?? 1,
      ...(flags.size ? { size: flags.size } : {}),
      ...(flags.quality ? { quality: flags.quality } : {}),
      ...(flags.aspectRatio ? { aspectRatio: flags.aspectRatio } : {})
    }
    const choice = await promptFromFlags(ctx, flags, routes, params)
    checkRequest(routes, choice.rendered, choice.params, route)
    rule = ruleOf(folder, flags, routes, { ...choice.spec, params: choice.params }, outputDir)
  }

  const connection = await connect(ctx, services, [...new Set(routes.map((r) => r.provider))], { provider: flags.provider, baseUrl: flags.baseUrl })
  // Takes the queue like any request command: refused (exit 75, nothing sent) while the app or another command runs it.
  const engine = await ctx.jobs(connection)
  const ours = new Set<string>()
  const totals = { queued: 0, done: 0, failed: 0, credits: 0 }
  const offEngine = engine.on((event) => reportItem(ctx, event, ours, totals))
  let lastState = ''
  const runner = new RuleRunner(rule, {
    dataDir: services.paths.dataDir,
    engine: async () => engine,
    specFor: (r, files, name) =>
      pack
        ? packRuleSpec(r, files, name, async () => pack, { catalog: services.catalog, provider: routes[0]!.provider, route, outputDir, sandbox: connection.sandbox })
        : {
            ...ruleRequest(r, files, name),
            models: routes.map((m) => ({ model: m.model.id, provider: m.provider })),
            route,
            ...(outputDir ? { outputDir } : {}),
            sandbox: connection.sandbox
          },
    defaultOutputDir: () => outputDir,
    onChange: (view) => {
      if (view.state === lastState) return
      lastState = view.state
      reportState(ctx, view)
    },
    onFile: (event) => {
      if (event.outcome === 'queued' && event.batchId) {
        ours.add(event.batchId)
        totals.queued++
      }
      reportFile(ctx, event)
    },
    timing: flags.settle ? { stabilityMs: flags.settle } : {}
  })
  const keepAlive = setInterval(() => undefined, 60_000)
  try {
    ctx.out.note(`pixdesk: watching ${folder}${rule.recursive ? ' and its subfolders' : ''} for ${rule.patterns.join(', ')} → ${pack ? `pack ${pack.id} with ` : ''}${routes.map((r) => r.model.id).join(', ')}${rule.dailyBudget !== null ? `, at most ${formatCredits(rule.dailyBudget)} credits a day` : ''}. Ctrl-C stops.`)
    await runner.start()
    if (!ctx.signal.aborted) await new Promise<void>((done) => ctx.signal.addEventListener('abort', () => done(), { once: true }))
    await runner.stop()
    await windDown(ctx, engine, ours)
  } finally {
    clearInterval(keepAlive)
    offEngine()
  }
  ctx.out.line(`Stopped watching ${folder}: ${totals.queued} sent, ${totals.done} done, ${totals.failed} failed, ${formatCredits(totals.credits)} credits.`)
  ctx.out.event('summary', { folder, ruleId: rule.id, ...totals })
  return ExitCode.ok
}

/** The prompt and parameters checked against each model before anything is watched, as the other request commands do. */
function checkRequest(routes: readonly ModelRoute[], prompt: string, params: RequestParams, route: 'sync' | 'async'): void {
  for (const { model, provider } of routes) {
    const issues = requestIssues(model, { kind: 'edit', provider, route, prompt, params, inputs: [{ source: 'file', label: 'each new image' }] })
    const first = issues.find((i) => !i.field?.startsWith('inputs'))
    if (first) {
      const flag = first.field === 'aspectRatio' ? '--aspect-ratio: ' : first.field === 'route' ? '--async: ' : first.field ? `--${first.field}: ` : ''
      throw usageError(`${flag}${first.message} Nothing was sent.`, first.field)
    }
  }
}

/** What the rule does with each file: an edit (prompt or template) or a pack, with the parameters. */
type RuleAction = ({ prompt?: string } | { templateId: string; variables: Record<string, string>; prompt?: string } | { packId: string }) & { params: RequestParams }

/**
 * The rule a command line stands for. Its id comes from what it does, so running the same command again
 * picks up the same ledger: files sent by an earlier run are not sent again.
 */
function ruleOf(folder: string, flags: WatchFlags, routes: readonly ModelRoute[], action: RuleAction, outputDir: string | undefined): WatchRule {
  const patterns = flags.pattern.length ? flags.pattern : [...DEFAULT_WATCH_PATTERNS]
  const packId = 'packId' in action ? action.packId : undefined
  const what = {
    folder,
    recursive: flags.recursive === true,
    patterns,
    prompt: 'prompt' in action ? action.prompt : undefined,
    templateId: 'templateId' in action ? action.templateId : undefined,
    variables: 'variables' in action ? action.variables : {},
    models: routes.map((r) => r.model.id),
    params: action.params,
    outputDir,
    // Only in a pack rule's id, so the ids of the rules people already run stay as they were.
    ...(packId ? { packId, allowUpscale: flags.allowUpscale === true } : {})
  }
  const id = `cli-${createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16)}`
  const at = new Date().toISOString()
  return {
    id,
    name: basename(folder),
    folder,
    recursive: what.recursive,
    patterns,
    ...(what.prompt ? { prompt: what.prompt } : {}),
    ...(what.templateId ? { templateId: what.templateId } : {}),
    variables: what.variables,
    ...(packId ? { packId, allowUpscale: flags.allowUpscale === true } : {}),
    models: what.models,
    params: what.params,
    ...(outputDir ? { outputDir } : {}),
    dailyBudget: flags.dailyBudget ?? null,
    includeExisting: flags.includeExisting === true,
    paused: false,
    createdAt: at,
    updatedAt: at
  }
}

function reportFile(ctx: CliContext, event: WatchFileEvent): void {
  ctx.out.event('watch.file', { ...event })
  const name = event.path
  if (event.outcome === 'queued') ctx.out.line(`sent    ${name} (batch ${event.batchId})`)
  else if (event.outcome === 'skipped_duplicate') ctx.out.line(`skipped ${name}: ${event.message ?? 'already processed'}`)
  else if (event.outcome === 'held_budget') ctx.out.note(`pixdesk: not sent: ${name}: ${event.message ?? 'daily budget reached'}`)
  else ctx.out.note(`pixdesk: ${event.outcome === 'unusable' ? 'not an image the models take' : 'failed'}: ${name}: ${event.message ?? ''}`)
}

function reportState(ctx: CliContext, view: WatchRuleView): void {
  ctx.out.event('watch.state', { state: view.state, ...(view.message ? { message: view.message } : {}) })
  if (view.state === 'watching') ctx.out.note('pixdesk: watching; new images are sent once they stop changing.')
  else if (view.message) ctx.out.note(`pixdesk: ${view.message}`)
}

function reportItem(ctx: CliContext, event: JobEvent, ours: ReadonlySet<string>, totals: { done: number; failed: number; credits: number }): void {
  if (event.type !== 'item.updated' || !ours.has(event.batchId)) return
  const item = event.item
  const source = item.snapshot.inputs[0]?.path ?? ''
  if (item.state === 'done') {
    totals.done++
    totals.credits += item.charged ?? 0
    ctx.out.line(`done    ${source} → ${item.outputs.map((o) => o.path).join(', ')}`)
    for (const output of item.outputs) {
      const [mismatch] = sizeMismatchesOf([{ ...item, outputs: [output] }])
      if (mismatch) ctx.out.note(`pixdesk: ${output.path}: not the size asked: ${sizeMismatchText(mismatch)}`)
      for (const miss of output.finish?.checks.filter((c) => !c.passed) ?? []) ctx.out.note(`pixdesk: ${output.path}: ${output.finish!.target} does not meet its rule: ${miss.message}`)
    }
  } else if (item.state === 'failed' || item.state === 'interrupted') {
    totals.failed++
    ctx.out.note(`pixdesk: ✗ ${source} · ${item.snapshot.model}: ${item.error?.message ?? item.state}`)
  } else return
  ctx.out.event('watch.item', {
    batchId: event.batchId,
    itemId: item.id,
    state: item.state,
    source,
    model: item.snapshot.model,
    outputs: item.outputs.map((o) => o.path),
    ...(item.snapshot.finish ? { target: item.snapshot.finish.target, checks: item.outputs.map((o) => o.finish?.checks ?? []) } : {}),
    sizeMismatches: sizeMismatchesOf([item]),
    charged: item.charged
  })
}

/**
 * After Ctrl-C: requests already sent are waited for (they are paid for), and what is still queued is
 * paused, so the batch stays in the queue for `pixdesk batch resume` or the app.
 */
async function windDown(ctx: CliContext, engine: Awaited<ReturnType<CliContext['jobs']>>, ours: ReadonlySet<string>): Promise<void> {
  const open = [...ours].filter((id) => {
    const s = engine.get(id)
    return s.counts.queued + s.counts.active > 0
  })
  for (const id of open) engine.pause(id)
  const busy = () => open.some((id) => engine.get(id).counts.active > 0)
  if (busy()) ctx.out.note('pixdesk: waiting for the requests already sent to come back…')
  // Bounded: what is still out after this is cut off by the engine's close, and recovered by the next run.
  const deadline = Date.now() + 120_000
  while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  const left = open.filter((id) => engine.get(id).counts.queued > 0)
  if (left.length) ctx.out.note(`pixdesk: ${left.length} batch(es) paused with files not yet sent; continue with: ${left.map((id) => `pixdesk batch resume ${id}`).join('; ')}`)
}
