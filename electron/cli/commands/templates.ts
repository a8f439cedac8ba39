import type { Command } from 'commander'
import type { Runner } from '../types'
import { ExitCode } from '../exit'

export function registerTemplates(program: Command, run: Runner): void {
  program
    .command('templates')
    .description('prompt templates for batches (use with: batch --template ID --var name=value)')
    .option('--json', 'one JSON line per template, then a summary')
    .action(
      run(async (ctx) => {
        const templates = (await ctx.templates()).list()
        for (const t of templates) ctx.out.event('template', { ...t })
        ctx.out.table(
          ['id', 'name', 'category', 'variables (default)'],
          templates.map((t) => [
            t.id,
            t.name,
            t.category,
            t.variables.map((v) => `${v.name}${v.default !== undefined ? `=${v.default}` : ''}${v.strict && v.options ? ` [${v.options.join('|')}]` : ''}`).join(', ')
          ])
        )
        ctx.out.line(`\n${templates.length} templates. Variables without a default must be given with --var name=value.`)
        ctx.out.event('summary', { count: templates.length })
        return ExitCode.ok
      })
    )
}
