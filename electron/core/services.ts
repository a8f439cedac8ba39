import { mkdir } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'
import { join } from 'node:path'
import { customModelSchema, type CustomModel } from '../../shared/catalog'
import type { HistoryFilter } from '../../shared/history'
import type { Settings, SettingsNotice, SettingsPatch } from '../../shared/settings'
import { readJsonFile, writeJsonAtomic } from './atomic'
import { loadCatalog, type Catalog } from './catalog'
import { noDialogs, type Dialogs } from './dialogs'
import { AppEvents } from './events'
import { openHistory, type History } from './history/history'
import { createKeychain, type Keychain } from './keychain'
import { resolveAppPaths, type AppPaths } from './paths'
import { loadSettings, updateSettings } from './settings'
import type { AssetUrls } from './viewmodels'

export interface ServicesOptions {
  paths?: AppPaths
  env?: NodeJS.ProcessEnv
  /** Prefix the renderer uses to load images through the asset handler. */
  assetBaseUrl?: string
  version?: string
  dialogs?: Dialogs
  keychain?: Keychain
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
  const assetBaseUrl = options.assetBaseUrl ?? 'pixdesk-asset://local/'
  const assetUrls: AssetUrls = {
    output: (recordId, index) => `${assetBaseUrl}output/${encodeURIComponent(recordId)}/${index}`,
    input: () => null
  }

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
    assetUrls,
    async exportHistory(format, filter, target) {
      const text = format === 'csv' ? await history.exportCsv(filter) : await history.exportJson(filter)
      await writeFileAtomic(target, text)
      const page = await history.query({ ...filter, page: 1, pageSize: 1 })
      return { path: target, count: page.total }
    },
    async dispose() {
      await history.close()
    }
  }
}
