import type { z } from 'zod'
import type { batchSpecPayload } from '../../shared/contract'
import { requestIssues } from '../../shared/catalog'
import { AppError, type AppErrorData } from '../../shared/errors'
import type { BatchEstimate, BatchSpec, JobInput, SkippedInput } from './jobs/model'
import type { Settings } from '../../shared/settings'
import type { JobEngine } from './jobs/engine'
import type { Library } from './library/library'
import { chosenOutputFolder } from './outputs'
import { providerAdapter } from './providers/registry'
import { kitReferences, type Kit } from './kits/store'
import type { Catalog } from './catalog'

/** A batch as a person asks for it: library asset ids, model ids, a prompt or template. */
export type BatchSpecRequest = z.output<typeof batchSpecPayload>

/**
 * What the UI asks for (library asset ids, model ids) → what the engine runs (file paths, a route per
 * model), filled in from the settings: the active provider, sandbox or not, the default route and the
 * output folder. Unknown assets and unusable references are refused here, before anything is queued;
 * an unusable image among the batch's own files is carried as skipped, with its reason, and the rest run.
 */
export function toBatchSpec(request: BatchSpecRequest, settings: Settings, library: Library, kit?: Kit): BatchSpec {
  const assetAt = (ids: readonly string[], i: number, field: string) => {
    const asset = library.get(ids[i] ?? '')
    if (!asset) {
      throw new AppError({ code: 'validation', field: `${field}.${i}`, message: 'A selected image is no longer in the library; re-import its folder.' })
    }
    return asset
  }
  const picked: JobInput[] = request.referenceAssetIds.map((assetId, i) => {
    const asset = assetAt(request.referenceAssetIds, i, 'referenceAssetIds')
    if (!asset.verdict.ok) throw new AppError({ ...asset.verdict.error, field: `referenceAssetIds.${i}`, path: asset.path })
    const role = request.referenceRoles[i]
    return role ? { path: asset.path, assetId, role } : { path: asset.path, assetId }
  })
  // A kit's references come first, as on the command line (--kit before --ref).
  const references = [...(kit ? kitReferences(kit) : []), ...picked]
  const files: JobInput[] = []
  const skipped: SkippedInput[] = []
  request.assetIds.forEach((assetId, i) => {
    const asset = assetAt(request.assetIds, i, 'assetIds')
    if (asset.verdict.ok) files.push({ path: asset.path, assetId })
    else skipped.push({ path: asset.path, assetId, reason: { ...asset.verdict.error, path: asset.path } })
  })

  const provider = settings.provider.active
  const outputDir = request.outputDir ?? chosenOutputFolder(settings.output)
  return {
    name: request.name,
    kind: request.kind,
    files,
    skipped,
    references,
    prompt: request.prompt,
    ...(kit?.manifest.snippets.length ? { promptAdditions: kit.manifest.snippets } : {}),
    templateId: request.templateId,
    variables: request.variables,
    models: request.models.map((model) => {
      const own = request.paramsByModel[model]
      return own ? { model, provider, params: own } : { model, provider }
    }),
    params: request.params,
    route: request.route ?? providerAdapter(provider).routeFromSettings?.(settings) ?? 'sync',
    compare: request.compare,
    concurrency: request.concurrency,
    budgetCredits: request.budgetCredits ?? null,
    duplicates: request.duplicates,
    outputDir,
    sandbox: settings.provider.sandbox
  }
}

/**
 * Every model of the batch must take the image edited plus all its references; more is refused before
 * anything is queued, naming the model and its limit (the same words as the pre-flight check).
 */
export function assertReferencesFit(spec: BatchSpec, catalog: Catalog): void {
  const references = spec.references?.length ?? 0
  if (!references || spec.kind === 'generate') return
  for (const { model: id, provider } of spec.models) {
    const model = catalog.resolve(id, provider)
    const issue = requestIssues(model, {
      kind: 'edit',
      provider,
      route: spec.route ?? 'sync',
      prompt: 'x',
      params: { n: 1 },
      inputs: Array.from({ length: references + 1 }, (_, i) => ({ source: 'file' as const, label: `image ${i + 1}` }))
    }).find((i) => i.field === 'inputs')
    if (issue) throw new AppError({ ...issue, field: 'referenceAssetIds' })
  }
}

/** An estimate in the requester's terms: duplicates by asset id, and the images that cannot be sent. */
export interface RequestEstimate extends Omit<BatchEstimate, 'duplicates'> {
  duplicates: Array<{ assetId: string; model: string; recordId: string; at: string }>
  problems: Array<{ assetId: string; error: AppErrorData }>
}

/**
 * Prices a request before anything is queued. Unusable images are listed with their reason and the
 * estimate covers the rest, so the form can say what will happen.
 */
export async function estimateRequest(
  request: BatchSpecRequest,
  settings: Settings,
  library: Library,
  openEngine: () => Promise<JobEngine>
): Promise<RequestEstimate> {
  const problems: RequestEstimate['problems'] = []
  const usable = request.assetIds.filter((assetId) => {
    const asset = library.get(assetId)
    if (!asset) problems.push({ assetId, error: { code: 'not_found_file', message: 'This image is no longer in the library.' } })
    else if (!asset.verdict.ok) problems.push({ assetId, error: asset.verdict.error })
    return asset?.verdict.ok === true
  })
  if (request.kind === 'edit' && usable.length === 0) {
    return { items: 0, perModel: [], total: 0, unpriced: [], duplicates: [], problems }
  }
  const spec = toBatchSpec({ ...request, assetIds: usable }, settings, library)
  // Opened only once there is something to price: the queue may be held by another process.
  const estimate = await (await openEngine()).estimate(spec)
  const byPath = new Map(spec.files?.map((f) => [f.path, f.assetId ?? '']) ?? [])
  return {
    items: estimate.items,
    perModel: estimate.perModel,
    total: estimate.total,
    unpriced: estimate.unpriced,
    duplicates: estimate.duplicates.map((d) => ({ assetId: byPath.get(d.source) ?? '', model: d.model, recordId: d.recordId, at: d.at })),
    problems
  }
}
