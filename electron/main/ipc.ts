import { ipcMain, protocol, type BrowserWindow } from 'electron'
import type { Services } from '../core/services'
import { APP_ASSET_SCHEME, connectRenderer } from '../ipc/connection'

/**
 * Connects the window to the services: every renderer call goes through the contract dispatcher,
 * service events are forwarded to the window, and images are served on the app's asset scheme.
 */
export function registerIpc(services: Services, getWindow: () => BrowserWindow | null): () => void {
  const connection = connectRenderer(services)
  ipcMain.handle('pixdesk:invoke', (event, channel: unknown, payload: unknown) => {
    // Only our own window's top frame may call in; anything else (an iframe, a devtools page) is refused.
    const win = getWindow()
    if (!win || event.sender !== win.webContents || event.senderFrame !== win.webContents.mainFrame) {
      return { ok: false, error: { code: 'validation', message: 'Request from an unknown frame was refused.' } }
    }
    return connection.dispatch(String(channel), payload)
  })
  protocol.handle(APP_ASSET_SCHEME, (request) => connection.handleAsset(request))
  const stop = connection.onEvent((name, payload) => {
    getWindow()?.webContents.send('pixdesk:event', name, payload)
  })
  return () => {
    stop()
    connection.close()
    protocol.unhandle(APP_ASSET_SCHEME)
    ipcMain.removeHandler('pixdesk:invoke')
  }
}
