import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

const APP_NAME = 'Pixdesk'

export interface AppPaths {
  /** Settings, history, queue: shared by the desktop app and the command line. */
  dataDir: string
  /** Thumbnails and other files that can be rebuilt. */
  cacheDir: string
}

/**
 * The OS app-data folder (the same one Electron's app.getPath('userData') gives), so the desktop app and
 * the CLI read and write the same history. PIXDESK_HOME moves everything, for scripts and tests.
 */
export function resolveAppPaths(env: NodeJS.ProcessEnv = process.env, platform = process.platform): AppPaths {
  const override = env.PIXDESK_HOME?.trim()
  if (override) return { dataDir: override, cacheDir: join(override, 'cache') }
  const home = homedir()
  if (platform === 'darwin') {
    return {
      dataDir: join(home, 'Library', 'Application Support', APP_NAME),
      cacheDir: join(home, 'Library', 'Caches', APP_NAME)
    }
  }
  if (platform === 'win32') {
    const appData = env.APPDATA ?? join(home, 'AppData', 'Roaming')
    const local = env.LOCALAPPDATA ?? join(home, 'AppData', 'Local')
    return { dataDir: join(appData, APP_NAME), cacheDir: join(local, APP_NAME, 'Cache') }
  }
  const config = env.XDG_CONFIG_HOME ?? join(home, '.config')
  const cache = env.XDG_CACHE_HOME ?? join(home, '.cache')
  return { dataDir: join(config, APP_NAME), cacheDir: join(cache, APP_NAME) }
}

/**
 * Bundled data (model catalog, templates, sample images). Source files and the built main bundle both sit
 * two folders below the project root; a packaged app points PIXDESK_RESOURCES at its resources folder.
 */
export function resourcesDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PIXDESK_RESOURCES?.trim() || resolve(__dirname, '..', '..', 'resources')
}
