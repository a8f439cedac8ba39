import { mkdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../shared/errors'
import {
  renderTemplate,
  slugOf,
  storedTemplateSchema,
  templateInputSchema,
  type Template,
  type TemplateImportView,
  type TemplateInput,
  type TemplateUsage,
  type TemplateView
} from '../../shared/templates'
import { writeJsonAtomic } from './atomic'
import type { History } from './history/history'
import { exportDocument, parseTemplateFile, type ParsedTemplateFile } from './template-files'
import { readUserList } from './user-list-file'
import { unknownTemplateError, type TemplateLibrary } from './templates'

/**
 * The templates a person owns, in `templates.json` in the data folder, beside the built-in ones. The
 * file is replaced whole on every change (temporary file, flush, rename), so a crash leaves the old or
 * the new list, never half of one. Each change re-reads the file first, so the command line and the app
 * can both edit it. An entry that no longer validates is kept in the file untouched and reported, never
 * dropped; a file that is not JSON at all is copied aside before it is replaced.
 *
 * Usage counts are not stored: they are the requests in the local history made with the template.
 */

export interface TemplateService extends TemplateLibrary {
  /** Picks up changes another process (the command line) made to the file. */
  refresh(): Promise<void>
  views(): Promise<TemplateView[]>
  view(id: string): Promise<TemplateView>
  create(input: TemplateInput): Promise<TemplateView>
  update(id: string, input: TemplateInput): Promise<TemplateView>
  /** A copy the user owns, of a built-in or of one of theirs. */
  duplicate(id: string): Promise<TemplateView>
  remove(id: string): Promise<void>
  /** Adds every template of a Pixdesk JSON export or an InvokeAI style preset file (CSV or JSON), or none. */
  importFile(path: string): Promise<TemplateImportView>
  /** Writes the given templates (default: all the user's own) as a Pixdesk JSON export. */
  exportFile(path: string, ids?: readonly string[]): Promise<{ path: string; count: number }>
  /** What was wrong with the file when it was last read, in words. */
  warnings(): string[]
}

interface TemplateStoreOptions {
  dataDir: string
  builtIns: readonly Template[]
  /** Usage per template id, from the history; absent: every template reads as never used. */
  usageOf?: (ids: readonly string[]) => Promise<Map<string, TemplateUsage>>
  now?: () => Date
}

interface Loaded {
  templates: Template[]
  /** Entries that do not validate, written back as they were. */
  kept: unknown[]
  stamp: string
  warnings: string[]
}

const FILE_NAME = 'templates.json'
const NEVER_USED: TemplateUsage = { count: 0, lastUsedAt: null }

export function templatesFile(dataDir: string): string {
  return join(dataDir, FILE_NAME)
}

async function stampOf(path: string): Promise<string> {
  try {
    const s = await stat(path)
    return `${s.mtimeMs}:${s.size}:${s.ino}`
  } catch {
    return 'missing'
  }
}

async function readStore(path: string, builtInIds: ReadonlySet<string>): Promise<Loaded> {
  const stamp = await stampOf(path)
  const list = await readUserList({ path, key: 'templates', singular: 'template', entryWord: 'entry', schema: storedTemplateSchema, builtInIds })
  return {
    templates: list.entries.map((t) => ({ ...t, builtIn: false })),
    kept: list.kept,
    // A list started afresh has a new modification time: the stamp is the new file's.
    stamp: list.reset ? await stampOf(path) : stamp,
    warnings: list.warnings
  }
}

function stored(t: Template): unknown {
  const { builtIn: _builtIn, ...rest } = t
  return rest
}

/** Fields as validated; the first problem is the error, with the field it is about. */
function validInput(input: TemplateInput): Omit<Template, 'id' | 'builtIn'> {
  const parsed = templateInputSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.join('.')
    throw new AppError({ code: 'validation', field, message: `${field ? `${field}: ` : ''}${issue.message}` })
  }
  return parsed.data
}

/** An id made from the name and not taken yet: its slug, else the slug with -2, -3, ... */
function freshId(name: string, taken: ReadonlySet<string>): string {
  const base = slugOf(name)
  if (!taken.has(base)) return base
  for (let n = 2; ; n++) {
    const candidate = `${base.slice(0, 60)}-${n}`
    if (!taken.has(candidate)) return candidate
  }
}

async function readTemplateFile(file: string): Promise<ParsedTemplateFile> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new AppError({ code: 'unreadable', path: file, message: `${file} cannot be read: ${(err as Error).message}.` }, { cause: err })
  }
  return parseTemplateFile(text, file)
}

/** Imported templates as the user's own: each keeps its id where that is free, and is renamed (and says so) where not. */
function asNewTemplates(parsed: ParsedTemplateFile['templates'], taken: Set<string>, stamp: string): { added: Template[]; renamed: Array<{ from: string; to: string }> } {
  const added: Template[] = []
  const renamed: Array<{ from: string; to: string }> = []
  for (const { id: wanted, fields } of parsed) {
    const id = wanted && !taken.has(wanted) ? wanted : freshId(fields.name, taken)
    if (wanted && id !== wanted) renamed.push({ from: wanted, to: id })
    taken.add(id)
    added.push({ id, ...fields, builtIn: false, createdAt: stamp, updatedAt: stamp })
  }
  return { added, renamed }
}

