import { AppError } from '../../../shared/errors'
import type { RequestParams, RequestRecord } from '../../../shared/records'
import type { TemplateLibrary } from '../templates'
import { batchName } from './batch-name'
import { batchSpecSchema, recordInputOf, unstartedItemState, type Batch, type BatchEstimate, type BatchSpec, type ItemSnapshot, type JobItem, type ParsedBatchSpec } from './model'
import type { JobDeps } from './types'

/**
 * From what the user asked for to what the queue runs: a spec becomes files × models items, each with a
 * snapshot fixed at creation (the prompt rendered, the params merged) so a retry re-runs exactly it.
 */

export function parseSpec(spec: BatchSpec): ParsedBatchSpec {
  const parsed = batchSpecSchema.safeParse(spec)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.join('.') || undefined
    throw new AppError({ code: 'validation', field, message: `Invalid batch${field ? ` (${field})` : ''}: ${issue?.message ?? 'bad request'}.` })
  }
  return parsed.data
}

/** The prompt as sent: a template renders here, once, into every snapshot. */
function resolvePrompt(spec: ParsedBatchSpec, templates: TemplateLibrary | undefined): string {
  return withPromptAdditions(basePrompt(spec, templates), spec.promptAdditions)
}

function basePrompt(spec: ParsedBatchSpec, templates: TemplateLibrary | undefined): string {
  if (!spec.templateId) return spec.prompt?.trim() ?? ''
  if (!templates) throw new AppError({ code: 'validation', field: 'templateId', message: 'Templates are not available.' })
  return templates.render(spec.templateId, spec.variables, spec.prompt)
}

/** A brand kit's snippets follow the prompt, a paragraph each, in the kit's order. */
export function withPromptAdditions(prompt: string, additions: readonly string[]): string {
  return [prompt, ...additions].filter((part) => part.trim()).join('\n\n')
}

/** files × models, with the prompt resolved once. */
function expandSpec(spec: ParsedBatchSpec, templates: TemplateLibrary | undefined, groupFor: (inputIndex: number) => string | undefined): ItemSnapshot[] {
  const prompt = resolvePrompt(spec, templates)
  const inputSets = spec.files.length ? spec.files.map((f) => [f, ...spec.references]) : [[...spec.references]]
  const snapshots: ItemSnapshot[] = []
  inputSets.forEach((inputs, index) => {
    const compareGroup = groupFor(index)
    for (const { model, provider, params } of spec.models) {
      for (const variant of spec.variants.length ? spec.variants : [undefined]) {
        snapshots.push({
          kind: spec.kind,
          inputs,
          model,
          provider,
          route: spec.route,
          prompt: variant?.prompt ?? prompt,
          templateId: spec.templateId,
          variables: spec.templateId ? spec.variables : undefined,
          // Merged here, once, so the estimate, the catalog check, the duplicate guard and the request all see the same set.
          params: withOverrides(withOverrides(spec.params, params), variant?.params),
          compareGroup,
          outputDir: spec.outputDir,
          sandbox: spec.sandbox,
          ...(spec.parent ? { parent: spec.parent } : {}),
          ...(spec.mask ? { mask: spec.mask } : {}),
          ...(variant?.finish ? { finish: variant.finish } : {})
        })
      }
    }
  })
  return snapshots
}

export interface NewBatchContext {
  templates: TemplateLibrary | undefined
  deps: Pick<JobDeps, 'estimate' | 'findDuplicate' | 'endpoint'>
  newId(): string
  now: number
}

/**
 * A new batch with its items, duplicates of earlier successes marked (held for a decision, or skipped:
 * `skip` settles such an item). Nothing is queued or written here.
 */
export async function newBatch(parsed: ParsedBatchSpec, ctx: NewBatchContext, skip: (item: JobItem) => void): Promise<Batch> {
  const batchId = ctx.newId()
  const groups = new Map<number, string>()
  const snapshots = expandSpec(parsed, ctx.templates, (inputIndex) => {
    if (!parsed.compare && parsed.models.length < 2) return undefined
    let group = groups.get(inputIndex)
    if (!group) groups.set(inputIndex, (group = ctx.newId()))
    return group
  })
  const createdAt = new Date(ctx.now).toISOString()
  const items: JobItem[] = snapshots.map((snapshot) => ({
    id: ctx.newId(),
    batchId,
    snapshot,
    estimate: ctx.deps.estimate(snapshot),
    ...unstartedItemState(createdAt)
  }))
  if (parsed.duplicates !== 'run') {
    await eachLimited(items, 4, async (item) => {
      // A file that cannot be hashed is not a duplicate; preparing it will say what is wrong with it.
      const dup = await ctx.deps.findDuplicate(item.snapshot).catch(() => null)
      if (!dup) return
      item.duplicateOf = dup
      if (parsed.duplicates === 'ask') item.hold = 'duplicate'
      else skip(item)
    })
  }
  const skipped = skippedItems(parsed, ctx, batchId, createdAt)
  const total = items.length + skipped.length
  return {
    id: batchId,
    name: parsed.name?.trim() || batchName(parsed, { templateName: parsed.templateId ? ctx.templates?.get(parsed.templateId)?.name : undefined, now: ctx.now }),
    kind: parsed.compare ? 'compare' : total === 1 ? 'single' : 'batch',
    createdAt,
    paused: false,
    cancelled: false,
    budgetCredits: parsed.budgetCredits,
    concurrency: parsed.concurrency,
    models: parsed.models.map((m) => m.model),
    templateId: parsed.templateId,
    items: [...items, ...skipped]
  }
}

