import { mkdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import {
  builtInPacks,
  PACK_EXPORT_FORMAT,
  packExportSchema,
  packIdSchema,
  packInputSchema,
  packSlug,
  storedPackSchema,
  type Pack,
  type PackInput
} from '../../../shared/packs'
import { writeJsonAtomic } from '../atomic'
import { readUserList } from '../user-list-file'

/**
 * The packs a person owns, in `packs.json` in the data folder, beside the built-in ones. As with the
 * templates: the file is replaced whole (temporary file, flush, rename) after re-reading it, so the app
 * and the command line can both change it; an entry that no longer validates is kept untouched and
 * reported; a file that is not JSON is copied aside before a new one is started.
 */

export interface PackStore {
  list(): Promise<Pack[]>
  get(id: string): Promise<Pack | undefined>
  /** A pack by id, or by name (any case): an unknown one is an error that lists the packs there are. */
  find(idOrName: string): Promise<Pack>
  /** Creates a pack (no id) or replaces one of the user's (id given). Built-in packs cannot be changed. */
  save(input: PackInput, id?: string): Promise<Pack>
  remove(id: string): Promise<void>
  /** Adds every pack of an export file (or a single pack object); ids already taken get a new one. */
  importText(text: string, source: string): Promise<{ imported: Pack[]; renamed: Array<{ from: string; to: string }> }>
  importFile(path: string): Promise<{ imported: Pack[]; renamed: Array<{ from: string; to: string }> }>
  /** The export document for the given packs (default: the user's own). */
  exportDocument(ids?: readonly string[]): Promise<unknown>
  exportFile(path: string, ids?: readonly string[]): Promise<{ path: string; count: number }>
  warnings(): string[]
}

const FILE_NAME = 'packs.json'
const builtInIds = new Set(builtInPacks.map((p) => p.id))

export function packsFile(dataDir: string): string {
  return join(dataDir, FILE_NAME)
}

interface Loaded {
  packs: Pack[]
  kept: unknown[]
  warnings: string[]
}

async function readStore(path: string): Promise<Loaded> {
  const list = await readUserList({ path, key: 'packs', singular: 'pack', entryWord: 'pack', schema: storedPackSchema, builtInIds })
  return { packs: list.entries.map((p) => ({ ...p, builtIn: false })), kept: list.kept, warnings: list.warnings }
}

/** The fields as validated; the first problem is the error, naming the field (targets.1.width). */
export function validPackInput(input: unknown, where = ''): Omit<Pack, 'id' | 'builtIn'> {
  const parsed = packInputSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.join('.')
    throw new AppError({ code: 'validation', field: field || undefined, message: `${where}${field ? `${field}: ` : ''}${issue.message}` })
  }
  return parsed.data
}

function stored(p: Pack): unknown {
  const { builtIn: _builtIn, ...rest } = p
  return rest
}

function unknownPackError(wanted: string, all: readonly Pack[]): AppError {
  const names = all.map((p) => `${p.id} (${p.name})`).join(', ')
  return new AppError({ code: 'validation', field: 'pack', message: `There is no pack "${wanted}". The packs are: ${names}.` })
}

/** Entries of an import file: an export document, a list of packs, or one pack. */
function importEntries(text: string, source: string): unknown[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new AppError({ code: 'validation', path: source, message: `${source} is not a pack file: not valid JSON (${(err as Error).message}).` })
  }
  if (Array.isArray(value)) return value
  if (value && typeof value === 'object' && 'format' in value) {
    const doc = packExportSchema.safeParse(value)
    if (!doc.success) throw new AppError({ code: 'validation', path: source, message: `${source} is not a Pixdesk pack export: ${doc.error.issues[0]?.message ?? 'unknown layout'}.` })
    return doc.data.packs
  }
  return [value]
}

/** The packs of a file, validated, with the id each asks for (a pack file given to a run directly). */
export function packsFromText(text: string, source: string): Array<{ wanted?: string; fields: Omit<Pack, 'id' | 'builtIn'> }> {
  return importEntries(text, source).map((raw, i) => {
    const { id, createdAt: _c, updatedAt: _u, builtIn: _b, ...fields } = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>
    const label = typeof fields.name === 'string' ? `"${fields.name.slice(0, 60)}"` : `pack ${i + 1}`
    return { wanted: typeof id === 'string' && packIdSchema.safeParse(id).success ? id : undefined, fields: validPackInput(fields, `${source}, ${label}: `) }
  })
}

