import { AppError, fileErrorCodes, toAppErrorData, type AppErrorCode, type AppErrorData } from '../../shared/errors'

/** The exit codes scripts rely on; docs/cli.md lists them. */
export const ExitCode = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  auth: 3,
  budget: 4,
  /** The server stayed unreachable for --max-wait (EX_UNAVAILABLE): what is left stays queued, resumable. */
  unavailable: 69,
  /** The job queue is run by another Pixdesk process (EX_TEMPFAIL: nothing sent, try again later). */
  busy: 75,
  interrupted: 130
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * A failure that ends the command with a chosen exit code. Usage errors are thrown before anything is
 * sent, which is what lets exit code 2 promise "nothing sent, nothing charged".
 */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCodeValue,
    readonly data: AppErrorData
  ) {
    super(data.message)
    this.name = 'CliError'
  }
}

/** A flag, argument or input file is wrong: say which and what to do. */
export function usageError(message: string, field?: string, path?: string): CliError {
  return new CliError(ExitCode.usage, { code: 'validation', message, ...(field ? { field } : {}), ...(path ? { path } : {}) })
}

/** Problems with what the user gave (a flag, a file, the settings): nothing was sent, so exit 2. */
const USAGE_CODES: ReadonlySet<AppErrorCode> = new Set<AppErrorCode>(['validation', 'settings_invalid', ...fileErrorCodes])

/** The exit code for a failure that stopped the whole command (not for one failed item of many). */
export function exitCodeFor(error: AppErrorData): ExitCodeValue {
  if (USAGE_CODES.has(error.code)) return ExitCode.usage
  if (error.code === 'auth' || error.code === 'keychain_unavailable') return ExitCode.auth
  if (error.code === 'budget_reached') return ExitCode.budget
  if (error.code === 'interrupted' || error.code === 'cancelled') return ExitCode.interrupted
  return ExitCode.someFailed
}

/** Any thrown value as a CliError with the right exit code. */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err
  const data = err instanceof AppError ? err.data : toAppErrorData(err)
  return new CliError(exitCodeFor(data), data)
}
