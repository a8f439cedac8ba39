import { constants } from 'node:fs'
import { copyFile, readFile } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'

/**
 * Small JSON documents (settings, the persisted job queue) are replaced whole: written to a temporary file,
 * flushed, then renamed over the old one, so a crash leaves either the old or the new document, never half.
 */
export async function writeJsonAtomic(path: string, value: unknown, options: { mode?: number } = {}): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`
  await writeFileAtomic(path, text, { encoding: 'utf8', fsync: true, mode: options.mode ?? 0o644 })
}

export type JsonReadResult =
  | { kind: 'missing' }
  | { kind: 'ok'; value: unknown }
  | { kind: 'corrupt'; reason: string }
  | { kind: 'unreadable'; reason: string }

/** Reads a JSON document without throwing: the caller decides what a missing or corrupt file means. */
export async function readJsonFile(path: string): Promise<JsonReadResult> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'unreadable', reason: `${code ?? 'error'}: ${(err as Error).message}` }
  }
  if (text.trim() === '') return { kind: 'corrupt', reason: 'the file is empty' }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown }
  } catch (err) {
    return { kind: 'corrupt', reason: `not valid JSON (${(err as Error).message})` }
  }
}

/**
 * Keeps a copy of a file that could not be used, beside it, before it is replaced: `<file>.<label>-<timestamp>`.
 * A copy rather than a rename, so the original stays in place until the replacement is safely written.
 */
export async function backupFile(path: string, label: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-')
  let backup = `${path}.${label}-${stamp}`
  for (let n = 2; ; n++) {
    try {
      // EXCL: never overwrite an earlier backup.
      await copyFile(path, backup, constants.COPYFILE_EXCL)
      return backup
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw err
      backup = `${path}.${label}-${stamp}-${n}`
    }
  }
}
