import { ipcMain, type BrowserWindow } from 'electron'
import { createDispatcher } from '../core/dispatch'
import type { Services } from '../core/services'
import { handleFromRenderer } from './security'

/** Routes every renderer call through the contract dispatcher and forwards service events to the window. */
export function registerIpc(
  services: Services,
  getWindow: () => BrowserWindow | null,
  isRendererUrl: (url: string) => boolean
): () => void {
  const dispatch = createDispatcher(services)
  // Only our own window's top frame showing our own renderer may call in; anything else (an iframe,
  // a devtools page, a page navigated to elsewhere) is refused.
  const removeHandler = handleFromRenderer(ipcMain, 'pixdesk:invoke', { getWindow, isRendererUrl }, (channel, payload) =>
    dispatch(String(channel), payload)
  )
  const stop = services.events.onAny((name, payload) => {
    getWindow()?.webContents.send('pixdesk:event', name, payload)
  })
  return () => {
    stop()
    removeHandler()
  }
}
