import { join } from 'node:path'
import type { ProviderId } from '../../shared/records'
import type { History } from '../core/history/history'
import type { JobEngine } from '../core/jobs/engine'
import type { QueueLockedError } from '../core/jobs/queue-lock'
import type { JobLimits } from '../core/jobs/types'
import type { Services } from '../core/services'
import type { TemplateService } from '../core/template-store'
import type { Connection } from './connection'
import { CliError, ExitCode } from './exit'
import { Output } from './output'

export interface GlobalFlags {
  json?: boolean
  sandbox?: boolean
  /** Lets a stored key go to the base URL given for this command (--base-url, PIXAPI_BASE_URL). */
  trustBaseUrl?: boolean
}

/**
 * What every command gets: the output, the interrupt signal, and the services, created on first use so
 * commands that need none (help, bad flags) start instantly and never touch the data folder. The
 * services' code itself is loaded on first use too: evaluating the library, the engine, the providers and
 * their schemas is most of a command's start-up, and look-ups such as `history` need none of it.
 */
export class CliContext {
  readonly out: Output
  private servicesPromise: Promise<Services> | null = null
  private historyPromise: Promise<History> | null = null
  private readonly cleanups: Array<() => Promise<void>> = []
  /** Batches this command created or resumed: the only ones its engine starts items of. */
  private readonly ownBatches = new Set<string>()
  private connection: Connection | undefined
  private concurrency: number | undefined

  constructor(
    readonly flags: GlobalFlags,
    readonly signal: AbortSignal,
    readonly env: NodeJS.ProcessEnv = process.env,
    /** The command as typed ("batch resume"), named to another process refused the queue meanwhile. */
    readonly command = ''
  ) {
    this.out = new Output(flags.json === true)
  }

  services(): Promise<Services> {
    this.servicesPromise ??= this.createServices().then((services) => {
      this.announceRecoveries(services)
      return services
    })
    return this.servicesPromise
  }

  /**
   * What the services repaired or set aside on their own (a corrupt settings file reset, a queue file
   * that could not be read kept aside) is said on standard error and, with --json, as notice events:
   * a script must not learn of it only from a changed behaviour.
   */
  private announceRecoveries(services: Services): void {
    const say = (level: string, message: string, extra: Record<string, unknown> = {}) => {
      this.out.event('notice', { level, message, ...extra })
      this.out.note(`pixdesk: ${message}`)
    }
    const settingsNotice = services.settings.notice()
    if (settingsNotice) say('warning', settingsNotice.message, { ...(settingsNotice.backupPath ? { path: settingsNotice.backupPath } : {}) })
    services.events.on('app.notice', (notice) => {
      if (notice.level !== 'info') say(notice.level, notice.message)
    })
    this.onDispose(async () => {
      // Torn or invalid history lines met while this command read the history: skipped, never fatal.
      // (The history command lists them itself.)
      const torn = this.command.startsWith('history') ? [] : services.history.readWarnings()
      if (torn.length) {
        const files = [...new Set(torn.map((w) => w.file))].join(', ')
        say('warning', `${torn.length} unreadable line(s) in the history were skipped (${files}); the rest of the history is intact.`, { readWarnings: torn })
      }
    })
  }

  private async createServices(): Promise<Services> {
    const { createServices } = await import('../core/services')
    return createServices({
      env: this.env,
      version: cliVersion(),
      // No folder watching: a command is short-lived and must not hold the process open.
      watchFolders: false,
      jobs: {
        // The queue is shared with the app: a command must not start (and, on exit, cut off) other work.
        runOnly: (batchId) => this.ownBatches.has(batchId),
        baseUrl: (provider) => this.connection?.baseUrl(provider),
        apiKey: (provider) => this.connection?.apiKey(provider),
        fallbackOutputDir: join(process.cwd(), 'pixdesk'),
        limits: (fromSettings) => raiseConcurrency(fromSettings, this.concurrency),
        owner: this.command ? `the command "pixdesk ${this.command}"` : 'a pixdesk command'
      }
    })
  }

  /**
   * The shared jobs engine, sending through `connection`. Concurrency asked for on the command line
   * raises the settings' limits for this run only. Fails with a clear message (exit 75) while another
   * Pixdesk process runs the queue: nothing has been sent by then.
   */
  async jobs(connection: Connection, concurrency?: number): Promise<JobEngine> {
    this.connection = connection
    this.concurrency = concurrency
    const services = await this.services()
    let engine: JobEngine
    try {
      engine = await services.jobs()
    } catch (err) {
      const { QueueLockedError } = await import('../core/jobs/queue-lock')
      if (err instanceof QueueLockedError) throw queueBusy(err, services.paths.dataDir, this.command)
      throw err
    }
    // Every batch created in this process is this command's (registered before its first item can start).
    engine.on((event) => {
      if (event.type === 'batch.created') this.ownBatches.add(event.batch.id)
    })
    return engine
  }

  /** Lets the engine run a batch already in the queue (batch resume). */
  adopt(batchId: string): void {
    this.ownBatches.add(batchId)
  }

  /**
   * The request history in the data folder: the services' own once they exist, otherwise opened alone,
   * so reading it loads neither the settings, the keychain, the library nor the engine.
   */
  history(): Promise<History> {
    if (this.servicesPromise) return this.servicesPromise.then((services) => services.history)
    this.historyPromise ??= Promise.all([import('../core/history/history'), import('../core/paths')]).then(([{ openHistory }, { resolveAppPaths }]) => {
      const history = openHistory(resolveAppPaths(this.env).dataDir)
      this.onDispose(() => history.close())
      return history
    })
    return this.historyPromise
  }

  /** The prompt template library. */
  async templates(): Promise<TemplateService> {
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

function raiseConcurrency(limits: JobLimits, wanted: number | undefined): JobLimits {
  if (!wanted) return limits
  const perProvider = Object.fromEntries(Object.entries(limits.perProvider).map(([p, n]) => [p, Math.max(n, wanted)])) as Record<ProviderId, number>
  return { ...limits, concurrency: Math.max(limits.concurrency, wanted), perProvider }
}

function queueBusy(err: QueueLockedError, dataDir: string, command: string): CliError {
  const { owner } = err
  const who = owner.name ?? 'another Pixdesk process'
  const since = owner.since ? `, since ${owner.since.slice(0, 19).replace('T', ' ')}` : ''
  const isApp = owner.name === 'the Pixdesk app'
  const what = isApp
    ? 'Quit the app (its queued work resumes when it starts again) and run the command again, or do this from the app.'
    : 'Wait for it to finish, or stop it with Ctrl-C (its batch stays resumable), and run the command again.'
  return new CliError(ExitCode.busy, {
    code: 'internal',
    path: err.lockPath,
    message:
      `${command || 'this command'} cannot run now: the job queue in ${dataDir} is in use by ${who} (pid ${owner.pid}${since}), ` +
      `and only one process may run it. Nothing was sent. ${what} ` +
      'history, models, templates, scan, key and batch list/status work meanwhile.'
  })
}

export function cliVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('../../package.json') as { version: string }).version
  } catch {
    return '0.0.0'
  }
}
