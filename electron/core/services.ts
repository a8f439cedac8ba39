import { mkdir } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { customModelSchema, type CustomModel } from '../../shared/catalog'
import type { HistoryFilter } from '../../shared/history'
import type { AssetView, RootView } from '../../shared/views'
import type { ProviderId } from '../../shared/records'
import type { Settings, SettingsNotice, SettingsPatch } from '../../shared/settings'
import { readJsonFile, writeJsonAtomic } from './atomic'
import { loadCatalog, type Catalog } from './catalog'
import { noDialogs, type Dialogs } from './dialogs'
import { AppEvents } from './events'
import { openHistory, type History } from './history/history'
import type { JobEngine } from './jobs/engine'
import type { JobLimits } from './jobs/types'
import { openJobEngine } from './jobs/pipeline'
import { createKeychain, type Keychain } from './keychain'
import { assetIdFor, createAssetHandler, Library, type AssetChange } from './library'
import { resolveAppPaths, type AppPaths } from './paths'
import { createSandboxController, type SandboxController } from './sandbox/controller'
import { loadSettings, updateSettings } from './settings'
import { loadTemplates, type TemplateLibrary } from './templates'
import { assetView, batchView, compareGroupOf, itemView, rootViews, type AssetUrls } from './viewmodels'

export interface ServicesOptions {
  paths?: AppPaths
  env?: NodeJS.ProcessEnv
  /** Prefix the renderer uses to load images through the asset handler. */
  assetBaseUrl?: string
  version?: string
  dialogs?: Dialogs
  keychain?: Keychain
  /** Watch imported folders for changes (the app does; one-shot CLI commands need not). */
  watchFolders?: boolean
  /** How this process runs the shared job queue; the app's defaults run every batch. */
  jobs?: JobsServiceOptions
}

/** Per-process choices for the jobs engine; none of them is saved in the settings. */
export interface JobsServiceOptions {
  /** Batches this process starts items of (a command runs only the batches it created or resumed). */
  runOnly?: (batchId: string) => boolean
  /** Base URL per provider for this process only, before the settings and the sandbox switch. */
  baseUrl?: (provider: ProviderId) => string | undefined
  /** Key per provider for this process only, before the keychain. */
  apiKey?: (provider: ProviderId) => string | undefined
  /** Outputs with no source file and no chosen folder; default: the user's Pictures/Pixdesk. */
  fallbackOutputDir?: string
  /** Adjusts the limits from the settings for this process (a command's --concurrency). */
  limits?: (fromSettings: JobLimits) => JobLimits
  /** What this process is, named to another one refused the queue. */
  owner?: string
}

/** The settings as the running app sees them: loaded once, saved on every change, announced to the UI. */
export interface LiveSettings {
  get(): Settings
  /** Set when the file on disk could not be used as it was (shown once to the user). */
  notice(): SettingsNotice | undefined
  update(patch: SettingsPatch): Promise<Settings>
}

/** Model ids the user added, kept beside the settings so the bundled catalog can be replaced freely. */
export interface CustomModels {
  list(): CustomModel[]
  add(model: CustomModel): Promise<void>
  remove(id: string): Promise<boolean>
}

/** The one object the desktop app, the CLI and the tests share: every service, wired once. */
export interface Services {
  paths: AppPaths
  env: NodeJS.ProcessEnv
  version: string
  assetBaseUrl: string
  events: AppEvents
  dialogs: Dialogs
  settings: LiveSettings
  keychain: Keychain
  catalog: Catalog
  customModels: CustomModels
  history: History
  library: Library
  templates: TemplateLibrary
  sandbox: SandboxController
  /**
   * The jobs engine, opened on first use: it owns the queue file (one process per data folder), so a
   * CLI command that only reads history never competes with the app for it.
   */
  jobs(): Promise<JobEngine>
  /** Imported folders and files, as the renderer shows them. */
  libraryRoots(): RootView[]
  /** Writes a support export of the history matching `filter` to `target`; returns how many requests it holds. */
  exportHistory(format: 'csv' | 'json', filter: HistoryFilter, target: string): Promise<{ path: string; count: number }>
  assetUrls: AssetUrls
  /** Serves thumbnails, originals and outputs to the renderer (custom scheme in the app, http in tests). */
  handleAsset?: (request: Request) => Promise<Response>
  dispose(): Promise<void>
}

