import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { z } from 'zod'
import { AppError } from '../../../shared/errors'
import { decodeStoredMask, maskPng, readMask, readMaskBytes, type EditMask, type ScaledMask } from './read'

/**
 * Masks are copied into the data folder in one normalised form (greyscale PNG at the input's upright
 * size, white = edit) and named by their hash: the item snapshot keeps the path and hash, so a retry or a
 * resumed batch sends the very same mask even if the user's file changed or went away.
 */
export const maskRefSchema = z.object({ path: z.string().min(1), sha256: z.string().length(64) })
export type MaskRef = z.infer<typeof maskRefSchema>

export interface StoredMask extends MaskRef {
  width: number
  height: number
  /** The user's mask had another size and was scaled to the input's. */
  scaledFrom?: { width: number; height: number }
}

/** The size a picture is seen at: EXIF orientation applied, as the user painted over it. */
export async function uprightSize(imagePath: string): Promise<{ width: number; height: number }> {
  const meta = await sharp(imagePath).metadata()
  const width = meta.autoOrient?.width ?? meta.width
  const height = meta.autoOrient?.height ?? meta.height
  if (!width || !height) throw new AppError({ code: 'validation', field: 'inputs', path: imagePath, message: `The size of ${imagePath} cannot be read, so a mask cannot be fitted to it.` })
  return { width, height }
}

/** Checks the user's mask against the input and keeps the normalised copy under `<data>/masks/`. */
export async function storeMask(dataDir: string, maskPath: string, inputPath: string): Promise<StoredMask> {
  return keep(dataDir, await readMask(maskPath, await uprightSize(inputPath)))
}

/**
 * A mask drawn in the window (PNG bytes), checked against the picture it was drawn over exactly as a
 * mask file is, and kept the same way.
 */
export async function storeDrawnMask(dataDir: string, png: Buffer, inputPath: string): Promise<StoredMask> {
  return keep(dataDir, await readMaskBytes(png, await uprightSize(inputPath), { name: 'drawn in the editor' }))
}

async function keep(dataDir: string, mask: ScaledMask): Promise<StoredMask> {
  const png = await maskPng(mask)
  const sha256 = createHash('sha256').update(png).digest('hex')
  const dir = join(dataDir, 'masks')
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${sha256}.png`)
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, png, { flush: true })
  await rename(temp, path)
  return { path, sha256, width: mask.width, height: mask.height, ...(mask.scaledFrom ? { scaledFrom: mask.scaledFrom } : {}) }
}

/** A stored mask, checked against the hash the snapshot recorded, so nothing else is ever sent in its place. */
export async function loadMask(ref: MaskRef): Promise<EditMask> {
  let bytes: Buffer
  try {
    bytes = await readFile(ref.path)
  } catch (err) {
    throw new AppError({ code: 'validation', field: 'mask', path: ref.path, message: `The mask saved with this request (${ref.path}) is missing; draw or choose the mask again.` }, { cause: err })
  }
  if (createHash('sha256').update(bytes).digest('hex') !== ref.sha256) {
    throw new AppError({ code: 'validation', field: 'mask', path: ref.path, message: `The mask saved with this request (${ref.path}) has changed since; nothing was sent. Choose the mask again.` })
  }
  return decodeStoredMask(bytes)
}

/**
 * The mask the window drew for a request's one image, stored and named for the engine's spec. An image
 * that cannot be sent leaves nothing to fit the mask to, so it is refused here, before anything is queued.
 */
export async function drawnMaskRef(dataDir: string, pngBase64: string, files: ReadonlyArray<{ path?: string }> | undefined): Promise<MaskRef> {
  const [only, ...more] = files ?? []
  if (!only?.path || more.length) throw new AppError({ code: 'validation', field: 'mask', message: 'A mask goes with exactly one image to edit, and that image can be sent.' })
  const stored = await storeDrawnMask(dataDir, Buffer.from(pngBase64, 'base64'), only.path)
  return { path: stored.path, sha256: stored.sha256 }
}
