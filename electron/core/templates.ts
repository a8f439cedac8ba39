import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import { bundledTemplateSchema, renderTemplate, type Template } from '../../shared/templates'
import { resourcesDir } from './paths'

/**
 * The templates a request can name: the bundled ones (resources/templates.json, read-only) and, through
 * the template store (template-store.ts), the user's own. Rendering is strict: a missing or unknown
 * variable is an error naming it, never a prompt with "{colour}" left in it sent for credits.
 */

export interface TemplateLibrary {
  list(): Template[]
  get(id: string): Template | undefined
  /**
   * The prompt with every variable filled in. `extra` (the user's own words) fills `{prompt}`, or is
   * appended when the template has none, so a template can be tuned per run without editing it.
   */
  render(id: string, values: Record<string, string>, extra?: string): string
}

export const templateFileSchema = z
  .object({ version: z.literal(1), templates: z.array(bundledTemplateSchema).min(1) })
  .refine((f) => new Set(f.templates.map((t) => t.id)).size === f.templates.length, { message: 'template ids must be unique' })

export function unknownTemplateError(id: string): AppError {
  return new AppError({ code: 'validation', field: 'templateId', message: `There is no template "${id}". Pick one from the list.` })
}

export function createTemplateLibrary(templates: readonly Template[]): TemplateLibrary {
  const byId = new Map(templates.map((t) => [t.id, t]))
  return {
    list: () => [...templates],
    get: (id) => byId.get(id),
    render(id, values, extra) {
      const template = byId.get(id)
      if (!template) throw unknownTemplateError(id)
      return renderTemplate(template, values, extra)
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
  return parsed.data.templates.map((t) => ({ ...t, builtIn: true }))
}

function bundledTemplatesPath(): string {
  return join(resourcesDir(), 'templates.json')
}

export function readBundledTemplates(path = bundledTemplatesPath()): Template[] {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new AppError({ code: 'settings_invalid', path, message: `The template library ${path} cannot be read: ${(err as Error).message}. Reinstall the app or restore the file.` }, { cause: err })
  }
  return parseTemplates(json, path)
}

export function loadTemplates(path = bundledTemplatesPath()): TemplateLibrary {
  return createTemplateLibrary(readBundledTemplates(path))
}
