import { mkdir } from 'node:fs/promises'
import { noDialogs, type Dialogs } from './dialogs'
import { AppEvents } from './events'
import { resolveAppPaths, type AppPaths } from './paths'

export interface ServicesOptions {
  paths?: AppPaths
  env?: NodeJS.ProcessEnv
  /** Prefix the renderer uses to load images through the asset handler. */
  assetBaseUrl?: string
  version?: string
  dialogs?: Dialogs
}

/** The one object the desktop app, the CLI and the tests share: every service, wired once. */
export interface Services {
  paths: AppPaths
  env: NodeJS.ProcessEnv
  version: string
  assetBaseUrl: string
  events: AppEvents
  dialogs: Dialogs
  /** Serves thumbnails, originals and outputs to the renderer (custom scheme in the app, http in tests). */
  handleAsset?: (request: Request) => Promise<Response>
  dispose(): Promise<void>
}

export async function createServices(options: ServicesOptions = {}): Promise<Services> {
  const env = options.env ?? process.env
  const paths = options.paths ?? resolveAppPaths(env)
  await mkdir(paths.dataDir, { recursive: true })
  await mkdir(paths.cacheDir, { recursive: true })
  const events = new AppEvents()

  return {
    paths,
    env,
    version: options.version ?? '0.0.0',
    assetBaseUrl: options.assetBaseUrl ?? 'pixdesk-asset://local/',
    events,
    dialogs: options.dialogs ?? noDialogs,
    async dispose() {}
  }
}
