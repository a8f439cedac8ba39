import { basename } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import { templateIdSchema, templateInputSchema, USER_TEXT_PLACEHOLDER, type Template, type TemplateImportView } from '../../shared/templates'

/**
 * Template files people exchange: Pixdesk's own JSON export, and InvokeAI's style presets (its CSV with
 * the columns name, prompt, negative_prompt, or its JSON list of the same fields).
 *
 * How an InvokeAI style preset becomes a template:
 * - `name` is the template's name; the category is "Imported styles".
 * - `prompt` (or `positive_prompt`) is the template's prompt. `{prompt}` in it stays the placeholder for
 *   the text typed beside the template, exactly as in InvokeAI. Any other brace is kept as literal text
 *   (InvokeAI's dynamic-prompt syntax such as `{red|blue}` is not expanded). A preset without `{prompt}`
 *   gets the typed text added after it as additional instructions; a preset with an empty prompt (one
 *   that only lists what to avoid) becomes `{prompt}` alone.
 * - `negative_prompt` becomes the template's "avoid" text. The image-edit APIs have no negative prompt,
 *   so it is sent at the end of the prompt as "Avoid: …".
 * - Weighting syntax such as `(word:1.2)` is kept verbatim; the models read it as plain text.
 */

const TEMPLATE_EXPORT_FORMAT = 'pixdesk-templates'

/** A template read from a file, before it gets an id of its own in this data folder. */
interface ImportedTemplate {
  id?: string
  fields: z.output<typeof templateInputSchema>
}

export interface ParsedTemplateFile {
  format: TemplateImportView['format']
  templates: ImportedTemplate[]
}

const MAX_PROBLEMS_SHOWN = 12

/** One error for a whole file, listing every problem found (up to a dozen) with where it is. */
function fileError(file: string, problems: string[]): AppError {
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN)
  const more = problems.length > shown.length ? `\n…and ${problems.length - shown.length} more.` : ''
  const heading = problems.length === 1 ? `${file} cannot be imported:` : `${file} cannot be imported (${problems.length} problems):`
  return new AppError({ code: 'validation', path: file, field: 'file', message: `${heading}\n${shown.map((p) => `- ${p}`).join('\n')}${more}\nNothing was imported.` })
}

function issuesOf(error: z.ZodError, where: string): string[] {
  return error.issues.map((issue) => {
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
    return `${where}${field ? ` › ${field}` : ''}: ${issue.message}`
  })
}

const exportedTemplateSchema = z
  .object({
    id: templateIdSchema.optional(),
    builtIn: z.boolean().optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional()
  })
  .loose()

const pixdeskDocumentSchema = z
  .object({
    format: z.literal(TEMPLATE_EXPORT_FORMAT).optional(),
    version: z.literal(1, 'only version 1 is known'),
    exportedAt: z.string().optional(),
    templates: z.array(z.unknown()).min(1, 'the file holds no templates').max(1000)
  })
  .strict()

function parsePixdeskJson(value: unknown, file: string): ImportedTemplate[] {
  const doc = pixdeskDocumentSchema.safeParse(value)
  if (!doc.success) throw fileError(file, issuesOf(doc.error, 'the file'))
  const problems: string[] = []
  const templates: ImportedTemplate[] = []
  doc.data.templates.forEach((raw, i) => {
    const name = (raw as { name?: unknown } | null)?.name
    const named = typeof name === 'string' && name.trim() ? ` ("${name.trim().slice(0, 60)}")` : ''
    const where = `template ${i + 1}${named}`
    const meta = exportedTemplateSchema.safeParse(raw)
    if (!meta.success) return void problems.push(...issuesOf(meta.error, where))
    const { id, builtIn: _builtIn, createdAt: _created, updatedAt: _updated, ...rest } = meta.data
    const fields = templateInputSchema.safeParse(rest)
    if (!fields.success) return void problems.push(...issuesOf(fields.error, where))
    templates.push({ id, fields: fields.data })
  })
  if (problems.length) throw fileError(file, problems)
  return templates
}

/** Braces other than `{prompt}` are literal in a style preset; doubling them keeps them literal here. */
function presetPrompt(prompt: string): string {
  const parts = prompt.split(`{${USER_TEXT_PLACEHOLDER}}`)
  const escaped = parts.map((p) => p.replace(/\{/g, '{{').replace(/\}/g, '}}')).join(`{${USER_TEXT_PLACEHOLDER}}`)
  return escaped.trim() || `{${USER_TEXT_PLACEHOLDER}}`
}

function presetTemplate(row: { name: string; prompt: string; negative: string }, source: string): unknown {
  return {
    name: row.name,
    category: 'Imported styles',
    description: `Style preset imported from ${source}.`,
    prompt: presetPrompt(row.prompt),
    ...(row.negative ? { negativePrompt: row.negative } : {}),
    variables: []
  }
}