async function createLiveSettings(dataDir: string, events: AppEvents): Promise<LiveSettings> {
  const loaded = await loadSettings(dataDir)
  let current = loaded.settings
  return {
    get: () => current,
    notice: () => loaded.notice,
    async update(patch) {
      current = await updateSettings(dataDir, patch)
      events.emit('settings.changed', current)
      return current
    }
  }
}

async function createCustomModels(dataDir: string, catalog: Catalog): Promise<CustomModels> {
  const file = join(dataDir, 'custom-models.json')
  const read = await readJsonFile(file)
  const stored = read.kind === 'ok' && Array.isArray(read.value) ? read.value : []
  let models: CustomModel[] = []
  for (const entry of stored) {
    const parsed = customModelSchema.safeParse(entry)
    // A custom id that no longer validates (or is now bundled) is dropped rather than blocking start-up.
    if (!parsed.success) continue
    try {
      catalog.addCustomModel(parsed.data)
      models.push(parsed.data)
    } catch {
      continue
    }
  }
  const save = () => writeJsonAtomic(file, models)
  return {
    list: () => [...models],
    async add(model) {
      catalog.addCustomModel(model)
      models = [...models.filter((m) => m.id.toLowerCase() !== model.id.toLowerCase()), model]
      await save()
    },
    async remove(id) {
      const removed = catalog.removeCustomModel(id)
      models = models.filter((m) => m.id.toLowerCase() !== id.trim().toLowerCase())
      await save()
      return removed
    }
  }
}

export async function createServices(options: ServicesOptions = {}): Promise<Services> {
  const env = options.env ?? process.env
  const paths = options.paths ?? resolveAppPaths(env)
  await mkdir(paths.dataDir, { recursive: true })
  await mkdir(paths.cacheDir, { recursive: true })
  const events = new AppEvents()
  const settings = await createLiveSettings(paths.dataDir, events)
  const keychain = options.keychain ?? createKeychain({ env })
  const catalog = loadCatalog()
  const customModels = await createCustomModels(paths.dataDir, catalog)
  const history = openHistory(paths.dataDir)
  const templates = loadTemplates()
  const sandbox = createSandboxController(catalog)
  // The sandbox runs whenever the user has chosen it, so queued sandbox work can always proceed.
  if (settings.get().provider.sandbox) await sandbox.ensure()
  events.onAny((event, payload) => {
    if (event === 'settings.changed' && (payload as Settings).provider.sandbox) void sandbox.ensure()
  })
  const assetBaseUrl = options.assetBaseUrl ?? 'pixdesk-asset://local/'
  const current = settings.get()
  const library = await Library.open({
    dataDir: paths.dataDir,
    cacheDir: paths.cacheDir,
    thumbnailCacheBytes: current.cache.thumbnailCacheBytes,
    outputFolders: () => {
      const output = settings.get().output
      return output.folderMode === 'custom' && output.customFolder ? [output.customFolder] : []
    },
    watch: options.watchFolders ?? true
  })
  const assetUrls: AssetUrls = {
    output: (recordId, index) => `${assetBaseUrl}output/${encodeURIComponent(recordId)}/${index}`,
    input: (path) => {
      const asset = library.get(assetIdFor(path))
      return asset?.verdict.ok ? assetUrls.original(asset) : null
    },
    // The content hash in the URL makes a changed file load fresh instead of from the page's cache.
    thumbnail: (asset, size = 256) => `${assetBaseUrl}thumb/${asset.id}?size=${size}&v=${asset.sha256.slice(0, 12)}`,
    original: (asset) => `${assetBaseUrl}original/${asset.id}?v=${asset.sha256.slice(0, 12)}`
  }
  const handleAsset = createAssetHandler({
    library,
    baseUrl: assetBaseUrl,
    resolveOutput: async (recordId, index) => (await history.get(recordId))?.outputs[index]?.path
  })
  let jobs: Promise<JobEngine> | undefined
  const openJobs = async (): Promise<JobEngine> => {
    if (settings.get().provider.sandbox) await sandbox.ensure()
    const jobOptions = options.jobs ?? {}
    const { engine, notice } = await openJobEngine({
      dataDir: paths.dataDir,
      catalog,
      history,
      getKey: (provider) => keychain.getKey(provider),
      settings: () => settings.get(),
      sandboxUrl: () => sandbox.url(),
      templates,
      baseUrl: jobOptions.baseUrl,
      apiKey: jobOptions.apiKey,
      fallbackOutputDir: jobOptions.fallbackOutputDir ?? join(homedir(), 'Pictures', 'Pixdesk'),
      runOnly: jobOptions.runOnly,
      limits: jobOptions.limits,
      owner: jobOptions.owner ?? 'the Pixdesk app'
    })
    if (notice) events.emit('app.notice', { level: 'warning', message: notice })
    forwardJobEvents(engine, events, assetUrls, library)
    return engine
  }
  const libraryRoots = () => rootViews(library.importedRoots(), library.importedFiles(), library.list(), options.watchFolders ?? true)
  forwardLibraryEvents(library, events, assetUrls, libraryRoots)

  return {
    paths,
    env,
    version: options.version ?? '0.0.0',
    assetBaseUrl,
    events,
    dialogs: options.dialogs ?? noDialogs,
    settings,
    keychain,
    catalog,
    customModels,
    history,
    library,
    libraryRoots,
    templates,
    sandbox,
    jobs() {
      jobs ??= openJobs()
      // A failed open (another process holds the queue) is reported, and the next call tries again.
      jobs.catch(() => (jobs = undefined))
      return jobs
    },
    assetUrls,
    handleAsset,
    async exportHistory(format, filter, target) {
      const text = format === 'csv' ? await history.exportCsv(filter) : await history.exportJson(filter)
      await writeFileAtomic(target, text)
      const page = await history.query({ ...filter, page: 1, pageSize: 1 })
      return { path: target, count: page.total }
    },
    async dispose() {
      const engine = await jobs?.catch(() => undefined)
      await engine?.close(2000)
      await sandbox.stop()
      await library.close()
      await history.close()
    }
  }
}

