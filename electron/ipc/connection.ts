import { join } from 'node:path'
import type { EventMap, EventName } from '../../shared/contract'
import type { Services } from '../core/services'
import { kitsDir, listKits } from '../core/kits/store'
import { createAssetHandler } from './asset-handler'
import { createAssetUrls } from './asset-urls'
import { createDispatcher, type Dispatch } from './dispatch'
import { forwardServiceEvents, RendererEvents } from './events'
import { createPathGrants } from './grants'
import { APP_ASSET_SCHEME } from './asset-scheme'

const APP_ASSET_BASE_URL = `${APP_ASSET_SCHEME}://local/`

export interface RendererConnectionOptions {
  /** Where the asset handler is mounted: asset URLs given to the renderer start with it. */
  assetBaseUrl?: string
}

/** The renderer's three ways to reach the services, whatever carries them (Electron IPC, a test page). */
export interface RendererConnection {
  /** Every renderer → main call. */
  dispatch: Dispatch
  /**
   * Paths the user handed over by dropping files on the window, reported by the preload (never by page
   * code): afterwards the window may name them in its calls.
   */
  grantDropped(paths: readonly string[]): Promise<void>
  /** Thumbnails, originals and outputs, by the URLs the view models hold. */
  handleAsset(request: Request): Promise<Response>
  assetBaseUrl: string
  /** Every main → renderer notification. */
  onEvent(listener: (event: EventName, payload: unknown) => void): () => void
  /** A notification of the shell's own (a menu command, a clicked system notification). */
  emit<E extends EventName>(event: E, payload: EventMap[E]): void
  close(): void
}

export function connectRenderer(services: Services, options: RendererConnectionOptions = {}): RendererConnection {
  const assetBaseUrl = options.assetBaseUrl ?? APP_ASSET_BASE_URL
  const urls = createAssetUrls(assetBaseUrl, services.library)
  const events = new RendererEvents()
  const stopForwarding = forwardServiceEvents(services, events, urls)
  const grants = createPathGrants()
  return {
    dispatch: createDispatcher(services, urls, grants),
    grantDropped: (paths) => grants.grant(paths),
    handleAsset: createAssetHandler({
      library: services.library,
      baseUrl: assetBaseUrl,
      resolveOutput: async (recordId, index) => (await services.history.get(recordId))?.outputs[index]?.path,
      masksDir: join(services.paths.dataDir, 'masks'),
      kitImages: {
        dir: kitsDir(services.paths.dataDir),
        resolve: async (kitId, sha256) => (await listKits(services.paths.dataDir)).kits.find((k) => k.id === kitId)?.references.find((r) => r.sha256 === sha256)?.path
      }
    }),
    assetBaseUrl,
    onEvent: (listener) => events.onAny(listener),
    emit: (event, payload) => events.emit(event, payload),
    close: stopForwarding
  }
}
