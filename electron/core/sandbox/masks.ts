import { createHash } from 'node:crypto'
import sharp, { type Metadata } from 'sharp'
import { maskRouteFor, type ModelEntry } from '../../../shared/catalog'
import { detectImageFormat } from '../imageformat'

/**
 * The sandbox's side of masked edits, as docs/pixapi-contract.md assumes Pixapi's GPT routes behave: the
 * `mask` part is an RGBA PNG of exactly the first image's size, transparent where the edit may happen.
 * The simulated edit then changes only the transparent area, unless the fault plan asks it to leak.
 */

export interface MaskStat {
  sha256: string
  bytes: number
  width: number
  height: number
  /** Share of the mask that is transparent (to edit). */
  editShare: number
}

/** A reason to refuse the mask (400, param "mask"), or what it is. */
export async function checkMask(model: ModelEntry, mask: Buffer, image: Buffer | undefined): Promise<{ problem: string } | { stat: MaskStat }> {
  if (maskRouteFor(model) !== 'native') return { problem: `Model "${model.id}" does not take a mask.` }
  if (detectImageFormat(mask) !== 'png') return { problem: 'The mask must be a PNG.' }
  let meta: Metadata
  try {
    meta = await sharp(mask).metadata()
  } catch {
    return { problem: 'The mask PNG could not be decoded.' }
  }
  if (!meta.hasAlpha || meta.channels !== 4) return { problem: `The mask must be an RGBA PNG with an alpha channel (it has ${meta.channels ?? 0} channels).` }
  if (image) {
    const size = await sharp(image).metadata()
    const w = size.autoOrient?.width ?? size.width
    const h = size.autoOrient?.height ?? size.height
    if (meta.width !== w || meta.height !== h) return { problem: `The mask is ${meta.width}×${meta.height} but the image is ${w}×${h}; they must be the same size.` }
  }
  const alpha = await sharp(mask).extractChannel('alpha').raw().toBuffer()
  let edit = 0
  for (const a of alpha) if (a < 128) edit++
  return { stat: { sha256: createHash('sha256').update(mask).digest('hex'), bytes: mask.length, width: meta.width!, height: meta.height!, editShare: edit / alpha.length } }
}

/**
 * The simulated result kept to the mask: the input outside it, the simulation inside. With `leakRows`
 * (0..1) the edit also reaches outside the mask in that top share of rows, every channel moved by 128, so
 * the leak a client measures there is known exactly.
 */
export async function keepToMask(simulated: Buffer, input: Buffer, mask: Buffer, leakRows: number): Promise<Buffer> {
  const sim = await sharp(simulated).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const { width, height } = sim.info
  const base = await sharp(input).rotate().resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer()
  // sharp applies one extractChannel per pipeline, so the alpha is taken out before it is resized.
  const full = await sharp(mask).extractChannel('alpha').raw().toBuffer({ resolveWithObject: true })
  const alpha = await sharp(full.data, { raw: { width: full.info.width, height: full.info.height, channels: 1 } }).resize(width, height, { fit: 'fill' }).extractChannel(0).raw().toBuffer()
  const out = Buffer.allocUnsafe(width * height * 3)
  const leakUntil = Math.round(height * leakRows)
  for (let i = 0; i < width * height; i++) {
    const inside = alpha[i]! < 128
    const leaking = !inside && Math.floor(i / width) < leakUntil
    for (let c = 0; c < 3; c++) {
      const p = i * 3 + c
      out[p] = inside ? sim.data[p]! : leaking ? (base[p]! + 128) % 256 : base[p]!
    }
  }
  return sharp(out, { raw: { width, height, channels: 3 } }).png().toBuffer()
}
