import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../shared/errors'
import { detectImageFormat } from './imageformat'
import { syncDir } from './outputs'
import type { KeptImage } from './jobs/model'

/**
 * The recovery area: images of paid results that could not be written where they belong (a full disk, a
 * folder removed or read-only) are kept in the data folder until they can be saved again. Each result
 * has its own folder, named by its record id.
 */
export function recoveryDir(dataDir: string): string {
  return join(dataDir, 'recovery')
}

const EXT: Record<string, string> = { png: '.png', jpeg: '.jpg', webp: '.webp', gif: '.gif', avif: '.avif' }

function resultDir(dataDir: string, recordId: string): string {
  // Record ids are generated here (UUIDs); anything else must not become a path.
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(recordId)) {
    throw new AppError({ code: 'internal', message: `"${recordId}" is not a record id a recovery folder can be named after.` })
  }
  return join(recoveryDir(dataDir), recordId)
}

/**
 * Writes every image of a paid result whole (temporary file, flushed, then renamed), or none: a partial
 * set is removed again, and no temporary file is left on any path.
 */
export async function keepPaidImages(dataDir: string, recordId: string, images: readonly { bytes: Buffer }[]): Promise<KeptImage[]> {
  const dir = resultDir(dataDir, recordId)
  await mkdir(dir, { recursive: true })
  const kept: KeptImage[] = []
  try {
    for (const [i, image] of images.entries()) {
      const ext = EXT[detectImageFormat(image.bytes.subarray(0, 512)) ?? ''] ?? '.bin'
      const path = join(dir, `${i + 1}${ext}`)
      await writeWhole(path, image.bytes)
      kept.push({ path, sha256: sha256(image.bytes), bytes: image.bytes.length })
    }
    await syncDir(dir)
    return kept
  } catch (err) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined)
    throw err
  }
}

/** The kept images, each checked against the hash it was written with. */
export async function readKeptImages(kept: readonly KeptImage[]): Promise<{ bytes: Buffer }[]> {
  return Promise.all(
    kept.map(async (image) => {
      let bytes: Buffer
      try {
        bytes = await readFile(image.path)
      } catch (err) {
        throw new AppError({
          code: 'not_saved',
          path: image.path,
          message: `The kept copy ${image.path} of this paid result cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`
        })
      }
      if (bytes.length !== image.bytes || sha256(bytes) !== image.sha256) {
        throw new AppError({ code: 'not_saved', path: image.path, message: `The kept copy ${image.path} of this paid result has changed since it was kept; it is not saved as the result.` })
      }
      return { bytes }
    })
  )
}

/**
 * The images kept for a record, found on disk: after a crash between keeping them and saving the queue,
 * this is how they are found again. Only whole files exist under their final names (each was renamed
 * into place once flushed), so each is described by what it holds now.
 */
export async function findKeptImages(dataDir: string, recordId: string): Promise<KeptImage[]> {
  const dir = resultDir(dataDir, recordId)
  const names = await readdir(dir).catch(() => [] as string[])
  const images = names.filter((n) => /^\d+\.(png|jpg|webp|gif|avif|bin)$/.test(n)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
  return Promise.all(
    images.map(async (name) => {
      const bytes = await readFile(join(dir, name))
      return { path: join(dir, name), sha256: sha256(bytes), bytes: bytes.length }
    })
  )
}

/** Removes a result's kept images once they are saved where they belong. */
export async function discardKeptImages(dataDir: string, recordId: string): Promise<void> {
  await rm(resultDir(dataDir, recordId), { recursive: true, force: true })
}

async function writeWhole(path: string, bytes: Buffer): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
    try {
      await fh.writeFile(bytes)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
