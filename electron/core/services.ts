import { mkdir } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { customModelSchema, type CustomModel } from '../../shared/catalog'
import { AppError, toAppErrorData } from '../../shared/errors'
import type { DeleteEntryResult, HistoryFilter } from '../../shared/history'
import type { BatchSummary, JobItem } from './jobs/model'
import type { ProviderId } from '../../shared/records'
import type { Settings, SettingsNotice, SettingsPatch } from '../../shared/settings'
import type { TemplateImportView } from '../../shared/templates'
import { readJsonFile, writeJsonAtomic } from './atomic'
import { loadCatalog, type Catalog } from './catalog'
import { noDialogs, type Dialogs } from './dialogs'
import { AppEvents } from './events'
import { openHistory, type History } from './history/history'
import { configuredKeys, formatSupportBundle } from './history/support-bundle'
import type { JobEngine } from './jobs/engine'
import type { JobLimits } from './jobs/types'
import { openJobEngine } from './jobs/pipeline'
import { confirmMovedKeys, openKeyOrigins, type KeyOrigins } from './key-origins'
import { createKeychain, type Keychain } from './keychain'
import { testKey } from './providers/execute'
import type { BoundKey } from './providers/key-origin'
import { assertReferencesFit, estimateRequest, toBatchSpec, type BatchSpecRequest, type RequestEstimate } from './jobspec'
import { findKit, kitView, listKits } from './kits/store'
import { createKitService, type KitService } from './kits/service'
import type { KitView } from '../../shared/kits'
import { continueSpec, type ContinueFromRequest } from './continue-edit'
import { drawnMaskRef } from './masks/store'
import { Library } from './library/library'
import type { LibraryAsset } from './library/types'
import { checkAssets, findAssets, importedPathFor, type AssetCheck, type AssetQuery } from './library/queries'
import { uploadLimitsFor } from './limits'
import { chosenOutputFolder, DEFAULT_OUTPUT_FOLDER } from './outputs'
import { resolveAppPaths, type AppPaths } from './paths'
import { createSandboxController, type SandboxController } from './sandbox/controller'
import { loadSettings, updateSettings } from './settings'
import { openTemplateStore, usageFromHistory, type TemplateService } from './template-store'
import { createPackService, type PackService } from './packs/service'
import { readBundledTemplates, type TemplateLibrary } from './templates'
import { WatchService } from './watch/service'

export interface ServicesOptions {
  paths?: AppPaths
  env?: NodeJS.ProcessEnv
  version?: string
  dialogs?: Dialogs
  keychain?: Keychain
  /** Watch imported folders for changes (the app does; one-shot CLI commands need not). */
  watchFolders?: boolean
  /** How this process runs the shared job queue; the app's defaults run every batch. */
  jobs?: JobsServiceOptions
  /** Run the stored watch rules while the services live (default: as watchFolders; the app does). */
  runWatchRules?: boolean
}

/** Per-process choices for the jobs engine; none of them is saved in the settings. */
interface JobsServiceOptions {
  /** Batches this process starts items of (a command runs only the batches it created or resumed). */
  runOnly?: (batchId: string) => boolean
  /** Base URL per provider for this process only, before the settings and the sandbox switch. */
  baseUrl?: (provider: ProviderId) => string | undefined
  /** Key per provider for this process only (with the origin it may go to), before the keychain. */
  apiKey?: (provider: ProviderId) => BoundKey | undefined
  /** Outputs with no source file and no chosen folder; default: the user's Pictures/Pixdesk. */
  fallbackOutputDir?: string
  /** Adjusts the limits from the settings for this process (a command's --concurrency). */
  limits?: (fromSettings: JobLimits) => JobLimits
  /** What this process is, named to another one refused the queue. */
  owner?: string
}

/** The settings as the running app sees them: loaded once, saved on every change, announced to the UI. */
interface LiveSettings {
  get(): Settings
  /** Set when the file on disk could not be used as it was (shown once to the user). */
  notice(): SettingsNotice | undefined
  update(patch: SettingsPatch): Promise<Settings>
}

/** Model ids the user added, kept beside the settings so the bundled catalog can be replaced freely. */
interface CustomModels {
  list(): CustomModel[]
  add(model: CustomModel): Promise<void>
  remove(id: string): Promise<boolean>
}