export async function openTemplateStore(options: TemplateStoreOptions): Promise<TemplateService> {
  const path = templatesFile(options.dataDir)
  const now = options.now ?? (() => new Date())
  const builtIns = options.builtIns.map((t) => ({ ...t, builtIn: true }))
  const builtInIds = new Set(builtIns.map((t) => t.id))
  let state = await readStore(path, builtInIds)
  // One change at a time within this process; each one starts from what is on disk.
  let queue: Promise<unknown> = Promise.resolve()

  const all = () => [...builtIns, ...state.templates]
  const find = (id: string) => all().find((t) => t.id === id)
  const mustFind = (id: string) => {
    const t = find(id)
    if (!t) throw unknownTemplateError(id)
    return t
  }
  const takenIds = () => new Set([...builtInIds, ...state.templates.map((t) => t.id), ...state.kept.map((k) => String((k as { id?: unknown } | null)?.id ?? ''))])

  const refresh = async () => {
    if ((await stampOf(path)) !== state.stamp) state = await readStore(path, builtInIds)
  }

  /** Applies a change to the list as it is on disk now and writes the result atomically. */
  const change = <T>(apply: (templates: Template[]) => { templates: Template[]; result: T }): Promise<T> => {
    const run = queue.then(async () => {
      state = await readStore(path, builtInIds)
      const { templates, result } = apply(state.templates)
      await mkdir(options.dataDir, { recursive: true })
      await writeJsonAtomic(path, { version: 1, templates: [...templates.map(stored), ...state.kept] })
      state = { ...state, templates, stamp: await stampOf(path) }
      return result
    })
    queue = run.catch(() => undefined)
    return run
  }

  const usage = async (ids: readonly string[]) => (options.usageOf ? await options.usageOf(ids) : new Map<string, TemplateUsage>())
  const withUsage = async (templates: readonly Template[]): Promise<TemplateView[]> => {
    const counts = await usage(templates.map((t) => t.id))
    return templates.map((t) => ({ ...t, usage: counts.get(t.id) ?? NEVER_USED }))
  }
  const viewOf = async (t: Template) => (await withUsage([t]))[0]!
  const ownOnly = (id: string, action: string) => {
    const t = mustFind(id)
    if (t.builtIn) throw new AppError({ code: 'validation', field: 'id', message: `"${t.name}" is built in and cannot be ${action}. Duplicate it to make a copy of your own.` })
    return t
  }

  return {
    list: all,
    get: find,
    render(id, values, extra) {
      return renderTemplate(mustFind(id), values, extra)
    },
    refresh,
    warnings: () => [...state.warnings],
    async views() {
      await refresh()
      return withUsage(all())
    },
    async view(id) {
      await refresh()
      return viewOf(mustFind(id))
    },
    async create(input) {
      const fields = validInput(input)
      const stamp = now().toISOString()
      const made = await change((templates) => {
        const t: Template = { id: freshId(fields.name, takenIds()), ...fields, builtIn: false, createdAt: stamp, updatedAt: stamp }
        return { templates: [...templates, t], result: t }
      })
      return viewOf(made)
    },
    async update(id, input) {
      const fields = validInput(input)
      await refresh()
      ownOnly(id, 'changed')
      const updated = await change((templates) => {
        const old = templates.find((t) => t.id === id)
        if (!old) throw unknownTemplateError(id)
        const t: Template = { id, ...fields, builtIn: false, createdAt: old.createdAt, updatedAt: now().toISOString() }
        return { templates: templates.map((x) => (x.id === id ? t : x)), result: t }
      })
      return viewOf(updated)
    },
    async duplicate(id) {
      await refresh()
      const source = mustFind(id)
      const stamp = now().toISOString()
      const { builtIn: _builtIn, id: _id, createdAt: _created, updatedAt: _updated, ...fields } = source
      const name = `${fields.name.slice(0, 72)} (copy)`
      const copy = await change((templates) => {
        const t: Template = { ...fields, name, id: freshId(name, takenIds()), builtIn: false, createdAt: stamp, updatedAt: stamp }
        return { templates: [...templates, t], result: t }
      })
      return viewOf(copy)
    },
    async remove(id) {
      await refresh()
      ownOnly(id, 'deleted')
      await change((templates) => ({ templates: templates.filter((t) => t.id !== id), result: undefined }))
    },
    async importFile(file) {
      const parsed = await readTemplateFile(file)
      const stamp = now().toISOString()
      const { added, renamed } = await change((templates) => {
        const imported = asNewTemplates(parsed.templates, takenIds(), stamp)
        return { templates: [...templates, ...imported.added], result: imported }
      })
      return { file, format: parsed.format, imported: await withUsage(added), renamed }
    },
    async exportFile(target, ids) {
      await refresh()
      const chosen = ids?.length ? ids.map(mustFind) : state.templates
      if (!chosen.length) throw new AppError({ code: 'validation', field: 'ids', message: 'There are no templates of your own to export yet. Create or duplicate one first, or name the templates to export.' })
      await writeJsonAtomic(target, exportDocument(chosen, now()))
      return { path: target, count: chosen.length }
    }
  }
}

/** Usage per template from the history's index: how many requests named it, and the newest one's time. */
export function usageFromHistory(history: Pick<History, 'query'>): (ids: readonly string[]) => Promise<Map<string, TemplateUsage>> {
  return async (ids) => {
    const out = new Map<string, TemplateUsage>()
    for (const templateId of ids) {
      const page = await history.query({ templateId, sort: 'newest', page: 1, pageSize: 1 })
      const newest = page.items[0]
      if (page.total) out.set(templateId, { count: page.total, lastUsedAt: newest?.startedAt ?? null })
    }
    return out
  }
}
