import { AppError } from '../../../shared/errors'
import type { Pack, PackInput, PackPlanView, PackRunRequest } from '../../../shared/packs'
import type { Settings } from '../../../shared/settings'
import type { Catalog } from '../catalog'
import type { Dialogs } from '../dialogs'
import type { JobEngine } from '../jobs/engine'
import type { BatchSummary, JobInput, JobItem, SkippedInput } from '../jobs/model'
import type { Library } from '../library/library'
import { chosenOutputFolder } from '../outputs'
import { providerAdapter } from '../providers/registry'
import { planView } from './planner'
import { packBatchSpec, planForRun, type PlannedPack } from './run'
import { openPackStore, type PackStore } from './store'

/**
 * Packs as the window uses them: the store, and a plan or a run from library asset ids with the active
 * provider, sandbox and output folder from the settings (as `jobs.start` does for a batch).
 */

export interface PackService {
  list(): Promise<Pack[]>
  save(input: PackInput, id?: string): Promise<Pack>
  remove(id: string): Promise<void>
  /** Asks for a pack file (native dialog) and imports it; null when the user cancelled. */
  importWithDialog(): Promise<{ imported: Pack[]; renamed: Array<{ from: string; to: string }> } | null>
  /** Asks where to save (native dialog) and exports packs; path null when cancelled. */
  exportWithDialog(ids?: readonly string[]): Promise<{ path: string | null; count: number }>
  plan(request: PackRunRequest): Promise<PackPlanView>
  run(request: PackRunRequest): Promise<BatchSummary & { items: JobItem[] }>
}

interface PackServiceOptions {
  dataDir: string
  catalog: Catalog
  library: Library
  settings(): Settings
  dialogs: Dialogs
  jobs(): Promise<JobEngine>
}

export function createPackService(options: PackServiceOptions): PackService {
  let opened: Promise<PackStore> | undefined
  const store = () => (opened ??= openPackStore({ dataDir: options.dataDir }))

  /** The chosen assets split into what can be sent and what cannot (with the reason). */
  const inputsOf = (assetIds: readonly string[]) => {
    const files: JobInput[] = []
    const skipped: SkippedInput[] = []
    const problems: PackPlanView['problems'] = []
    for (const assetId of assetIds) {
      const asset = options.library.get(assetId)
      if (!asset) problems.push({ assetId, error: { code: 'not_found_file', message: 'This image is no longer in the library.' } })
      else if (!asset.verdict.ok) {
        problems.push({ assetId, error: asset.verdict.error })
        skipped.push({ path: asset.path, assetId, reason: { ...asset.verdict.error, path: asset.path } })
      } else files.push({ path: asset.path, assetId })
    }
    return { files, skipped, problems }
  }

  const planOf = async (request: PackRunRequest, images: number): Promise<PlannedPack> => {
    const pack = await (await store()).find(request.packId)
    return planForRun(options.catalog, {
      pack,
      model: request.model,
      provider: options.settings().provider.active,
      images,
      extraPrompt: request.extraPrompt,
      quality: request.quality
    })
  }

  return {
    list: async () => (await store()).list(),
    save: async (input, id) => (await store()).save(input, id),
    remove: async (id) => (await store()).remove(id),
    async importWithDialog() {
      const [file] = await options.dialogs.openFiles({ filters: [{ name: 'Pixdesk packs (JSON)', extensions: ['json'] }] })
      return file ? (await store()).importFile(file) : null
    },
    async exportWithDialog(ids) {
      const stamp = new Date().toISOString().slice(0, 10)
      const target = await options.dialogs.saveFile({ defaultName: `pixdesk-packs-${stamp}.json`, extensions: ['json'] })
      if (!target) return { path: null, count: 0 }
      return (await store()).exportFile(target, ids)
    },
    async plan(request) {
      const { files, problems } = inputsOf(request.assetIds)
      return { ...planView(await planOf(request, files.length)), problems }
    },
    async run(request) {
      const { files, skipped } = inputsOf(request.assetIds)
      if (!files.length) throw new AppError({ code: 'validation', field: 'assetIds', message: 'None of the chosen images can be sent; choose others in the library.' })
      const plan = await planOf(request, files.length)
      const settings = options.settings()
      const provider = settings.provider.active
      const spec = packBatchSpec(plan, {
        files,
        skipped,
        allowUpscale: request.allowUpscale,
        route: providerAdapter(provider).routeFromSettings?.(settings) ?? 'sync',
        outputDir: request.outputDir ?? chosenOutputFolder(settings.output),
        sandbox: settings.provider.sandbox,
        // Chosen again on purpose: a pack run is a delivery, not a repeat to be guarded against.
        duplicates: 'run'
      })
      const engine = await options.jobs()
      const summary = await engine.createBatch(spec)
      return engine.get(summary.id)
    }
  }
}
