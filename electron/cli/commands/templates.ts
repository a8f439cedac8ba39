import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { TemplateView } from '../../../shared/templates'
import type { CliContext } from '../context'
import type { Runner } from '../types'
import { ExitCode, type ExitCodeValue } from '../exit'
import { splitList } from '../flags'

const variablesText = (t: TemplateView) =>
  t.variables.map((v) => `${v.name}${v.default !== undefined ? `=${v.default}` : v.required ? ' (required)' : ''}${v.strict && v.options ? ` [${v.options.join('|')}]` : ''}`).join(', ')

const usageText = (t: TemplateView) => (t.usage.count ? `${t.usage.count} · ${t.usage.lastUsedAt?.slice(0, 10) ?? ''}` : 'never')

async function list(ctx: CliContext): Promise<ExitCodeValue> {
  const service = await ctx.templates()
  const templates = await service.views()
  for (const t of templates) ctx.out.event('template', { ...t })
  ctx.out.table(
    ['id', 'name', 'category', 'kind', 'used', 'variables (default)'],
    templates.map((t) => [t.id, t.name, t.category, t.builtIn ? 'built-in' : 'mine', usageText(t), variablesText(t)])
  )
  for (const warning of service.warnings()) ctx.out.note(warning)
  ctx.out.line(`\n${templates.length} templates. Use one with --template ID; give variables without a default with --var name=value.`)
  ctx.out.event('summary', { count: templates.length })
  return ExitCode.ok
}

async function show(ctx: CliContext, id: string): Promise<ExitCodeValue> {
  const t = await (await ctx.templates()).view(id)
  ctx.out.event('template', { ...t })
  ctx.out.line(`${t.name} (${t.id}) · ${t.category} · ${t.builtIn ? 'built-in' : 'yours'} · used ${usageText(t)}`)
  if (t.description) ctx.out.line(t.description)
  ctx.out.line(`\nPrompt:\n  ${t.prompt}`)
  if (t.negativePrompt) ctx.out.line(`\nAvoid:\n  ${t.negativePrompt}`)
  if (t.params?.aspectRatio) ctx.out.line(`\nAspect ratio: ${t.params.aspectRatio} (where the model accepts it)`)
  if (t.prompt.includes('{prompt}')) ctx.out.line('\n{prompt} is filled with --prompt.')
  if (t.variables.length) {
    ctx.out.line('')
    ctx.out.table(
      ['variable', 'label', 'default', 'required', 'options', 'description'],
      t.variables.map((v) => [v.name, v.label, v.default ?? '', v.required ? 'yes' : 'no', v.options ? `${v.options.join(' | ')}${v.strict ? ' (only these)' : ''}` : '', v.description ?? ''])
    )
  }
  ctx.out.event('summary', { count: 1 })
  return ExitCode.ok
}

export function registerTemplates(program: Command, run: Runner): void {
  const templates = program
    .command('templates')
    .description('prompt templates: list, show, import (Pixdesk JSON, InvokeAI CSV), export; use with --template ID --var name=value')
    .option('--json', 'one JSON line per template, then a summary')
    .action(run(async (ctx) => list(ctx)))

  templates
    .command('list')
    .description('the built-in templates and your own, with how often each was used')
    .option('--json', 'one JSON line per template, then a summary')
    .action(run(async (ctx) => list(ctx)))

  templates
    .command('show')
    .description("one template's prompt, variables, defaults and usage")
    .argument('<id>', 'template id (see pixdesk templates list)')
    .option('--json', 'the template as one JSON line')
    .action(run(async (ctx, id: string) => show(ctx, id)))

  templates
    .command('import')
    .description("add the templates of a Pixdesk JSON export or InvokeAI style presets (CSV: name,prompt,negative_prompt); all or none")
    .argument('<file>', '.json or .csv file')
    .option('--json', 'one JSON line per imported template, then a summary')
    .action(
      run(async (ctx, file: string) => {
        const result = await (await ctx.templates()).importFile(resolve(file))
        for (const t of result.imported) ctx.out.event('template', { ...t })
        for (const r of result.renamed) ctx.out.note(`"${r.from}" was taken; imported as "${r.to}".`)
        ctx.out.table(
          ['id', 'name', 'category'],
          result.imported.map((t) => [t.id, t.name, t.category])
        )
        ctx.out.line(`\nImported ${result.imported.length} template${result.imported.length === 1 ? '' : 's'} from ${result.file}.`)
        ctx.out.event('summary', { count: result.imported.length, format: result.format, renamed: result.renamed })
        return ExitCode.ok
      })
    )

  templates
    .command('export')
    .description('write templates to a JSON file others can import (default: all of your own)')
    .argument('<file>', 'the .json file to write')
    .option('--id <ids>', 'only these templates (built-in ones too), separated by commas')
    .option('--json', 'a summary as one JSON line')
    .action(
      run(async (ctx, file: string, flags: { id?: string }) => {
        const ids = flags.id ? splitList(flags.id) : undefined
        const result = await (await ctx.templates()).exportFile(resolve(file), ids)
        ctx.out.line(`Exported ${result.count} template${result.count === 1 ? '' : 's'} to ${result.path}.`)
        ctx.out.event('summary', result)
        return ExitCode.ok
      })
    )
}
