import sharp from 'sharp'
import { parseSize } from '../../shared/catalog'
import type { RequestParams, SizeMismatch } from '../../shared/records'
import { detectImageFormat } from './imageformat'

/**
 * What a request asked for in pixels, and whether a result matches it. Models often ignore a size they
 * cannot make (asked 4K or 16:9, got 1K square): every result is compared, the record keeps what was
 * asked and what came, and the user decides whether such results are kept or finished to the asked size.
 */
export interface AskedSize {
  /** Exact pixels, when the request named them (or a tier and ratio fix them). */
  width?: number
  height?: number
  /** The size tier in thousands of pixels on a square's edge: 1 for 1K, 2 for 2K... */
  tier?: number
  /** Width over height, when a ratio was asked. */
  ratio?: { width: number; height: number }
  /** Exact pixels must match exactly; tier sizes are the model's own and only roughly so. */
  exact: boolean
  /** As people read it: "2048×2048 (2K, 1:1)". */
  label: string
}

/** Gemini's image sizes cover about the tier's square area at every ratio (2K at 16:9 is 2752×1536). */
const TIER_AREA_TOLERANCE = 0.2
/** Named ratios are rounded to the model's pixel grid (21:9 comes as 1584×672). */
const RATIO_TOLERANCE = 0.02

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a)
const tierOfEdge = (long: number) => (long <= 1536 ? 1 : long <= 2048 ? 2 : 4)

function parseRatio(text: string | undefined): AskedSize['ratio'] {
  const m = text ? /^(\d+):(\d+)$/.exec(text) : null
  return m && Number(m[1]) > 0 && Number(m[2]) > 0 ? { width: Number(m[1]), height: Number(m[2]) } : undefined
}

/** The size a request asked for, or null when it left the size to the model ("auto", nothing named). */
export function askedSizeOf(params: Pick<RequestParams, 'size' | 'aspectRatio'>): AskedSize | null {
  const ratio = parseRatio(params.aspectRatio)
  const wh = params.size ? parseSize(params.size) : null
  if (wh) {
    const g = gcd(wh.width, wh.height)
    const tier = tierOfEdge(Math.max(wh.width, wh.height))
    return { ...wh, tier, ratio: { width: wh.width / g, height: wh.height / g }, exact: true, label: `${wh.width}×${wh.height} (${tier}K, ${wh.width / g}:${wh.height / g})` }
  }
  const named = params.size ? /^(\d+)K$/.exec(params.size) : null
  if (named) {
    const tier = Number(named[1])
    if (!ratio) return { tier, exact: false, label: `${tier}K` }
    const edge = tier * 1024
    const width = Math.round(edge * Math.sqrt(ratio.width / ratio.height))
    const height = Math.round(edge * Math.sqrt(ratio.height / ratio.width))
    const about = width === height ? '' : 'about '
    return { width, height, tier, ratio, exact: false, label: `${about}${width}×${height} (${tier}K, ${ratio.width}:${ratio.height})` }
  }
  if (ratio) return { ratio, exact: false, label: `${ratio.width}:${ratio.height}` }
  return null
}

/** The mismatch of a delivered size with the asked one, or null when it is what was asked. */
export function sizeMismatchOf(asked: AskedSize, width: number, height: number): Omit<SizeMismatch, 'finished'> | null {
  const got = { asked: asked.label, got: `${width}×${height}`, delivered: { width, height } }
  if (asked.exact) return width === asked.width && height === asked.height ? null : got
  if (asked.ratio) {
    const want = asked.ratio.width / asked.ratio.height
    if (Math.abs(width / height - want) / want > RATIO_TOLERANCE) return got
  }
  if (asked.tier) {
    const area = (asked.tier * 1024) ** 2
    if (Math.abs((width * height) / area - 1) > TIER_AREA_TOLERANCE) return got
  }
  return null
}

/** The exact pixels finishing produces for a delivered image that missed the asked size. */
export function finishingTarget(asked: AskedSize, width: number, height: number): { width: number; height: number } {
  if (asked.width && asked.height) return { width: asked.width, height: asked.height }
  if (asked.tier) {
    const scale = (asked.tier * 1024) / Math.sqrt(width * height)
    return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
  }
  const ratio = asked.ratio ?? { width, height }
  // Only a ratio was asked: the largest crop of the delivered picture with that ratio.
  const want = ratio.width / ratio.height
  return width / height > want ? { width: Math.max(1, Math.round(height * want)), height } : { width, height: Math.max(1, Math.round(width / want)) }
}

/**
 * The delivered image resized (and, where the ratio differs, centre-cropped) to the target. PNG stays
 * lossless; JPEG and WebP must be encoded again after a resize, at a high quality so finishing adds no
 * visible loss; GIF and AVIF come back as PNG.
 */
export async function finishToSize(bytes: Buffer, target: { width: number; height: number }): Promise<Buffer> {
  const format = detectImageFormat(bytes.subarray(0, 512))
  const resized = sharp(bytes).rotate().resize(target.width, target.height, { fit: 'cover', position: 'centre' }).keepIccProfile()
  if (format === 'jpeg') return resized.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer()
  if (format === 'webp') return resized.webp({ quality: 95 }).toBuffer()
  return resized.png().toBuffer()
}

export type SizeMismatchAction = 'keep' | 'finish'

/**
 * Compares each result with what was asked and, when the setting says so, finishes the ones that missed.
 * Returns the images to save, each with its mismatch (if any) for the record.
 */
export async function checkDeliveredSizes<T extends { bytes: Buffer }>(
  images: readonly T[],
  asked: AskedSize | null,
  action: SizeMismatchAction
): Promise<Array<T & { sizeMismatch?: SizeMismatch }>> {
  if (!asked) return [...images]
  return Promise.all(
    images.map(async (image) => {
      const meta = await sharp(image.bytes).metadata()
      const width = meta.autoOrient?.width ?? meta.width ?? 0
      const height = meta.autoOrient?.height ?? meta.height ?? 0
      const mismatch = sizeMismatchOf(asked, width, height)
      if (!mismatch) return { ...image }
      if (action === 'keep') return { ...image, sizeMismatch: { ...mismatch, finished: false } }
      const bytes = await finishToSize(image.bytes, finishingTarget(asked, width, height))
      return { ...image, bytes, sizeMismatch: { ...mismatch, finished: true } }
    })
  )
}
