import type { CliContext } from './context'
import type { ExitCodeValue } from './exit'

/** A command body: gets the context and commander's arguments, returns the exit code. */
export type Action<A extends unknown[]> = (ctx: CliContext, ...args: A) => Promise<ExitCodeValue>

export interface Runner {
  /** Wraps a command body: builds the context, maps failures to exit codes, always cleans up. */
  <A extends unknown[]>(action: Action<A>): (...args: unknown[]) => Promise<void>
}
