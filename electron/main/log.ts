import { existsSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import log from 'electron-log/node'
import { createRedactor, redactValue } from '../core/redact'

type LogLevel = 'error' | 'warn' | 'info' | 'verbose' | 'debug'

export interface AppLogOptions {
  /** The OS logs folder for the app (app.getPath('logs')). */
  logsDir: string
  level?: LogLevel
  /** Size at which main.log is rotated to main.1.log (main.1 → main.2, …). */
  maxBytes?: number
  /** Rotated files kept beside the current one. */
  keep?: number
  /** Secrets known now (the configured API keys); read on every line. */
  secrets?: () => Iterable<string | null | undefined>
  /** Echo to the terminal too (development). */
  console?: boolean
}

export interface AppLog {
  readonly file: string
  error(...args: unknown[]): void
  warn(...args: unknown[]): void
  info(...args: unknown[]): void
  debug(...args: unknown[]): void
}

let instances = 0

/**
 * The main-process log: electron-log's file transport (levels, size-based rotation) with every line
 * passed through the redactor first, so keys, bearer tokens and x-goog-api-key values never reach disk.
 */
export function createAppLog(options: AppLogOptions): AppLog {
  const logger = log.create({ logId: `pixdesk-main-${++instances}` })
  const file = join(options.logsDir, 'main.log')
  const keep = options.keep ?? 3
  const redact = createRedactor(options.secrets)
  logger.transports.file.resolvePathFn = () => file
  logger.transports.file.level = options.level ?? 'info'
  logger.transports.file.maxSize = options.maxBytes ?? 5 * 1024 * 1024
  logger.transports.file.archiveLogFn = (current) => rotate(current.toString(), keep)
  logger.transports.console.level = options.console ? (options.level ?? 'info') : false
  // Runs before any transport formats the line: objects and errors are scrubbed field by field.
  logger.hooks.push((message) => ({ ...message, data: message.data.map((value: unknown) => redactValue(value, redact)) }))
  return {
    file,
    error: (...args) => logger.error(...args),
    warn: (...args) => logger.warn(...args),
    info: (...args) => logger.info(...args),
    debug: (...args) => logger.debug(...args)
  }
}

function rotate(path: string, keep: number): void {
  const numbered = (n: number) => path.replace(/\.log$/, `.${n}.log`)
  try {
    rmSync(numbered(keep), { force: true })
    for (let n = keep - 1; n >= 1; n--) if (existsSync(numbered(n))) renameSync(numbered(n), numbered(n + 1))
    renameSync(path, numbered(1))
  } catch {
    // A rotation that fails (a file locked on Windows) must not lose the line being written: the transport
    // keeps appending to the current file.
  }
}
