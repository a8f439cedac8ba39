import { AppError } from '../../../shared/errors'
import type { RequestParams } from '../../../shared/records'
import type { TemplateLibrary } from '../templates'
import { batchSpecSchema, unstartedItemState, type Batch, type BatchEstimate, type BatchSpec, type ItemSnapshot, type JobItem, type ParsedBatchSpec } from './model'
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

/** files × models, with the prompt resolved once (a template renders here, into the snapshot). */
function expandSpec(spec: ParsedBatchSpec, templates: TemplateLibrary | undefined, groupFor: (inputIndex: number) => string | undefined): ItemSnapshot[] {
  let prompt = spec.prompt?.trim() ?? ''
  if (spec.templateId) {
    if (!templates) throw new AppError({ code: 'validation', field: 'templateId', message: 'Templates are not available.' })
    prompt = templates.render(spec.templateId, spec.variables, spec.prompt)
  }
  const inputSets = spec.files.length ? spec.files.map((f) => [f, ...spec.references]) : [[...spec.references]]
  const snapshots: ItemSnapshot[] = []
  inputSets.forEach((inputs, index) => {
    const compareGroup = groupFor(index)
    for (const { model, provider, params } of spec.models) {
      snapshots.push({
        kind: spec.kind,
        inputs,
        model,
        provider,
        route: spec.route,
        prompt,
        templateId: spec.templateId,
        variables: spec.templateId ? spec.variables : undefined,
        // Merged here, once, so the estimate, the catalog check, the duplicate guard and the request all see the same set.
        params: withOverrides(spec.params, params),
        compareGroup,
        outputDir: spec.outputDir,
        sandbox: spec.sandbox,
        ...(spec.parent ? { parent: spec.parent } : {}),
        ...(spec.mask ? { mask: spec.mask } : {})
      })
    }
  })
  return snapshots
}

export interface NewBatchContext {
  templates: TemplateLibrary | undefined
  deps: Pick<JobDeps, 'estimate' | 'findDuplicate'>
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
  return {
    id: batchId,
    name: parsed.name?.trim() || defaultName(parsed, items.length),
    kind: parsed.compare ? 'compare' : items.length === 1 ? 'single' : 'batch',
    createdAt,
    paused: false,
    cancelled: false,
    budgetCredits: parsed.budgetCredits,
    concurrency: parsed.concurrency,
    models: parsed.models.map((m) => m.model),
    templateId: parsed.templateId,
    items
  }
}

/** Credits before anything runs, and which items repeat an earlier success. */
export async function estimateSpec(spec: BatchSpec, templates: TemplateLibrary | undefined, deps: Pick<JobDeps, 'estimate' | 'findDuplicate'>): Promise<BatchEstimate> {
  const parsed = parseSpec(spec)
  const snapshots = expandSpec(parsed, templates, () => undefined)
  const perModel = parsed.models.map(({ model, provider }) => {
    const mine = snapshots.filter((s) => s.model === model && s.provider === provider)
    const perItem = mine[0] ? deps.estimate(mine[0]) : null
    return { model, perItem, items: mine.length, total: perItem === null ? null : perItem * mine.length }
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

function defaultName(spec: ParsedBatchSpec, items: number): string {
  const models = spec.models.map((m) => m.model).join(' vs ')
  if (spec.compare) return `Compare ${models}`
  return `${items} item${items === 1 ? '' : 's'} · ${models}`
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