/** The one object the desktop app, the CLI and the tests share: every service, wired once. */
export interface Services {
  paths: AppPaths
  env: NodeJS.ProcessEnv
  version: string
  events: AppEvents
  dialogs: Dialogs
  settings: LiveSettings
  keychain: Keychain
  /** Where each stored key may be sent. */
  keyOrigins: KeyOrigins
  catalog: Catalog
  customModels: CustomModels
  history: History
  library: Library
  /** The built-in templates and the user's own (templates.json in the data folder). */
  templates: TemplateService
  /** Channel packs: the built-in ones and the user's own (packs.json), planned and run through the jobs engine. */
  packs: PackService
  sandbox: SandboxController
  /** Watch rules: folders whose new images are sent through the queue as they arrive. */
  watch: WatchService
  /**
   * The jobs engine, opened on first use: it owns the queue file (one process per data folder), so a
   * CLI command that only reads history never competes with the app for it.
   */
  jobs(): Promise<JobEngine>
  /** Calls `listener` with the jobs engine once it is open (at once if it already is). */
  onJobsOpened(listener: (engine: JobEngine) => void): () => void
  /**
   * Imports files and folders, resolving as soon as the new folders are registered: the assets follow
   * as library events, so a folder of thousands never makes the caller wait. A failure later on is
   * announced as a notice.
   */
  startImport(paths: readonly string[]): Promise<void>
  /** Asks for folders or files (native dialog) and starts importing them; false when the user cancelled. */
  pickAndImport(kind: 'folders' | 'files'): Promise<boolean>
  /** Forgets an imported folder or lone file, by id. */
  removeImport(rootId: string): Promise<void>
  findAssets(query: AssetQuery): LibraryAsset[]
  /** Whether each asset can be sent to `model` on `provider` (default: the active provider). */
  checkAssets(assetIds: readonly string[], model: string, provider?: ProviderId): AssetCheck[]
  estimate(request: BatchSpecRequest): Promise<RequestEstimate>
  startBatch(request: BatchSpecRequest): Promise<BatchSummary & { items: JobItem[] }>
  /** The brand kits in the data folder, for pickers (a kit folder that cannot be read is left out). */
  kits(): Promise<KitView[]>
  /** Brand kits as the window edits them: made from library images, imported and exported through the dialogs. */
  brandKits: KitService
  /** One edit of an earlier version's output (found from its record), as the next version of its chain. */
  continueFrom(request: ContinueFromRequest): Promise<BatchSummary & { items: JobItem[] }>
  /** Saves a key in the keychain, bound to the provider's base URL in force now. */
  saveKey(provider: ProviderId, key: string): Promise<void>
  /**
   * A settings change from the window, which may be driven by untrusted page code: a provider's base URL
   * moved to another origin keeps the stored key bound to the old one unless the user confirms the new
   * host in a native dialog.
   */
  updateSettingsFromWindow(patch: SettingsPatch): Promise<Settings>
  /** Asks the provider whether the stored key works, without running a request. */
  testKey(provider: ProviderId): Promise<KeyTestResult>
  /** Asks for a folder (native dialog) and makes it the output folder; null when the user cancelled. */
  pickOutputFolder(): Promise<Settings | null>
  /** Asks for a folder (native dialog) to save paid results again into; null when the user cancelled. */
  pickSaveAgainFolder(): Promise<string | null>
  /** Asks where to save (native dialog) and writes an export of the matching history; path null when cancelled. */
  exportHistory(format: 'csv' | 'json', filter: HistoryFilter): Promise<{ path: string | null; count: number }>
  /**
   * Deletes a history entry; with `deleteFiles` also its outputs, but only those still inside an output
   * folder (the chosen one, the fallback, or the `pixdesk` folder beside the record's own inputs) and
   * with the recorded hash. What is left is listed with the reason.
   */
  deleteHistoryEntry(id: string, deleteFiles: boolean): Promise<DeleteEntryResult>
  /** Shows an output of a history record in the system's file manager. */
  revealOutput(recordId: string, index: number): Promise<void>
  /** One request as text for support (ids, record, error, output hashes), without a key or the prompt. */
  supportBundle(recordId: string): Promise<string>
  /** Asks for a template file (native dialog) and imports it; null when the user cancelled. */
  importTemplates(): Promise<TemplateImportView | null>
  /** Asks where to save (native dialog) and exports templates (default: the user's own); path null when cancelled. */
  exportTemplates(ids?: readonly string[]): Promise<{ path: string | null; count: number }>
  dispose(): Promise<void>
}

