import sharp from 'sharp'
import { EDIT_THRESHOLD, type EditMask } from './read'
import type { Box } from './route-shapes'
import { compositeFeatherSigma } from '../../../shared/feather'

/**
 * The last step of every masked edit, whatever the model did: its result is laid over the original
 * through the mask, so pixels outside the mask are the original's. Before that, how far the model
 * strayed outside the mask (the "leak") is measured, so the history can say which models respect masks.
 */

/** A pixel counts as changed when a channel moved more than this (noise and re-encoding stay below it). */
export const LEAK_CHANNEL_THRESHOLD = 24

export interface RgbImage {
  data: Buffer
  width: number
  height: number
}

export interface MaskedResult {
  /** The composited picture (PNG): the output. */
  bytes: Buffer
  /** Share of outside-mask pixels the model changed beyond LEAK_CHANNEL_THRESHOLD (0..1). */
  leak: number
}

/** An image file upright as 8-bit sRGB RGB pixels (EXIF orientation applied, alpha flattened on white). */
export async function decodeRgb(input: string | Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(input).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/**
 * The model's answer placed over the full original: resized to the whole picture (mask-taking models) or
 * into the box that was cut out and sent (models without a mask parameter).
 */
export async function placeResult(result: Buffer, original: RgbImage, box?: Box): Promise<RgbImage> {
  const target = box ?? { left: 0, top: 0, width: original.width, height: original.height }
  const resized = await sharp(result).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().resize(target.width, target.height, { fit: 'fill' }).raw().toBuffer()
  if (!box) return { data: resized, width: original.width, height: original.height }
  const placed = Buffer.from(original.data)
  const rowBytes = box.width * 3
  for (let y = 0; y < box.height; y++) {
    resized.copy(placed, ((box.top + y) * original.width + box.left) * 3, y * rowBytes, (y + 1) * rowBytes)
  }
  return { data: placed, width: original.width, height: original.height }
}

/** Share of the pixels outside the mask that differ from the original beyond the threshold. */
export function measureLeak(placed: RgbImage, original: RgbImage, mask: EditMask): number {
  let outside = 0
  let changed = 0
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i]! >= EDIT_THRESHOLD) continue
    outside++
    const p = i * 3
    if (
      Math.abs(placed.data[p]! - original.data[p]!) > LEAK_CHANNEL_THRESHOLD ||
      Math.abs(placed.data[p + 1]! - original.data[p + 1]!) > LEAK_CHANNEL_THRESHOLD ||
      Math.abs(placed.data[p + 2]! - original.data[p + 2]!) > LEAK_CHANNEL_THRESHOLD
    ) {
      changed++
    }
  }
  return outside ? changed / outside : 0
}

/**
 * The blend weights: the mask blurred so the edit fades in over a few pixels instead of showing a seam,
 * but only inwards: outside the mask the weight stays 0, so the original is untouched there.
 */
export async function featherWeights(mask: EditMask): Promise<Buffer> {
  const sigma = compositeFeatherSigma(mask.width, mask.height)
  const blurred = await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } }).blur(sigma).extractChannel(0).raw().toBuffer()
  const weights = Buffer.alloc(mask.data.length)
  for (let i = 0; i < weights.length; i++) weights[i] = mask.data[i]! < EDIT_THRESHOLD ? 0 : Math.min(mask.data[i]!, blurred[i]!)
  return weights
}

/** Result over original through the feathered mask; `mask` must be at the original's size. */
export async function compositeMasked(placed: RgbImage, original: RgbImage, mask: EditMask): Promise<Buffer> {
  const weights = await featherWeights(mask)
  const out = Buffer.allocUnsafe(original.data.length)
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!
    for (let c = 0; c < 3; c++) {
      const p = i * 3 + c
      out[p] = w === 0 ? original.data[p]! : Math.round((placed.data[p]! * w + original.data[p]! * (255 - w)) / 255)
    }
  }
  return sharp(out, { raw: { width: original.width, height: original.height, channels: 3 } }).png().toBuffer()
}

/** Places, measures the leak and composites one output of a masked edit. */
export async function finishMaskedOutput(result: Buffer, original: RgbImage, mask: EditMask, box?: Box): Promise<MaskedResult> {
  const placed = await placeResult(result, original, box)
  const leak = measureLeak(placed, original, mask)
  return { bytes: await compositeMasked(placed, original, mask), leak }
}
