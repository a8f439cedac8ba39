import sharp from 'sharp'
import { EDIT_THRESHOLD, scaleMask, type EditMask } from './read'

/**
 * What each kind of model is sent for a masked edit. GPT image models take a `mask` part: an RGBA PNG of
 * exactly the first image's size, transparent where the edit may happen. Models without a mask parameter
 * (Gemini) are sent only the masked region, cut out with a margin of context, so they cannot touch the rest.
 */

export interface Box {
  left: number
  top: number
  width: number
  height: number
}

/** OpenAI's mask convention at the size of the image actually uploaded. */
export async function openaiMaskPng(mask: EditMask, width: number, height: number): Promise<Buffer> {
  const values = await scaleMask(mask, width, height)
  const rgba = Buffer.alloc(width * height * 4)
  for (let i = 0; i < values.length; i++) rgba[i * 4 + 3] = 255 - values[i]!
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer()
}

/** The smallest box holding every pixel to edit; null when there is none. */
export function editBounds(mask: EditMask): Box | null {
  let left = mask.width
  let top = mask.height
  let right = -1
  let bottom = -1
  for (let y = 0; y < mask.height; y++) {
    const row = y * mask.width
    for (let x = 0; x < mask.width; x++) {
      if (mask.data[row + x]! < EDIT_THRESHOLD) continue
      if (x < left) left = x
      if (x > right) right = x
      if (y < top) top = y
      if (y > bottom) bottom = y
    }
  }
  return right < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 }
}

/**
 * The region sent to a model without a mask parameter: the edit's bounds plus a margin of context (a
 * quarter of the box's larger side, at least 32 px), clamped to the picture.
 */
export function cropBox(mask: EditMask): Box | null {
  const bounds = editBounds(mask)
  if (!bounds) return null
  const margin = Math.max(32, Math.round(Math.max(bounds.width, bounds.height) / 4))
  const left = Math.max(0, bounds.left - margin)
  const top = Math.max(0, bounds.top - margin)
  const right = Math.min(mask.width, bounds.left + bounds.width + margin)
  const bottom = Math.min(mask.height, bounds.top + bounds.height + margin)
  return { left, top, width: right - left, height: bottom - top }
}

/** A box measured on one size of a picture, on another size of it (rounded outwards, clamped). */
export function scaleBox(box: Box, from: { width: number; height: number }, to: { width: number; height: number }): Box {
  const sx = to.width / from.width
  const sy = to.height / from.height
  const left = Math.floor(box.left * sx)
  const top = Math.floor(box.top * sy)
  const right = Math.min(to.width, Math.ceil((box.left + box.width) * sx))
  const bottom = Math.min(to.height, Math.ceil((box.top + box.height) * sy))
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) }
}

/** The region of an (upright) image file as a PNG, for the crop route's upload. */
export function cropImage(imagePath: string, box: Box): Promise<Buffer> {
  return sharp(imagePath).rotate().extract(box).png().toBuffer()
}
