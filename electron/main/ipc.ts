import { ipcMain, protocol, type BrowserWindow } from 'electron'
import type { Services } from '../core/services'
import { connectRenderer, type RendererConnection } from '../ipc/connection'
import { APP_ASSET_SCHEME } from '../ipc/asset-scheme'
import { handleFromRenderer } from './security'

/** The window's side of the connection, for the shell's own modules (menu, notifications). */
export type RendererLink = Pick<RendererConnection, 'onEvent' | 'emit' | 'close'>

/**
 * Connects the window to the services: every renderer call goes through the contract dispatcher,
 * service events are forwarded to the window, and images are served on the app's asset scheme.
 */
export function registerIpc(
  services: Services,
  getWindow: () => BrowserWindow | null,
  isRendererUrl: (url: string) => boolean
): RendererLink {
  const connection = connectRenderer(services)
  // Only our own window's top frame showing our own renderer may call in; anything else (an iframe,
  // a devtools page, a page navigated to elsewhere) is refused.
  const removeHandler = handleFromRenderer(ipcMain, 'pixdesk:invoke', { getWindow, isRendererUrl }, (channel, payload) =>
    connection.dispatch(String(channel), payload)
  )
  // The preload reports the paths of files the user dropped; page code only learns they were accepted.
  const removeGrants = handleFromRenderer(ipcMain, 'pixdesk:grant', { getWindow, isRendererUrl }, async (paths) => {
    const list = Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string') : []
    await connection.grantDropped(list)
    return list.length
  })
  protocol.handle(APP_ASSET_SCHEME, (request) => connection.handleAsset(request))
  const stop = connection.onEvent((name, payload) => {
    getWindow()?.webContents.send('pixdesk:event', name, payload)
  })
  return {
    onEvent: (listener) => connection.onEvent(listener),
    emit: (event, payload) => connection.emit(event, payload),
    close() {
      stop()
      connection.close()
      protocol.unhandle(APP_ASSET_SCHEME)
      removeHandler()
      removeGrants()
    }
  }
}
