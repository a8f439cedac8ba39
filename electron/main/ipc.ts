import { ipcMain, type BrowserWindow } from 'electron'
import { createDispatcher } from '../core/dispatch'
import type { Services } from '../core/services'

/** Routes every renderer call through the contract dispatcher and forwards service events to the window. */
export function registerIpc(services: Services, getWindow: () => BrowserWindow | null): () => void {
  const dispatch = createDispatcher(services)
  ipcMain.handle('pixdesk:invoke', (event, channel: unknown, payload: unknown) => {
    // Only our own window's top frame may call in; anything else (an iframe, a devtools page) is refused.
    const win = getWindow()
    if (!win || event.sender !== win.webContents || event.senderFrame !== win.webContents.mainFrame) {
      return { ok: false, error: { code: 'validation', message: 'Request from an unknown frame was refused.' } }
    }
    return dispatch(String(channel), payload)
  })
  const stop = services.events.onAny((name, payload) => {
    getWindow()?.webContents.send('pixdesk:event', name, payload)
  })
  return () => {
    stop()
    ipcMain.removeHandler('pixdesk:invoke')
  }
}