/**
 * Library changes reach the renderer in batches: an import of thousands of files becomes a few dozen
 * messages a second, not thousands, and the grid fills in smoothly.
 */
function forwardLibraryEvents(library: Library, events: AppEvents, urls: AssetUrls, roots: () => RootView[]): void {
  const upserted = new Map<string, AssetView>()
  const removed = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    timer = undefined
    if (upserted.size === 0 && removed.size === 0) return
    events.emit('library.changed', { upserted: [...upserted.values()], removed: [...removed], roots: roots() })
    upserted.clear()
    removed.clear()
  }
  library.on('asset', (change: AssetChange) => {
    if (change.type === 'removed') {
      upserted.delete(change.assetId)
      removed.add(change.assetId)
    } else {
      removed.delete(change.asset.id)
      upserted.set(change.asset.id, assetView(change.asset, urls))
    }
    timer ??= setTimeout(flush, 80)
  })
  library.on('progress', (p) => {
    events.emit('library.progress', { rootId: p.importId, scanned: p.found, inspected: p.done, done: p.finished })
    if (p.finished) flush()
  })
}

/** Engine events as the renderer's contract events, with asset URLs instead of paths. */
function forwardJobEvents(engine: JobEngine, events: AppEvents, urls: AssetUrls, library: Library): void {
  engine.on((event) => {
    switch (event.type) {
      case 'batch.created':
      case 'batch.updated':
        events.emit('jobs.batch', batchView(event.batch, compareGroupOf(engine, event.batch)))
        break
      case 'batch.finished': {
        const summary = engine.get(event.batchId)
        events.emit('jobs.batch', batchView(summary, compareGroupOf(engine, summary)))
        break
      }
      case 'item.updated':
        events.emit('jobs.item', itemView(event.item, urls, library))
        break
      case 'network':
        events.emit('jobs.network', event.network)
        break
      case 'rate_limited':
        events.emit('app.notice', {
          level: 'info',
          message: `${event.provider} asked us to slow down; its queue resumes at ${new Date(event.until).toLocaleTimeString()}.`
        })
        break
      case 'budget.reached':
        events.emit('app.notice', {
          level: 'warning',
          message: `Budget reached (${event.scope} cap ${event.cap} credits, ${event.committed} committed): the next item needs ${event.needed}. Raise the cap to continue.`
        })
        break
    }
  })
}
