import { EventEmitter } from 'node:events'
import type { Settings } from '../../shared/settings'

/** Something the user should be told that no request answers: a refused queue, a failed import. */
interface Notice {
  level: 'info' | 'warning' | 'error'
  message: string
}

/** What the services announce on their own; whoever presents them (the window, a command) listens. */
export interface ServiceEventMap {
  'settings.changed': Settings
  'app.notice': Notice
}

export type ServiceEventName = keyof ServiceEventMap

export class AppEvents {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(50)
  }

  emit<E extends ServiceEventName>(event: E, payload: ServiceEventMap[E]): void {
    this.emitter.emit(event, payload)
  }

  on<E extends ServiceEventName>(event: E, listener: (payload: ServiceEventMap[E]) => void): () => void {
    this.emitter.on(event, listener)
    return () => this.emitter.off(event, listener)
  }
}
