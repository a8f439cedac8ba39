import type { History } from '../core/history/history'
import { createServices, type Services } from '../core/services'
import type { TemplateLibrary } from '../core/templates'
import { Output } from './output'

export interface GlobalFlags {
  json?: boolean
  sandbox?: boolean
}

/**
 * What every command gets: the output, the interrupt signal, and the services, created on first use so
 * commands that need none (help, bad flags) start instantly and never touch the data folder.
 */
export class CliContext {
  readonly out: Output
  private servicesPromise: Promise<Services> | null = null
  private readonly cleanups: Array<() => Promise<void>> = []

  constructor(
    readonly flags: GlobalFlags,
    readonly signal: AbortSignal,
    readonly env: NodeJS.ProcessEnv = process.env
  ) {
    this.out = new Output(flags.json === true)
  }

  services(): Promise<Services> {
    // No folder watching: a command is short-lived and must not hold the process open.
    this.servicesPromise ??= createServices({ env: this.env, version: cliVersion(), watchFolders: false })
    return this.servicesPromise
  }

  /** The request history in the services' data folder. */
  history(services: Services): History {
    return services.history
  }

  /** The prompt template library. */
  async templates(): Promise<TemplateLibrary> {
    return (await this.services()).templates
  }

  /** Runs on the way out, even after a failure or an interrupt (last registered first). */
  onDispose(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup)
  }

  async dispose(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined)
    if (this.servicesPromise) await (await this.servicesPromise.catch(() => null))?.dispose()
  }
}

export function cliVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version
  } catch {
    return '0.0.0'
  }
}
