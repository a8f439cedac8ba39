import type { Catalog } from '../catalog'
import { startSandbox, type Sandbox } from './server'

/**
 * The in-process sandbox the app and the CLI use when the user picks "Sandbox": started on demand on
 * 127.0.0.1 with a random port, once, and stopped with the app.
 */
export interface SandboxController {
  /** The running sandbox's base URL, starting it first when needed. */
  ensure(): Promise<string>
  /** The base URL when it is running (synchronous, for code that must not wait). */
  url(): string | undefined
  stop(): Promise<void>
}

export function createSandboxController(catalog: Catalog): SandboxController {
  let running: Sandbox | undefined
  let starting: Promise<Sandbox> | undefined
  return {
    async ensure() {
      if (running) return running.url
      starting ??= startSandbox({ host: '127.0.0.1', port: 0, catalog }).then((sandbox) => {
        running = sandbox
        return sandbox
      })
      try {
        return (await starting).url
      } finally {
        starting = undefined
      }
    },
    url: () => running?.url,
    async stop() {
      const sandbox = running ?? (await starting?.catch(() => undefined))
      running = undefined
      await sandbox?.close()
    }
  }
}
