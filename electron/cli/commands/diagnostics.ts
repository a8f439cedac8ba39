import type { Command } from 'commander'
import type { Runner } from '../types'
import { ExitCode } from '../exit'

export function registerDiagnostics(program: Command, run: Runner): void {
  program
    .command('diagnostics')
    .description('a support report: versions, settings, key status (never the keys), keychain, data sizes, the last 20 errors')
    .option('--json', 'the report as one JSON line')
    .action(
      run(async (ctx) => {
        const services = await ctx.services()
        const { collectDiagnostics, formatDiagnostics } = await import('../../core/diagnostics')
        const report = await collectDiagnostics({
          version: services.version,
          paths: services.paths,
          settings: () => services.settings.get(),
          keychain: services.keychain,
          history: services.history
        })
        ctx.out.event('diagnostics', { ...report })
        ctx.out.line(formatDiagnostics(report).trimEnd())
        return ExitCode.ok
      })
    )
}
