import { Command, CommanderError } from 'commander'
import type * as ProviderRegistry from '../core/providers/registry'
import { CliContext, cliVersion, type GlobalFlags } from './context'
import { ExitCode, toCliError } from './exit'
import { Output } from './output'
import type { Action, Runner } from './types'
import { registerBatch } from './commands/batch'
import { registerCompare } from './commands/compare'
import { registerDiagnostics } from './commands/diagnostics'
import { registerEdit } from './commands/edit'
import { registerHistory } from './commands/history'
import { registerKey } from './commands/key'
import { registerKits } from './commands/kits'
import { registerModels } from './commands/models'
import { registerPack } from './commands/pack'
import { registerSandbox } from './commands/sandbox'
import { registerScan } from './commands/scan'
import { registerTemplates } from './commands/templates'
import { registerWatch } from './commands/watch'

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const interrupt = new AbortController()
  let exitCode: number = ExitCode.ok
  let interrupts = 0
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++
    if (interrupts > 1) {
      process.stderr.write('\npixdesk: stopped at once; requests still in flight may finish on the server.\n')
      process.exit(ExitCode.interrupted)
    }
    process.stderr.write(`\npixdesk: ${signal === 'SIGINT' ? 'interrupted' : signal}: stopping cleanly (press Ctrl-C again to quit at once)...\n`)
    interrupt.abort(new Error('interrupted'))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const wantsJson = argv.includes('--json')
  const program = buildProgram((action) => async (...args: unknown[]) => {
    // commander passes the positional arguments, then the command's options, then the command itself.
    const command = args[args.length - 1] as Command
    const flags = command.optsWithGlobals<GlobalFlags>()
    const ctx = new CliContext(flags, interrupt.signal, env, commandPath(command))
    try {
      exitCode = await (action as Action<unknown[]>)(ctx, ...args.slice(0, -1))
    } catch (err) {
      const failure = interrupt.signal.aborted ? toCliError({ code: 'interrupted', message: 'Interrupted.' }) : toCliError(err)
      ctx.out.endProgress()
      ctx.out.error(failure.data, failure.exitCode)
      exitCode = failure.exitCode
    } finally {
      await ctx.dispose()
    }
  })

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        exitCode = ExitCode.ok
      } else {
        const message = err.message.replace(/^error:\s*/i, '')
        const hint = err.code === 'commander.unknownCommand' ? 'Run "pixdesk --help" for the commands.' : 'Run the command with --help for its options.'
        new Output(wantsJson).error({ code: 'validation', message: `${message.replace(/\.?$/, '.')} ${hint}` }, ExitCode.usage)
        exitCode = ExitCode.usage
      }
    } else {
      throw err
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return exitCode
}

/** "batch resume", not just "resume". */
function commandPath(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/**
 * The providers' environment variables, read only when help is printed: the registry brings every
 * adapter and its schemas with it, which no other command needs before it runs.
 */
function environmentVariables(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('../core/providers/registry') as typeof ProviderRegistry
  return registry.providerEnvironmentVariables()
}

export function buildProgram(run: Runner): Command {
  const program = new Command('pixdesk')
    .description(
      'Pixdesk from a terminal: the same keys, settings, data folder (PIXDESK_HOME) and history as the desktop app.'
    )
    .version(cliVersion(), '-V, --version')
    .option('--sandbox', 'send requests to a local sandbox server started for this command (no key, no credits)')
    .option('--trust-base-url', 'send the stored key to the base URL given for this command even though it was saved for another address')
    .showSuggestionAfterError(true)
    // Options after a subcommand belong to it: `batch resume --budget` must not be taken by `batch --budget`.
    .enablePositionalOptions()
    .configureOutput({
      // Commander's own error text is replaced by ours (exit code 2, with a hint); help still prints.
      outputError: () => undefined
    })
    .exitOverride()
    .addHelpText(
      'after',
      () => `
Exit codes: 0 all done, 1 some items failed, 2 usage or validation error (nothing sent),
3 auth or keychain problem, 4 budget reached, 75 job queue busy (the app or another command runs it;
nothing sent), 130 interrupted (the batch stays resumable).
Environment: PIXDESK_HOME, ${environmentVariables().join(', ')}.`
    )

  registerKey(program, run)
  registerModels(program, run)
  registerTemplates(program, run)
  registerKits(program, run)
  registerScan(program, run)
  registerEdit(program, run)
  registerBatch(program, run)
  registerCompare(program, run)
  registerPack(program, run)
  registerHistory(program, run)
  registerWatch(program, run)
  registerSandbox(program, run)
  registerDiagnostics(program, run)
  return program
}
