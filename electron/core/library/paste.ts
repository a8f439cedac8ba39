import { randomBytes } from 'node:crypto'
import { link, mkdir, open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { DecodableFormat } from './types'

const EXTENSIONS: Record<DecodableFormat, string> = { png: '.png', jpeg: '.jpg', webp: '.webp', gif: '.gif', avif: '.avif', tiff: '.tif' }
const STEM_MAX_CHARS = 60

/**
 * The readable part of a name the clipboard suggested: its last path segment, without extension,
 * reduced to letters, digits, '-' and '_'. Separators of every platform are cut first, so nothing
 * in it can name another folder.
 */
export function safeStem(suggestedName: string | undefined): string {
  if (!suggestedName) return ''
  const last = suggestedName.split(/[\\/]/).pop() ?? ''
  const stem = last.normalize('NFC').replace(/\.[^.]*$/, '')
  const safe = stem.replace(/[^\p{L}\p{N}_-]+/gu, '-').replace(/^[-_]+|[-_]+$/g, '')
  return [...safe].slice(0, STEM_MAX_CHARS).join('').replace(/[-_]+$/, '')
}

const two = (n: number) => String(n).padStart(2, '0')
const stamp = (d: Date) => `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}-${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`

/** `pasted-20250114-093012-<stem>-<random>.<ext>`: dated, unique, and typed by content. */
function pastedFileName(format: DecodableFormat, suggestedName: string | undefined, date = new Date()): string {
  const stem = safeStem(suggestedName)
  return `pasted-${stamp(date)}${stem ? `-${stem}` : ''}-${randomBytes(4).toString('hex')}${EXTENSIONS[format]}`
}

/**
 * Writes pasted bytes into `dir` under a new name: to a hidden temporary file first, flushed to disk,
 * then linked to its final name, which fails instead of replacing an existing file. No reader (the
 * library, a folder watcher, the user) ever sees a half-written image.
 */
export async function writePastedFile(dir: string, bytes: Buffer, format: DecodableFormat, suggestedName?: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const tmp = join(dir, `.paste-${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, 'wx', 0o644)
  try {
    await fh.writeFile(bytes)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const target = join(dir, pastedFileName(format, suggestedName))
      try {
        await link(tmp, target)
        return target
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err
      }
    }
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}