interface KeyTestResult {
  provider: ProviderId
  ok: boolean
  /** Whether the provider could say (Pixapi cannot without running a request). */
  checked: boolean
  message: string
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

/** Outputs with no source file and no chosen folder go here. */
function fallbackOutputDirOf(jobOptions: JobsServiceOptions): string {
  return jobOptions.fallbackOutputDir ?? join(homedir(), 'Pictures', 'Pixdesk')
}

interface JobEngineParts {
  dataDir: string
  catalog: Catalog
  history: History
  keyOrigins: KeyOrigins
  settings: LiveSettings
  sandbox: SandboxController
  templates: TemplateLibrary
  events: AppEvents
  jobOptions: JobsServiceOptions
}

async function openServicesJobEngine({ dataDir, catalog, history, keyOrigins, settings, sandbox, templates, events, jobOptions }: JobEngineParts): Promise<JobEngine> {
  if (settings.get().provider.sandbox) await sandbox.ensure()
  const { engine, notice } = await openJobEngine({
    dataDir,
    catalog,
    history,
    getKey: (provider) => keyOrigins.boundKey(provider),
    settings: () => settings.get(),
    sandboxUrl: () => sandbox.url(),
    templates,
    baseUrl: jobOptions.baseUrl,
    apiKey: jobOptions.apiKey,
    fallbackOutputDir: fallbackOutputDirOf(jobOptions),
    runOnly: jobOptions.runOnly,
    limits: jobOptions.limits,
    owner: jobOptions.owner ?? 'the Pixdesk app'
  })
  if (notice) events.emit('app.notice', { level: 'warning', message: notice })
  return engine
}

/**
 * The jobs engine, opened on first use and shared by every caller. A failed open (another process holds
 * the queue) is reported, and the next call tries again.
 */
function sharedJobEngine(open: () => Promise<JobEngine>) {
  let jobs: Promise<JobEngine> | undefined
  let opened: JobEngine | undefined
  const openedListeners = new Set<(engine: JobEngine) => void>()
  return {
    open(): Promise<JobEngine> {
      jobs ??= open().then((engine) => {
        opened = engine
        for (const listener of [...openedListeners]) listener(engine)
        return engine
      })
      jobs.catch(() => (jobs = undefined))
      return jobs
    },
    onOpened(listener: (engine: JobEngine) => void): () => void {
      openedListeners.add(listener)
      if (opened) listener(opened)
      return () => openedListeners.delete(listener)
    },
    /** The open in progress or done, if one was asked for. */
    opening: (): Promise<JobEngine> | undefined => jobs
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
  const keyOrigins = await openKeyOrigins(paths.dataDir, env, keychain)
  const catalog = loadCatalog()
  const customModels = await createCustomModels(paths.dataDir, catalog)
  const history = openHistory(paths.dataDir)
  const templates = await openTemplateStore({ dataDir: paths.dataDir, builtIns: readBundledTemplates(), usageOf: usageFromHistory(history) })
  const sandbox = createSandboxController(catalog)
  // The sandbox runs whenever the user has chosen it, so queued sandbox work can always proceed.
  if (settings.get().provider.sandbox) await sandbox.ensure()
  events.on('settings.changed', (changed) => {
    if (changed.provider.sandbox) void sandbox.ensure()
  })
  const dialogs = options.dialogs ?? noDialogs
  const current = settings.get()
  const library = await Library.open({
    dataDir: paths.dataDir,
    cacheDir: paths.cacheDir,
    thumbnailCacheBytes: current.cache.thumbnailCacheBytes,
    outputFolders: () => {
      const chosen = chosenOutputFolder(settings.get().output)
      return chosen ? [chosen] : []
    },
    watch: options.watchFolders ?? true
  })
  const jobEngine = sharedJobEngine(() =>
    openServicesJobEngine({ dataDir: paths.dataDir, catalog, history, keyOrigins, settings, sandbox, templates, events, jobOptions: options.jobs ?? {} })
  )
  const watch = new WatchService({ dataDir: paths.dataDir, engine: jobEngine.open, settings: () => settings.get(), catalog })
  if (options.runWatchRules ?? options.watchFolders ?? true) {
    watch.start().catch((err: unknown) => events.emit('app.notice', { level: 'error', message: `Watch rules could not start: ${toAppErrorData(err).message}` }))
  }
  const startImport = async (paths: readonly string[]) => {
    const done = library.importPaths(paths)
    done.catch((err: unknown) => events.emit('app.notice', { level: 'error', message: toAppErrorData(err).message }))
    await Promise.race([done.catch(() => undefined), library.whenRegistered(paths)])
  }

  return {
    paths,
    env,
    version: options.version ?? '0.0.0',
    events,
    dialogs,
    settings,
    keychain,
    keyOrigins,
    catalog,
    customModels,
    history,
    library,
    templates,
    packs: createPackService({ dataDir: paths.dataDir, catalog, library, settings: () => settings.get(), dialogs, jobs: jobEngine.open }),
    sandbox,
    watch,
    jobs: jobEngine.open,
    onJobsOpened: jobEngine.onOpened,
    startImport,
    async pickAndImport(kind) {
      const paths = kind === 'folders' ? await dialogs.openDirectories() : await dialogs.openFiles({ images: true })
      if (paths.length) await startImport(paths)
      return paths.length > 0
    },
    async removeImport(rootId) {
      const path = importedPathFor(library, rootId)
      if (!path) throw new AppError({ code: 'validation', field: 'rootId', message: 'That folder is no longer in the library.' })
      await library.removeRoot(path)
    },
    findAssets: (query) => findAssets(library, query),
    checkAssets(assetIds, model, provider) {
      const route = provider ?? settings.get().provider.active
      return checkAssets(library, assetIds, uploadLimitsFor(catalog.resolve(model, route), route))
    },
    estimate: (request) => estimateRequest(request, settings.get(), library, jobEngine.open),
    async kits() {
      return (await listKits(paths.dataDir)).kits.map(kitView)
    },
    brandKits: createKitService({ dataDir: paths.dataDir, library, dialogs }),
    async startBatch(request) {
      const kit = request.kitId ? await findKit(paths.dataDir, request.kitId) : undefined
      const planned = toBatchSpec(request, settings.get(), library, kit)
      const spec = request.mask ? { ...planned, mask: await drawnMaskRef(paths.dataDir, request.mask.pngBase64, planned.files) } : planned
      assertReferencesFit(spec, catalog)
      const engine = await jobEngine.open()
      const summary = await engine.createBatch(spec)
      return engine.get(summary.id)
    },
    async continueFrom(request) {
      const planned = await continueSpec(request, history, settings.get())
      const spec = request.mask ? { ...planned, mask: await drawnMaskRef(paths.dataDir, request.mask.pngBase64, planned.files) } : planned
      const engine = await jobEngine.open()
      const summary = await engine.createBatch(spec)
      return engine.get(summary.id)
    },
    ...keyUseCases({ keychain, keyOrigins, settings, dialogs }),
    ...folderPickers(dialogs, settings),
    ...historyUseCases({ history, library, dialogs, catalog, keychain, version: options.version ?? '0.0.0', fallbackOutputDir: fallbackOutputDirOf(options.jobs ?? {}) }),
    ...templateFiles(templates, dialogs),
    async dispose() {
      await watch.close()
      const engine = await jobEngine.opening()?.catch(() => undefined)
      await engine?.close(2000)
      await sandbox.stop()
      await library.close()
      await history.close()
    }
  }
}

/** Keys: saved with the address they may be sent to, moved only with the user's consent, tested against the provider. */
function keyUseCases({ keychain, keyOrigins, settings, dialogs }: { keychain: Keychain; keyOrigins: KeyOrigins; settings: LiveSettings; dialogs: Dialogs }): Pick<Services, 'saveKey' | 'updateSettingsFromWindow' | 'testKey'> {
  return {
    async saveKey(provider, key) {
      await keychain.setKey(provider, key)
      await keyOrigins.bind(provider, settings.get().provider.baseUrls[provider])
    },
    async updateSettingsFromWindow(patch) {
      const before = settings.get()
      const after = await settings.update(patch)
      await confirmMovedKeys(before, after, { keychain, keyOrigins, dialogs })
      return after
    },
    async testKey(provider) {
      const key = await keyOrigins.boundKey(provider)
      if (!key) return { provider, ok: false, checked: false, message: `No ${provider} key is set.` }
      const check = await testKey(provider, key.value, settings.get().provider.baseUrls[provider], { keyOrigin: key.origin })
      return { provider, ok: check.status === 'valid', checked: check.status === 'valid' || check.status === 'invalid', message: check.message }
    }
  }
}

function folderPickers(dialogs: Dialogs, settings: LiveSettings): Pick<Services, 'pickOutputFolder' | 'pickSaveAgainFolder'> {
  return {
    async pickOutputFolder() {
      const [folder] = await dialogs.openDirectories()
      return folder ? settings.update({ output: { folderMode: 'custom', customFolder: folder } }) : null
    },
    async pickSaveAgainFolder() {
      const [folder] = await dialogs.openDirectories()
      return folder ?? null
    }
  }
}

interface HistoryUseCaseDeps {
  history: History
  library: Library
  dialogs: Dialogs
  catalog: Catalog
  keychain: Keychain
  version: string
  fallbackOutputDir: string
}

/** What the user does with the history beyond reading it: export, delete, reveal a file, copy a support bundle. */
function historyUseCases({ history, library, dialogs, catalog, keychain, version, fallbackOutputDir }: HistoryUseCaseDeps): Pick<Services, 'exportHistory' | 'deleteHistoryEntry' | 'revealOutput' | 'supportBundle'> {
  return {
    async exportHistory(format, filter) {
      const stamp = new Date().toISOString().slice(0, 10)
      const target = await dialogs.saveFile({ defaultName: `pixdesk-history-${stamp}.${format}`, extensions: [format] })
      if (!target) return { path: null, count: 0 }
      const text = format === 'csv' ? await history.exportCsv(filter) : await history.exportJson(filter)
      await writeFileAtomic(target, text)
      const page = await history.query({ ...filter, page: 1, pageSize: 1 })
      return { path: target, count: page.total }
    },
    async deleteHistoryEntry(id, deleteFiles) {
      const record = deleteFiles ? await history.get(id) : null
      const beside = (record?.inputs ?? []).flatMap((input) => (input.source === 'file' && input.path ? [join(dirname(input.path), DEFAULT_OUTPUT_FOLDER)] : []))
      const outputFolders = [...library.outputFolders(), fallbackOutputDir, ...beside]
      return history.deleteEntry(id, { deleteFiles, outputFolders })
    },
    async revealOutput(recordId, index) {
      const output = (await history.get(recordId))?.outputs[index]
      if (!output) throw new AppError({ code: 'validation', field: 'recordId', message: 'That output is not in the history.' })
      if (output.fileMissing) {
        throw new AppError({ code: 'not_found_file', path: output.path, message: `${output.path} is no longer on disk (moved or deleted outside Pixdesk).` })
      }
      await dialogs.reveal(output.path)
    },
    async supportBundle(recordId) {
      const item = await history.get(recordId)
      if (!item) throw new AppError({ code: 'not_found', message: `There is no history entry "${recordId}" (it may have been deleted).` })
      return formatSupportBundle(item, {
        appVersion: version,
        modelLabel: (id) => catalog.get(id)?.label,
        secrets: await configuredKeys(keychain),
        now: new Date()
      })
    }
  }
}

function templateFiles(templates: TemplateService, dialogs: Dialogs): Pick<Services, 'importTemplates' | 'exportTemplates'> {
  return {
    async importTemplates() {
      const [file] = await dialogs.openFiles({ filters: [{ name: 'Templates (Pixdesk JSON, InvokeAI CSV)', extensions: ['json', 'csv'] }] })
      return file ? templates.importFile(file) : null
    },
    async exportTemplates(ids) {
      const stamp = new Date().toISOString().slice(0, 10)
      const target = await dialogs.saveFile({ defaultName: `pixdesk-templates-${stamp}.json`, extensions: ['json'] })
      if (!target) return { path: null, count: 0 }
      return templates.exportFile(target, ids)
    }
  }
}
