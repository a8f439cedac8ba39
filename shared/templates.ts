import { z } from 'zod'
import { AppError } from './errors'

/**
 * Prompt templates: a prompt with {variables} the user fills in per run (a background, a colour, a
 * channel). Shared so the main process, the command line and the template editor in the window use the
 * same schema and the same rendering: what the editor's preview shows is what is sent, and a missing
 * variable is refused in the form and again before anything leaves the machine.
 *
 * `{prompt}` is not a variable: it stands for the text typed beside the template (InvokeAI's style
 * presets use it the same way). Without `{prompt}` in the template, typed text is added at the end as
 * additional instructions. `{{` and `}}` are literal braces.
 */

/** The placeholder filled with the text typed beside the template. */
export const USER_TEXT_PLACEHOLDER = 'prompt'

const variableNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'variable names use lower-case letters, digits and _ (start with a letter, at most 40)')
  .refine((name) => name !== USER_TEXT_PLACEHOLDER, '"prompt" is reserved for the text typed beside the template')

const templateVariableSchema = z
  .object({
    name: variableNameSchema,
    label: z.string().trim().min(1, 'give the variable a label').max(80),
    /** Shown under the field: what the value is for, with an example. */
    description: z.string().trim().max(300).optional(),
    default: z.string().max(500).optional(),
    /** Suggested values; any other value is accepted too unless `strict`. */
    options: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
    strict: z.boolean().default(false),
    /** A required variable left empty (and without a default) stops the run before anything is sent. */
    required: z.boolean().default(true)
  })
  .strict()
export type TemplateVariable = z.infer<typeof templateVariableSchema>

/** Request settings a template suggests (a channel's aspect ratio); applied only where the model accepts them. */
const templateParamsSchema = z
  .object({
    aspectRatio: z.string().regex(/^\d{1,2}:\d{1,2}$/, 'an aspect ratio looks like 4:5').optional(),
    size: z.string().max(32).optional()
  })
  .strict()

export const templateIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'template ids use lower-case letters, digits and - (at most 64)')

/** What a person writes when making or editing a template. */
const templateFieldsSchema = z
  .object({
    name: z.string().trim().min(1, 'give the template a name').max(80),
    category: z.string().trim().min(1, 'give the template a category').max(40).default('My templates'),
    description: z.string().trim().max(300).optional(),
    prompt: z.string().trim().min(1, 'write the prompt').max(8000),
    /** What the result must not show. Image-edit APIs have no negative prompt, so it is sent as "Avoid: …". */
    negativePrompt: z.string().trim().max(2000).optional(),
    variables: z.array(templateVariableSchema).max(20).default([]),
    params: templateParamsSchema.optional()
  })
  .strict()

type TemplateFields = z.infer<typeof templateFieldsSchema>

/** `{name}` placeholders in order of first use, `{prompt}` included. `{{` and `}}` are literal braces. */
export function placeholders(prompt: string): string[] {
  const names: string[] = []
  for (const m of prompt.replace(/\{\{|\}\}/g, '').matchAll(/\{([^{}]*)\}/g)) {
    const name = m[1] ?? ''
    if (!names.includes(name)) names.push(name)
  }
  return names
}

/** Rules across fields: every placeholder declared, every variable used, options consistent. */
function checkTemplate(t: Pick<TemplateFields, 'prompt' | 'variables'>, ctx: z.RefinementCtx): void {
  const used = placeholders(t.prompt).filter((name) => name !== USER_TEXT_PLACEHOLDER)
  const declared = t.variables.map((v) => v.name)
  for (const name of used) {
    if (!declared.includes(name)) {
      const hint = /^[a-z][a-z0-9_]*$/.test(name) ? `add a variable "${name}"` : 'write {{ and }} for literal braces'
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: `uses {${name}} but does not declare it: ${hint}` })
    }
  }
  if (/[{}]/.test(t.prompt.replace(/\{\{|\}\}/g, '').replace(/\{[^{}]*\}/g, ''))) {
    ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'has an unmatched { or }: write {{ and }} for literal braces' })
  }
  t.variables.forEach((v, i) => {
    if (!used.includes(v.name)) ctx.addIssue({ code: 'custom', path: ['variables', i, 'name'], message: `"${v.name}" is declared but the prompt never uses {${v.name}}` })
    if (declared.indexOf(v.name) !== i) ctx.addIssue({ code: 'custom', path: ['variables', i, 'name'], message: `"${v.name}" is declared twice` })
    if (v.strict && !v.options?.length) ctx.addIssue({ code: 'custom', path: ['variables', i, 'options'], message: `"${v.name}" only accepts its options but has none` })
    if (v.strict && v.default !== undefined && v.default !== '' && !v.options?.includes(v.default)) {
      ctx.addIssue({ code: 'custom', path: ['variables', i, 'default'], message: `the default of "${v.name}" is not one of its options` })
    }
    if (v.default !== undefined && /[{}]/.test(v.default)) ctx.addIssue({ code: 'custom', path: ['variables', i, 'default'], message: 'may not contain { or }' })
  })
}

