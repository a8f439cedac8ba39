import { AppError } from './errors'
import { channelNames, type Channel, type Envelope, type EventMap, type EventName, type PixdeskApi } from './contract'

/** How a bridge reaches the main process: Electron's ipcRenderer in the app, a page binding in tests. */
export interface BridgeTransport {
  invoke(channel: string, payload: unknown): Promise<Envelope>
  subscribe(listener: (event: string, payload: unknown) => void): void
}

/** Builds the `window.pixdesk` object from the contract. Unknown channels are refused before they leave. */
export function createPixdeskApi(transport: BridgeTransport): PixdeskApi {
  const known = new Set<string>(channelNames)
  const listeners = new Map<string, Set<(payload: never) => void>>()

  transport.subscribe((event, payload) => {
    for (const listener of listeners.get(event) ?? []) listener(payload as never)
  })

  return {
    async invoke(channel: Channel, payload: unknown) {
      if (!known.has(channel)) {
        throw new AppError({ code: 'internal', message: `Unknown IPC channel "${String(channel)}"` })
      }
      const envelope = await transport.invoke(channel, payload)
      if (envelope.ok) return envelope.value as never
      throw new AppError(envelope.error)
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener as (payload: never) => void)
      return () => set.delete(listener as (payload: never) => void)
    }
  }
}