function presetsToTemplates(rows: Array<{ where: string; name: string; prompt: string; negative: string }>, file: string, source: string): ImportedTemplate[] {
  const problems: string[] = []
  const templates: ImportedTemplate[] = []
  for (const row of rows) {
    if (!row.name) {
      problems.push(`${row.where}: the name is empty`)
      continue
    }
    if (!row.prompt && !row.negative) {
      problems.push(`${row.where} ("${row.name.slice(0, 60)}"): both prompt and negative_prompt are empty`)
      continue
    }
    const fields = templateInputSchema.safeParse(presetTemplate(row, source))
    if (!fields.success) problems.push(...issuesOf(fields.error, `${row.where} ("${row.name.slice(0, 60)}")`).map((p) => p.replace('› negativePrompt', '› negative_prompt')))
    else templates.push({ fields: fields.data })
  }
  if (problems.length) throw fileError(file, problems)
  if (!templates.length) throw fileError(file, ['the file holds no presets'])
  return templates
}

const invokeJsonRowSchema = z
  .object({ name: z.string(), prompt: z.string().optional(), positive_prompt: z.string().optional(), negative_prompt: z.string().default('') })
  .strict()

function parseInvokeJson(value: unknown[], file: string, source: string): ImportedTemplate[] {
  const problems: string[] = []
  const rows: Array<{ where: string; name: string; prompt: string; negative: string }> = []
  value.forEach((raw, i) => {
    const row = invokeJsonRowSchema.safeParse(raw)
    if (!row.success) return void problems.push(...issuesOf(row.error, `preset ${i + 1}`))
    rows.push({ where: `preset ${i + 1}`, name: row.data.name.trim(), prompt: (row.data.prompt ?? row.data.positive_prompt ?? '').trim(), negative: row.data.negative_prompt.trim() })
  })
  if (problems.length) throw fileError(file, problems)
  return presetsToTemplates(rows, file, source)
}

/**
 * RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. Each record carries
 * the line it starts on, so errors can point at it.
 */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = []
  let fields: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let start = 1
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  const endRecord = () => {
    fields.push(field)
    if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields })
    fields = []
    field = ''
  }
  for (; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else {
        if (c === '\n') line++
        field += c
      }
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      fields.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      endRecord()
      line++
      start = line
    } else field += c
  }
  if (quoted) throw new Error(`a quoted field that starts on line ${start} is never closed`)
  if (field !== '' || fields.length) endRecord()
  return records
}

function parseInvokeCsv(text: string, file: string, source: string): ImportedTemplate[] {
  let records: Array<{ line: number; fields: string[] }>
  try {
    records = parseCsv(text)
  } catch (err) {
    throw fileError(file, [(err as Error).message])
  }
  const [header, ...body] = records
  if (!header) throw fileError(file, ['the file is empty'])
  const columns = header.fields.map((h) => h.trim().toLowerCase())
  const col = (...names: string[]) => columns.findIndex((c) => names.includes(c))
  const nameCol = col('name')
  const promptCol = col('prompt', 'positive_prompt')
  const negativeCol = col('negative_prompt')
  // A trailing comma in the header (common in shared styles.csv files) makes an unnamed column: ignored.
  const unknown = columns.filter((c) => c !== '' && !['name', 'prompt', 'positive_prompt', 'negative_prompt'].includes(c))
  const problems: string[] = []
  if (nameCol < 0 || promptCol < 0) problems.push(`line 1: the header must name the columns name, prompt and negative_prompt (found: ${columns.filter(Boolean).join(', ') || 'nothing'})`)
  if (unknown.length) problems.push(`line 1: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')}`)
  if (problems.length) throw fileError(file, problems)
  const cell = (fields: string[], index: number) => (index < 0 ? '' : (fields[index] ?? '').trim())
  const rows = body.map((r) => ({ where: `line ${r.line}`, name: cell(r.fields, nameCol), prompt: cell(r.fields, promptCol), negative: cell(r.fields, negativeCol) }))
  return presetsToTemplates(rows, file, source)
}

/** Reads a template file by its content: a CSV is an InvokeAI style preset file, JSON either kind. */
export function parseTemplateFile(text: string, path: string): ParsedTemplateFile {
  const file = basename(path)
  const trimmed = text.replace(/^\uFEFF/, '').trimStart()
  if (!trimmed) throw fileError(file, ['the file is empty'])
  if (!/\.json$/i.test(path) && !trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    return { format: 'invokeai-csv', templates: parseInvokeCsv(text, file, file) }
  }
  let value: unknown
  try {
    value = JSON.parse(trimmed)
  } catch (err) {
    throw fileError(file, [`it is not valid JSON (${(err as Error).message})`])
  }
  if (Array.isArray(value)) return { format: 'invokeai-json', templates: parseInvokeJson(value, file, file) }
  return { format: 'pixdesk-json', templates: parsePixdeskJson(value, file) }
}

/** The document an export writes: what an import reads back. */
export function exportDocument(templates: readonly Template[], now: Date): unknown {
  return {
    format: TEMPLATE_EXPORT_FORMAT,
    version: 1,
    exportedAt: now.toISOString(),
    templates: templates.map(({ builtIn: _builtIn, createdAt: _created, updatedAt: _updated, ...t }) => t)
  }
}
