import type { Command } from 'commander'
import { z } from 'zod'
import { capabilitiesFor } from '../../shared/catalog'
import { AppError } from '../../shared/errors'
import type { RequestParams } from '../../shared/records'
import type { CliContext } from './context'
import { usageError } from './exit'
import { collect } from './flags'
import type { ModelRoute } from './request'

/** --template and --var, for every command that takes a prompt. */
export function addTemplateOptions(command: Command): Command {
  return command
    .option('--template <id>', 'a prompt template (see pixdesk templates list); --prompt then fills its {prompt} or adds instructions')
    .option('--var <name=value>', 'a template variable; repeat for each', collect, [])
}

export const templateFlagsSchema = z.object({
  prompt: z.string().optional(),
  template: z.string().trim().min(1).optional(),
  var: z.array(z.string()).default([])
})

/** What a request carries: the typed prompt, or a template with its variables (and the typed text). */
interface PromptChoice {
  /** The prompt as it will be sent, for the pre-flight checks. */
  rendered: string
  spec: { prompt: string } | { templateId: string; variables: Record<string, string>; prompt?: string }
  params: RequestParams
}

function variablesOf(pairs: readonly string[]): Record<string, string> {
  const variables: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw usageError(`--var "${pair}" must look like name=value.`, 'var')
    variables[pair.slice(0, eq).trim()] = pair.slice(eq + 1)
  }
  return variables
}

/**
 * The prompt or template the flags ask for, rendered and checked before anything is sent: a missing
 * variable is a usage error (exit 2, nothing charged). A template's suggested aspect ratio is used when
 * every chosen model accepts it.
 */
export async function promptFromFlags(ctx: CliContext, flags: z.infer<typeof templateFlagsSchema>, routes: readonly ModelRoute[], params: RequestParams): Promise<PromptChoice> {
  const text = flags.prompt?.trim() ?? ''
  if (!flags.template) {
    if (flags.var.length) throw usageError('--var only applies with --template.', 'var')
    if (!text) throw usageError('Give the edit with --prompt "..." or pick a template with --template ID (see pixdesk templates list).', 'prompt')
    return { rendered: text, spec: { prompt: text }, params }
  }
  const variables = variablesOf(flags.var)
  const templates = await ctx.templates()
  await templates.refresh()
  const template = templates.get(flags.template)
  if (!template) throw usageError(`--template: there is no template "${flags.template}". See pixdesk templates list.`, 'template')
  let rendered: string
  try {
    rendered = templates.render(template.id, variables, text)
  } catch (err) {
    if (err instanceof AppError) throw usageError(`${err.data.field === 'prompt' ? '--prompt' : '--var'}: ${err.message}`, err.data.field === 'prompt' ? 'prompt' : 'var')
    throw err
  }
  const aspect = template.params?.aspectRatio
  const fits = aspect !== undefined && routes.every((r) => capabilitiesFor(r.model, r.provider)?.aspectRatios.includes(aspect))
  return {
    rendered,
    spec: { templateId: template.id, variables, ...(text ? { prompt: text } : {}) },
    params: fits && !params.aspectRatio ? { ...params, aspectRatio: aspect } : params
  }
}
