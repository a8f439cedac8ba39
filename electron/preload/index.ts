import { contextBridge, ipcRenderer } from 'electron'
import { createPixdeskApi } from '../../shared/bridge'
import type { Envelope } from '../../shared/contract'

const api = createPixdeskApi({
  invoke: (channel, payload) => ipcRenderer.invoke('pixdesk:invoke', channel, payload) as Promise<Envelope>,
  subscribe: (listener) => {
    ipcRenderer.on('pixdesk:event', (_event, name: string, payload: unknown) => listener(name, payload))
  }
})

contextBridge.exposeInMainWorld('pixdesk', api)