/** A template as the editor (or an import) submits it. */
export const templateInputSchema = templateFieldsSchema.superRefine(checkTemplate)
export type TemplateInput = z.input<typeof templateInputSchema>

/** A template shipped with the app (resources/templates.json). */
export const bundledTemplateSchema = templateFieldsSchema.extend({ id: templateIdSchema }).superRefine(checkTemplate)

/** A template the user owns, as kept in the data folder. */
export const storedTemplateSchema = templateFieldsSchema
  .extend({ id: templateIdSchema, createdAt: z.string().datetime(), updatedAt: z.string().datetime() })
  .superRefine(checkTemplate)

export interface Template extends TemplateFields {
  id: string
  builtIn: boolean
  createdAt?: string
  updatedAt?: string
}

/** How often a template was used: requests in the local history made with it. */
export interface TemplateUsage {
  count: number
  /** ISO time of the newest such request, or null when never used. */
  lastUsedAt: string | null
}

export interface TemplateView extends Template {
  usage: TemplateUsage
}

/** What an import added: the templates, and those given a new id because theirs was taken. */
export interface TemplateImportView {
  file: string
  format: 'pixdesk-json' | 'invokeai-csv' | 'invokeai-json'
  imported: TemplateView[]
  renamed: Array<{ from: string; to: string }>
}

const MAX_VALUE_CHARS = 500

/** The rendered prompt, or the first reason it cannot be rendered (naming the field to fix). */
export function renderTemplate(template: Pick<Template, 'name' | 'prompt' | 'variables' | 'negativePrompt'>, values: Record<string, string>, userText?: string): string {
  const declared = new Set(template.variables.map((v) => v.name))
  for (const name of Object.keys(values)) {
    if (!declared.has(name)) {
      const known = template.variables.map((v) => v.name).join(', ') || 'none'
      throw new AppError({ code: 'validation', field: `variables.${name}`, message: `Template "${template.name}" has no variable "${name}" (it has: ${known}).` })
    }
  }
  const filled = new Map<string, string>()
  for (const v of template.variables) {
    const value = (values[v.name] ?? v.default ?? '').trim()
    const field = `variables.${v.name}`
    if (!value && v.required) throw new AppError({ code: 'validation', field, message: `Fill in "${v.label}" for template "${template.name}".` })
    if (value.length > MAX_VALUE_CHARS) throw new AppError({ code: 'validation', field, message: `"${v.label}" is ${value.length} characters; at most ${MAX_VALUE_CHARS}.` })
    if (/[{}]/.test(value)) throw new AppError({ code: 'validation', field, message: `"${v.label}" may not contain { or }.` })
    if (value && v.strict && v.options && !v.options.includes(value)) {
      throw new AppError({ code: 'validation', field, message: `"${v.label}" must be one of: ${v.options.join(', ')}.` })
    }
    filled.set(v.name, value)
  }
  const text = userText?.trim() ?? ''
  const wantsText = placeholders(template.prompt).includes(USER_TEXT_PLACEHOLDER)
  if (wantsText && !text) {
    throw new AppError({ code: 'validation', field: 'prompt', message: `Template "${template.name}" puts your text where it says {prompt}: write that text as the prompt.` })
  }
  const body = template.prompt
    .split(/(\{\{|\}\})/)
    .map((part) =>
      part === '{{' ? '{' : part === '}}' ? '}' : part.replace(/\{([a-z][a-z0-9_]*)\}/g, (_, name: string) => (name === USER_TEXT_PLACEHOLDER ? text : (filled.get(name) ?? '')))
    )
    .join('')
    .trim()
  const parts = [body]
  if (text && !wantsText) parts.push(`Additional instructions: ${text}`)
  const avoid = template.negativePrompt?.trim()
  if (avoid) parts.push(`Avoid: ${avoid}`)
  return parts.join('\n\n')
}

/** "background-replacement" from "Background replacement!", for ids made from names. */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '')
  return slug || 'template'
}
