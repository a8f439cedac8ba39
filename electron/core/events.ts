import { EventEmitter } from 'node:events'
import type { EventMap, EventName } from '../../shared/contract'

/** Main → renderer notifications, typed by the contract. The window (or test harness) forwards them. */
export class AppEvents {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(50)
  }

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    this.emitter.emit('event', event, payload)
  }

  /** Every event, for forwarding across a process boundary. */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}