/**
 * One settled item per unusable file and model: never sent, 0 credits, its reason as the error. Its
 * history record rides in the queue file as a pending record until the history takes it, so a crash
 * right after the batch is saved cannot lose it (recovery writes pending records first).
 */
function skippedItems(parsed: ParsedBatchSpec, ctx: NewBatchContext, batchId: string, createdAt: string): JobItem[] {
  if (!parsed.skipped.length) return []
  const prompt = resolvePrompt(parsed, ctx.templates) || (parsed.variants[0]?.prompt ?? '')
  const items: JobItem[] = []
  for (const { path, assetId, reason } of parsed.skipped) {
    for (const { model, provider, params } of parsed.models) {
      const snapshot: ItemSnapshot = {
        kind: parsed.kind,
        inputs: [assetId ? { path, assetId } : { path }, ...parsed.references],
        model,
        provider,
        route: parsed.route,
        prompt,
        templateId: parsed.templateId,
        variables: parsed.templateId ? parsed.variables : undefined,
        params: withOverrides(parsed.params, params),
        outputDir: parsed.outputDir,
        sandbox: parsed.sandbox
      }
      const id = ctx.newId()
      const record = skipRecord(ctx.newId(), { id, batchId, snapshot, reason, at: createdAt, endpoint: ctx.deps.endpoint(snapshot) })
      items.push({
        id,
        batchId,
        snapshot,
        estimate: 0,
        ...unstartedItemState(createdAt),
        state: 'skipped',
        error: reason,
        recordIds: [record.id],
        pendingRecord: record,
        historyPending: true,
        timings: { createdAt, finishedAt: createdAt, phaseMs: {} }
      })
    }
  }
  return items
}

function skipRecord(
  recordId: string,
  item: { id: string; batchId: string; snapshot: ItemSnapshot; reason: JobItem['error'] & object; at: string; endpoint: string }
): RequestRecord {
  const { snapshot } = item
  return {
    id: recordId,
    kind: snapshot.kind,
    provider: snapshot.provider,
    sandbox: snapshot.sandbox,
    route: snapshot.route,
    endpoint: item.endpoint,
    model: snapshot.model,
    params: snapshot.params,
    prompt: snapshot.prompt,
    inputs: snapshot.inputs.map(recordInputOf),
    requestIds: [],
    attempts: [],
    startedAt: item.at,
    finishedAt: item.at,
    latencyMs: 0,
    status: 'skipped',
    error: item.reason,
    cost: { credits: 0, estimated: false, estimate: 0 },
    outputs: [],
    batchId: item.batchId,
    templateId: snapshot.templateId,
    jobItemId: item.id
  }
}

/** Credits before anything runs, and which items repeat an earlier success. */
export async function estimateSpec(spec: BatchSpec, templates: TemplateLibrary | undefined, deps: Pick<JobDeps, 'estimate' | 'findDuplicate'>): Promise<BatchEstimate> {
  const parsed = parseSpec(spec)
  const snapshots = expandSpec(parsed, templates, () => undefined)
  const perModel = parsed.models.map(({ model, provider }) => {
    const mine = snapshots.filter((s) => s.model === model && s.provider === provider)
    // Variants (pack targets) of one model may cost differently: each item is priced.
    const prices = mine.map((s) => deps.estimate(s))
    const perItem = prices[0] ?? null
    const total = prices.some((p) => p === null) ? null : prices.reduce<number>((sum, p) => sum + (p ?? 0), 0)
    return { model, perItem, items: mine.length, total: mine.length ? total : null }
  })
  const duplicates: BatchEstimate['duplicates'] = []
  await eachLimited(snapshots, 4, async (s) => {
    const dup = await deps.findDuplicate(s).catch(() => null)
    if (dup) duplicates.push({ source: s.inputs[0]?.path ?? '(generated)', model: s.model, ...dup })
  })
  return {
    items: snapshots.length,
    perModel,
    total: perModel.reduce((sum, m) => sum + (m.total ?? 0), 0),
    unpriced: perModel.filter((m) => m.perItem === null).map((m) => m.model),
    duplicates
  }
}

/** Shared params with one model's own on top; an override left unset keeps the shared value. */
function withOverrides(shared: RequestParams, own: Partial<RequestParams> | undefined): RequestParams {
  const set = Object.entries(own ?? {}).filter(([, value]) => value !== undefined)
  return { ...shared, ...(Object.fromEntries(set) as Partial<RequestParams>) }
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
