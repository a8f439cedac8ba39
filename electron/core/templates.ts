import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import { resourcesDir } from './paths'

/**
 * Prompt templates: a prompt with {variables} the user fills in per batch (a background, a colour, a
 * season). The bundled library is data (resources/templates.json). Rendering is strict: a missing or
 * unknown variable is an error naming it, never a prompt with "{colour}" left in it sent for credits.
 */

const variableName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'variable names use lower-case letters, digits and _')

const templateVariableSchema = z.object({
  name: variableName,
  label: z.string().min(1).max(80),
  default: z.string().max(500).optional(),
  /** Suggested values; any other value is accepted too unless `strict`. */
  options: z.array(z.string().min(1).max(200)).optional(),
  strict: z.boolean().default(false)
})

const templateSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'template ids use lower-case letters, digits and -'),
    name: z.string().min(1).max(80),
    category: z.string().min(1).max(40),
    description: z.string().max(300).optional(),
    prompt: z.string().min(1).max(8000),
    variables: z.array(templateVariableSchema).default([])
  })
  .superRefine((t, ctx) => {
    const used = placeholders(t.prompt)
    const declared = t.variables.map((v) => v.name)
    for (const name of used) if (!declared.includes(name)) ctx.addIssue({ code: 'custom', path: ['prompt'], message: `uses {${name}} but does not declare it` })
    for (const name of declared) if (!used.includes(name)) ctx.addIssue({ code: 'custom', path: ['variables'], message: `declares "${name}" but the prompt never uses it` })
    if (new Set(declared).size !== declared.length) ctx.addIssue({ code: 'custom', path: ['variables'], message: 'declares a variable twice' })
    for (const v of t.variables) {
      if (v.strict && v.default !== undefined && !v.options?.includes(v.default)) {
        ctx.addIssue({ code: 'custom', path: ['variables'], message: `default of "${v.name}" is not one of its options` })
      }
    }
  })
export type Template = z.infer<typeof templateSchema>

export const templateFileSchema = z
  .object({ version: z.literal(1), templates: z.array(templateSchema).min(1) })
  .refine((f) => new Set(f.templates.map((t) => t.id)).size === f.templates.length, { message: 'template ids must be unique' })

/** `{name}` placeholders in order of first use. `{{` and `}}` are literal braces. */
export function placeholders(prompt: string): string[] {
  const names: string[] = []
  for (const m of prompt.replace(/\{\{|\}\}/g, '').matchAll(/\{([^{}]*)\}/g)) {
    const name = m[1] ?? ''
    if (!names.includes(name)) names.push(name)
  }
  return names
}

export interface TemplateLibrary {
  list(): Template[]
  get(id: string): Template | undefined
  /**
   * The prompt with every variable filled in. `extra` (the user's own words) is appended, so a template
   * can be tuned per batch without editing it.
   */
  render(id: string, values: Record<string, string>, extra?: string): string
}

const MAX_VALUE_CHARS = 500

export function createTemplateLibrary(templates: readonly Template[]): TemplateLibrary {
  const byId = new Map(templates.map((t) => [t.id, t]))
  return {
    list: () => [...templates],
    get: (id) => byId.get(id),
    render(id, values, extra) {
      const template = byId.get(id)
      if (!template) throw new AppError({ code: 'validation', field: 'templateId', message: `There is no template "${id}". Pick one from the list.` })
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
        if (!value) throw new AppError({ code: 'validation', field, message: `Fill in "${v.label}" for template "${template.name}".` })
        if (value.length > MAX_VALUE_CHARS) throw new AppError({ code: 'validation', field, message: `"${v.label}" is ${value.length} characters; at most ${MAX_VALUE_CHARS}.` })
        if (/[{}]/.test(value)) throw new AppError({ code: 'validation', field, message: `"${v.label}" may not contain { or }.` })
        if (v.strict && v.options && !v.options.includes(value)) {
          throw new AppError({ code: 'validation', field, message: `"${v.label}" must be one of: ${v.options.join(', ')}.` })
        }
        filled.set(v.name, value)
      }
      const body = template.prompt
        .split(/(\{\{|\}\})/)
        .map((part) => (part === '{{' ? '{' : part === '}}' ? '}' : part.replace(/\{([a-z][a-z0-9_]*)\}/g, (_, name: string) => filled.get(name) ?? '')))
        .join('')
      const more = extra?.trim()
      return more ? `${body}\n\nAdditional instructions: ${more}` : body
    }
  }
}

export function parseTemplates(json: unknown, source: string): Template[] {
  const parsed = templateFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || '(root)'
    throw new AppError({ code: 'settings_invalid', path: source, field: where, message: `The template library ${source} is invalid at ${where}: ${issue?.message ?? 'unknown problem'}.` })
  }
  return parsed.data.templates
}

export function loadTemplates(path = join(resourcesDir(), 'templates.json')): TemplateLibrary {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new AppError({ code: 'settings_invalid', path, message: `The template library ${path} cannot be read: ${(err as Error).message}. Reinstall the app or restore the file.` }, { cause: err })
  }
  return createTemplateLibrary(parseTemplates(json, path))
}
