import type { z } from 'zod'
import type { batchSpecPayload } from '../../shared/contract'
import { AppError } from '../../shared/errors'
import type { BatchSpec, JobInput } from './jobs/model'
import type { Settings } from '../../shared/settings'
import type { Library } from './library'
import { providerAdapter } from './providers/registry'

type BatchSpecRequest = z.output<typeof batchSpecPayload>

/**
 * What the UI asks for (library asset ids, model ids) → what the engine runs (file paths, a route per
 * model), filled in from the settings: the active provider, sandbox or not, the default route and the
 * output folder. Unknown or unusable assets are refused here, before anything is queued.
 */
export function toBatchSpec(request: BatchSpecRequest, settings: Settings, library: Library): BatchSpec {
  const inputsFor = (ids: readonly string[], field: string): JobInput[] =>
    ids.map((assetId, i) => {
      const asset = library.get(assetId)
      if (!asset) {
        throw new AppError({ code: 'validation', field: `${field}.${i}`, message: 'A selected image is no longer in the library; re-import its folder.' })
      }
      if (!asset.verdict.ok) {
        throw new AppError({ ...asset.verdict.error, field: `${field}.${i}`, path: asset.path })
      }
      return { path: asset.path, assetId }
    })

  const provider = settings.provider.active
  const outputDir = request.outputDir ?? (settings.output.folderMode === 'custom' ? (settings.output.customFolder ?? undefined) : undefined)
  return {
    name: request.name,
    kind: request.kind,
    files: inputsFor(request.assetIds, 'assetIds'),
    references: inputsFor(request.referenceAssetIds, 'referenceAssetIds'),
    prompt: request.prompt,
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
