import type { z } from 'zod'
import { AppError } from '../../shared/errors'
import { backupFile, readJsonFile, writeJsonAtomic } from './atomic'

/**
 * A list a person owns beside built-in entries (`templates.json`, `packs.json`): `{ version: 1, <key>: [...] }`.
 * Read the same way for every such list: an entry that no longer validates, or reuses an id, is kept in
 * the file untouched and reported, never dropped; a file that is not such a list is copied aside and an
 * empty one started, with a warning saying where the old one went.
 */

interface UserListFile<S extends { id: string }> {
  path: string
  /** The list's key in the file, and the word for its entries in messages: "templates", "packs". */
  key: string
  /** One entry, in "not a version 1 template list". */
  singular: string
  /** How an entry is named in a warning: "entry 2 ("Broken")", "pack 2 ("Broken")". */
  entryWord: string
  schema: z.ZodType<S>
  builtInIds: ReadonlySet<string>
}

interface UserList<S> {
  entries: S[]
  /** Entries kept in the file as they are (invalid, or a reused id), written back on every change. */
  kept: unknown[]
  warnings: string[]
  /** The file was not a list and a new, empty one was written (its modification time changed). */
  reset: boolean
}

function describeEntry(word: string, raw: unknown, index: number): string {
  const name = (raw as { name?: unknown } | null)?.name
  return `${word} ${index + 1}${typeof name === 'string' ? ` ("${name.slice(0, 60)}")` : ''}`
}

export async function readUserList<S extends { id: string }>(file: UserListFile<S>): Promise<UserList<S>> {
  const { path, key } = file
  const read = await readJsonFile(path)
  if (read.kind === 'missing') return { entries: [], kept: [], warnings: [], reset: false }
  if (read.kind === 'unreadable') throw new AppError({ code: 'unreadable', path, message: `Your ${key} (${path}) cannot be read: ${read.reason}.` })
  const doc = read.kind === 'ok' ? (read.value as ({ version?: unknown } & Record<string, unknown>) | null) : null
  const list = doc && typeof doc === 'object' ? doc[key] : undefined
  if (read.kind === 'corrupt' || !doc || doc.version !== 1 || !Array.isArray(list)) {
    const reason = read.kind === 'corrupt' ? read.reason : `it is not a version 1 ${file.singular} list`
    const backup = await backupFile(path, 'corrupt')
    await writeJsonAtomic(path, { version: 1, [key]: [] })
    return { entries: [], kept: [], reset: true, warnings: [`Your ${key} file could not be used (${reason}); it was kept as ${backup} and a new, empty one started.`] }
  }
  const entries: S[] = []
  const kept: unknown[] = []
  const warnings: string[] = []
  const seen = new Set<string>()
  list.forEach((raw, i) => {
    const parsed = file.schema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      warnings.push(`${path}: ${describeEntry(file.entryWord, raw, i)} is not offered: ${issue?.path.join('.') || 'entry'} ${issue?.message ?? 'is invalid'}. It stays in the file; fix or delete it there.`)
      kept.push(raw)
    } else if (seen.has(parsed.data.id) || file.builtInIds.has(parsed.data.id)) {
      warnings.push(`${path}: ${describeEntry(file.entryWord, raw, i)} reuses the id "${parsed.data.id}" and is not offered. It stays in the file; give it another id there.`)
      kept.push(raw)
    } else {
      seen.add(parsed.data.id)
      entries.push(parsed.data)
    }
  })
  return { entries, kept, warnings, reset: false }
}
