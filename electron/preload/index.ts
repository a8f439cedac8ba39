import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { createPixdeskApi } from '../../shared/bridge'
import type { Envelope } from '../../shared/contract'

const api = createPixdeskApi({
  invoke: (channel, payload) => ipcRenderer.invoke('pixdesk:invoke', channel, payload) as Promise<Envelope>,
  subscribe: (listener) => {
    ipcRenderer.on('pixdesk:event', (_event, name: string, payload: unknown) => listener(name, payload))
  }
})

contextBridge.exposeInMainWorld('pixdesk', {
  ...api,
  // The path of a file the user dropped on the window or picked in a file input: they chose it, so it
  // is granted to the window here, in the preload, where page code cannot make up a path.
  grantFile: async (file: Blob) => {
    const path = webUtils.getPathForFile(file as File)
    if (path) await ipcRenderer.invoke('pixdesk:grant', [path])
    return path
  }
})
