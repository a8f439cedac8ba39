import { readFile } from 'node:fs/promises'
import sharp from 'sharp'
import { AppError } from '../../../shared/errors'
import { detectImageFormat } from '../imageformat'

/**
 * A mask as Pixdesk works with it: one byte per pixel of the input, 255 where the edit may happen and 0
 * where the original must stay. Grey values in between are a soft edge the user painted.
 */
export interface EditMask {
  data: Buffer
  width: number
  height: number
}

/** A mask whose aspect ratio differs more than this from the input's would move the painted area. */
export const MAX_ASPECT_DIFFERENCE = 0.01
/** Pixels at or above this value count as "to edit" for coverage, bounding boxes and the leak. */
export const EDIT_THRESHOLD = 128

const maskError = (message: string, path?: string) => new AppError({ code: 'validation', field: 'mask', path, message })

/**
 * Reads a mask file in either of the two usual conventions and scales it to the input's size:
 * a PNG with transparency (transparent = edit, as OpenAI defines it) or a greyscale/black-and-white image
 * (white = edit). Refuses a file that is not an image, a different aspect ratio, and a mask that covers
 * nothing or everything, each with the reason.
 */
export async function readMask(path: string, target: { width: number; height: number }): Promise<ScaledMask> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw new AppError({ code: 'validation', field: 'mask', path, message: `The mask ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}.` }, { cause: err })
  }
  return readMaskBytes(bytes, target, { name: path, path })
}

export type ScaledMask = EditMask & { scaledFrom?: { width: number; height: number } }

/** As `readMask`, for a mask already in memory (drawn in the window); `source.name` is how messages name it. */
export async function readMaskBytes(bytes: Buffer, target: { width: number; height: number }, source: { name: string; path?: string }): Promise<ScaledMask> {
  const { name, path } = source
  if (!detectImageFormat(bytes)) throw maskError(`The mask ${name} is not an image: use a PNG with transparency (transparent = edit) or a black-and-white image (white = edit).`, path)
  let image: { data: Buffer; width: number; height: number }
  try {
    image = await maskValues(bytes)
  } catch (err) {
    throw new AppError({ code: 'validation', field: 'mask', path, message: `The mask ${name} could not be decoded: ${err instanceof Error ? err.message : String(err)}.` }, { cause: err })
  }
  const maskAspect = image.width / image.height
  const inputAspect = target.width / target.height
  const difference = Math.abs(maskAspect - inputAspect) / inputAspect
  if (difference > MAX_ASPECT_DIFFERENCE) {
    throw maskError(
      `The mask ${name} is ${image.width}×${image.height} but the image is ${target.width}×${target.height}: their aspect ratios differ by ${(difference * 100).toFixed(1)}%, so the painted area would land in the wrong place. Make the mask with the same proportions as the image.`,
      path
    )
  }
  const sameSize = image.width === target.width && image.height === target.height
  const data = sameSize ? image.data : await scaleMask(image, target.width, target.height)
  const mask = { data, width: target.width, height: target.height }
  const covered = coverage(mask)
  if (covered === 0) throw maskError(`The mask ${name} marks nothing to edit (it is all black or fully opaque): paint the area to change in white, or make it transparent.`, path)
  if (covered === 1) throw maskError(`The mask ${name} marks the whole image to edit (all white or fully transparent), which is the same as no mask: leave the area to keep black or opaque.`, path)
  return sameSize ? mask : { ...mask, scaledFrom: { width: image.width, height: image.height } }
}

/** Edit values from either convention: transparency when the image has any, else its brightness. */
async function maskValues(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const meta = await sharp(bytes).metadata()
  if (meta.hasAlpha) {
    const { data, info } = await sharp(bytes).rotate().extractChannel('alpha').raw().toBuffer({ resolveWithObject: true })
    // A fully opaque alpha channel says nothing: such a file is read by its brightness like any other.
    if (data.some((a) => a < 255)) return { data: invert(data), width: info.width, height: info.height }
  }
  const { data, info } = await sharp(bytes).rotate().flatten({ background: '#000000' }).greyscale().extractChannel(0).raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

function invert(values: Buffer): Buffer {
  const out = Buffer.allocUnsafe(values.length)
  for (let i = 0; i < values.length; i++) out[i] = 255 - values[i]!
  return out
}

/** One-channel raw mask resized to another size (linear, so a hard edge stays within a pixel of where it was). */
export async function scaleMask(mask: EditMask, width: number, height: number): Promise<Buffer> {
  if (mask.width === width && mask.height === height) return mask.data
  return sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .extractChannel(0)
    .raw()
    .toBuffer()
}

/** Share of pixels marked for editing (0..1). */
export function coverage(mask: EditMask): number {
  let inside = 0
  for (const v of mask.data) if (v >= EDIT_THRESHOLD) inside++
  return inside / mask.data.length
}

/** The mask as a greyscale PNG (white = edit): the form Pixdesk keeps it in. */
export function maskPng(mask: EditMask): Promise<Buffer> {
  return sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } }).png().toBuffer()
}

/** A mask Pixdesk saved itself (greyscale PNG, already at the input's size). */
export async function decodeStoredMask(bytes: Buffer): Promise<EditMask> {
  const { data, info } = await sharp(bytes).extractChannel(0).raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}