export async function openPackStore(options: { dataDir: string; now?: () => Date }): Promise<PackStore> {
  const path = packsFile(options.dataDir)
  const now = options.now ?? (() => new Date())
  const builtIns = builtInPacks.map((p) => ({ ...p, targets: p.targets.map((t) => ({ ...t })) }))
  let state = await readStore(path)
  let queue: Promise<unknown> = Promise.resolve()

  const refresh = async () => {
    state = await readStore(path)
  }
  const all = () => [...builtIns, ...state.packs]
  const takenIds = () => new Set([...builtInIds, ...state.packs.map((p) => p.id), ...state.kept.map((k) => String((k as { id?: unknown } | null)?.id ?? ''))])
  const freshId = (name: string, taken: ReadonlySet<string>) => {
    const base = packSlug(name)
    if (!taken.has(base)) return base
    for (let n = 2; ; n++) {
      const candidate = `${base.slice(0, 60)}-${n}`
      if (!taken.has(candidate)) return candidate
    }
  }
  const change = <T>(apply: (packs: Pack[]) => { packs: Pack[]; result: T }): Promise<T> => {
    const run = queue.then(async () => {
      state = await readStore(path)
      const { packs, result } = apply(state.packs)
      await mkdir(options.dataDir, { recursive: true })
      await writeJsonAtomic(path, { version: 1, packs: [...packs.map(stored), ...state.kept] })
      state = { ...state, packs }
      return result
    })
    queue = run.catch(() => undefined)
    return run
  }

  const store: PackStore = {
    async list() {
      await refresh()
      return all()
    },
    async get(id) {
      await refresh()
      return all().find((p) => p.id === id)
    },
    async find(idOrName) {
      await refresh()
      const key = idOrName.trim().toLowerCase()
      const found = all().find((p) => p.id === key) ?? all().find((p) => p.name.toLowerCase() === key)
      if (!found) throw unknownPackError(idOrName, all())
      return found
    },
    async save(input, id) {
      const fields = validPackInput(input)
      const stamp = now().toISOString()
      if (id !== undefined) {
        if (builtInIds.has(id)) throw new AppError({ code: 'validation', field: 'id', message: `"${id}" is built in and cannot be changed. Save it under a new name to make a copy of your own.` })
        if (!packIdSchema.safeParse(id).success) throw new AppError({ code: 'validation', field: 'id', message: `"${id}" is not a pack id.` })
      }
      return change((packs) => {
        const old = id === undefined ? undefined : packs.find((p) => p.id === id)
        if (id !== undefined && !old) throw unknownPackError(id, all())
        const pack: Pack = { id: old?.id ?? freshId(fields.name, takenIds()), ...fields, builtIn: false, createdAt: old?.createdAt ?? stamp, updatedAt: stamp }
        return { packs: old ? packs.map((p) => (p.id === old.id ? pack : p)) : [...packs, pack], result: pack }
      })
    },
    async remove(id) {
      await refresh()
      if (builtInIds.has(id)) throw new AppError({ code: 'validation', field: 'id', message: `"${id}" is built in and cannot be deleted.` })
      await change((packs) => {
        if (!packs.some((p) => p.id === id)) throw unknownPackError(id, all())
        return { packs: packs.filter((p) => p.id !== id), result: undefined }
      })
    },
    async importText(text, source) {
      const entries = packsFromText(text, source)
      const stamp = now().toISOString()
      return change((packs) => {
        const taken = takenIds()
        const imported: Pack[] = []
        const renamed: Array<{ from: string; to: string }> = []
        for (const { wanted, fields } of entries) {
          const id = wanted && !taken.has(wanted) ? wanted : freshId(fields.name, taken)
          if (wanted && id !== wanted) renamed.push({ from: wanted, to: id })
          taken.add(id)
          imported.push({ id, ...fields, builtIn: false, createdAt: stamp, updatedAt: stamp })
        }
        return { packs: [...packs, ...imported], result: { imported, renamed } }
      })
    },
    async importFile(file) {
      let text: string
      try {
        if ((await stat(file)).size > 5 * 1024 * 1024) throw new AppError({ code: 'validation', path: file, message: `${file} is larger than 5 MB; a pack file is a few kilobytes.` })
        text = await readFile(file, 'utf8')
      } catch (err) {
        if (err instanceof AppError) throw err
        throw new AppError({ code: 'unreadable', path: file, message: `${file} cannot be read: ${(err as Error).message}.` }, { cause: err })
      }
      return store.importText(text, file)
    },
    async exportDocument(ids) {
      await refresh()
      const chosen = ids?.length ? ids.map((id) => all().find((p) => p.id === id) ?? (() => { throw unknownPackError(id, all()) })()) : state.packs
      if (!chosen.length) throw new AppError({ code: 'validation', field: 'ids', message: 'There are no packs of your own to export yet. Create one first, or name the packs to export.' })
      return {
        format: PACK_EXPORT_FORMAT,
        version: 1,
        packs: chosen.map((p) => ({ id: p.id, name: p.name, ...(p.description ? { description: p.description } : {}), targets: p.targets }))
      }
    },
    async exportFile(target, ids) {
      const doc = (await store.exportDocument(ids)) as { packs: unknown[] }
      await writeJsonAtomic(target, doc)
      return { path: target, count: doc.packs.length }
    },
    warnings: () => [...state.warnings]
  }
  return store
}
