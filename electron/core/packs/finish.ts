import sharp, { type Sharp } from 'sharp'
import { BORDER_PASS_SHARE, type OutputCheck, type OutputFinish, type PackFinish } from '../../../shared/packs'

/**
 * Finishing a model's answer to a pack target: the exact pixels (cover and crop, or fit and pad), the
 * background rule (pure white up to the edge, or transparency), the format and quality, and the byte cap
 * (quality stepped down until the file fits). Then the checks on the file as saved: exact size, bytes
 * under the cap, and the border measured for the background rule.
 */

/** A pixel counts as "the white background" when every channel is at least this; a grey backdrop is not. */
const NEAR_WHITE = 244
/** Lowest encoder quality tried to fit a byte cap; below it the file would not be worth delivering. */
const MIN_QUALITY = 40
const QUALITY_STEP = 6

export interface FinishedImage {
  bytes: Buffer
  format: string
  finish: Omit<OutputFinish, 'checks'>
}

interface Rgba {
  data: Buffer
  width: number
  height: number
}

/**
 * Sets the near-white region connected to the border to pure white (or transparent): the background the
 * model painted white becomes exactly white, while white inside the product (not reached from the edge
 * through near-white pixels) is left alone.
 */
function floodBorder(img: Rgba, paint: 'white' | 'transparent'): number {
  const { data, width, height } = img
  const seen = new Uint8Array(width * height)
  const queue = new Int32Array(width * height)
  let head = 0
  let tail = 0
  const nearWhite = (p: number) => data[p * 4 + 3]! > 0 && data[p * 4]! >= NEAR_WHITE && data[p * 4 + 1]! >= NEAR_WHITE && data[p * 4 + 2]! >= NEAR_WHITE
  const visit = (p: number) => {
    if (seen[p]) return
    seen[p] = 1
    if (nearWhite(p)) queue[tail++] = p
  }
  for (let x = 0; x < width; x++) {
    visit(x)
    visit((height - 1) * width + x)
  }
  for (let y = 0; y < height; y++) {
    visit(y * width)
    visit(y * width + width - 1)
  }
  while (head < tail) {
    const p = queue[head++]!
    const x = p % width
    if (paint === 'white') data.fill(255, p * 4, p * 4 + 4)
    else data[p * 4 + 3] = 0
    if (x > 0) visit(p - 1)
    if (x < width - 1) visit(p + 1)
    if (p >= width) visit(p - width)
    if (p < width * (height - 1)) visit(p + width)
  }
  return tail
}

/** The average colour of the answer's outer ring: what "keep" pads with, so the padding continues the edge. */
async function edgeColour(input: Sharp): Promise<{ r: number; g: number; b: number; alpha: number }> {
  const { data, info } = await input.clone().resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  let [r, g, b, n] = [0, 0, 0, 0]
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (x > 0 && y > 0 && x < info.width - 1 && y < info.height - 1) continue
      const i = (y * info.width + x) * info.channels
      r += data[i]!
      g += data[i + 1]!
      b += data[i + 2]!
      n++
    }
  }
  return { r: Math.round(r / n), g: Math.round(g / n), b: Math.round(b / n), alpha: 1 }
}

async function encode(img: Rgba, spec: PackFinish, quality: number, palette = false): Promise<Buffer> {
  const keepAlpha = spec.background === 'transparent'
  let pipeline = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 4 } })
  if (!keepAlpha) pipeline = pipeline.removeAlpha()
  if (spec.format === 'jpeg') return pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' }).toBuffer()
  if (spec.format === 'webp') return pipeline.webp({ quality, alphaQuality: 100 }).toBuffer()
  return pipeline.png({ compressionLevel: 9, palette, ...(palette ? { quality: 90, effort: 10 } : {}) }).toBuffer()
}

const mb = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`)

/**
 * One answer finished to its target. `reserveBytes` is kept free under the cap for the metadata the
 * output writer embeds afterwards, so the saved file, not only the image data, fits.
 */
export async function finishImage(input: Buffer, spec: PackFinish, reserveBytes = 0): Promise<FinishedImage> {
  const source = sharp(input, { failOn: 'error' }).autoOrient()
  const meta = await sharp(input).metadata()
  const from = { width: meta.autoOrient.width, height: meta.autoOrient.height }
  const steps: string[] = []
  let base = source.clone().ensureAlpha()
  // Pure white is decided before scaling: a transparent answer is laid on white, not on black.
  if (spec.background === 'white') base = base.flatten({ background: '#ffffff' }).ensureAlpha()

  const scale = spec.method === 'pad' ? Math.min(spec.width / from.width, spec.height / from.height) : Math.max(spec.width / from.width, spec.height / from.height)
  const exact = from.width === spec.width && from.height === spec.height
  if (exact) steps.push('no resize')
  else if (spec.method === 'pad') {
    const pad = spec.background === 'white' ? { r: 255, g: 255, b: 255, alpha: 1 } : spec.background === 'transparent' ? { r: 255, g: 255, b: 255, alpha: 0 } : await edgeColour(source)
    base = base.resize(spec.width, spec.height, { fit: 'contain', background: pad, kernel: 'lanczos3' })
    steps.push(`fitted ${from.width}×${from.height} inside ${spec.width}×${spec.height} and padded`)
  } else {
    base = base.resize(spec.width, spec.height, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
    const sameRatio = Math.abs(from.width / from.height - spec.width / spec.height) < 0.002
    steps.push(sameRatio ? `resized ${from.width}×${from.height} to ${spec.width}×${spec.height}` : `scaled ${from.width}×${from.height} to cover ${spec.width}×${spec.height} and cropped`)
  }
  const upscaled = scale > 1.0005 ? Math.round(scale * 100) / 100 : undefined
  if (upscaled) steps.push(`upscaled ×${upscaled.toFixed(2)} with sharp (the answer was smaller than the frame)`)

  const raw = await base.raw().toBuffer({ resolveWithObject: true })
  const img: Rgba = { data: raw.data, width: raw.info.width, height: raw.info.height }
  if (spec.background === 'white') {
    floodBorder(img, 'white')
    steps.push('near-white edge region set to pure white')
  } else if (spec.background === 'transparent' && spec.keyOutWhite) {
    floodBorder(img, 'transparent')
    steps.push('white edge region keyed out to transparent')
  }

  const budget = spec.maxBytes === undefined ? Infinity : Math.max(1, spec.maxBytes - reserveBytes)
  let quality = spec.quality
  let bytes = await encode(img, spec, quality)
  if (spec.format === 'png') {
    if (bytes.length > budget) {
      bytes = await encode(img, spec, quality, true)
      steps.push('PNG reduced to 256 colours to fit the size cap')
    } else steps.push('PNG')
  } else {
    while (bytes.length > budget && quality - QUALITY_STEP >= MIN_QUALITY) {
      quality -= QUALITY_STEP
      bytes = await encode(img, spec, quality)
    }
    steps.push(`${spec.format === 'jpeg' ? 'JPEG' : 'WebP'} q${quality}${quality < spec.quality ? ` (lowered from q${spec.quality} to fit ${mb(spec.maxBytes ?? 0)})` : ''}`)
  }
  return {
    bytes,
    format: spec.format,
    finish: {
      packId: spec.packId,
      target: spec.target,
      from,
      steps: steps.join(', ').slice(0, 500),
      ...(upscaled ? { upscaled } : {}),
      ...(spec.format === 'png' ? {} : { quality })
    }
  }
}

/** Share of the outer ring (1% of the short side, at least 2 px) that passes `test`. */
export async function borderShare(file: Buffer | string, test: 'white' | 'transparent'): Promise<number> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const { width, height } = info
  const ring = Math.max(2, Math.round(Math.min(width, height) * 0.01))
  let hits = 0
  let total = 0
  for (let y = 0; y < height; y++) {
    const inBand = y < ring || y >= height - ring
    for (let x = 0; x < width; x++) {
      if (!inBand && x >= ring && x < width - ring) {
        x = width - ring - 1
        continue
      }
      const i = (y * width + x) * 4
      total++
      if (test === 'transparent' ? data[i + 3] === 0 : data[i] === 255 && data[i + 1] === 255 && data[i + 2] === 255 && data[i + 3] === 255) hits++
    }
  }
  return total ? hits / total : 0
}

const pct = (share: number) => `${Math.floor(share * 1000) / 10}%`

/** The target's rules measured on the file as saved. Every failed check says what was found and what was needed. */
export async function checkOutput(file: Buffer, spec: PackFinish): Promise<OutputCheck[]> {
  const meta = await sharp(file).metadata()
  const { width, height } = meta.autoOrient
  const checks: OutputCheck[] = []
  const sizeOk = width === spec.width && height === spec.height
  checks.push({
    rule: 'size',
    passed: sizeOk,
    message: sizeOk ? `${width}×${height} as asked` : `The file is ${width}×${height}; ${spec.target} asks for exactly ${spec.width}×${spec.height}.`
  })
  if (spec.maxBytes !== undefined) {
    const ok = file.length <= spec.maxBytes
    checks.push({
      rule: 'bytes',
      passed: ok,
      measured: file.length,
      message: ok ? `${mb(file.length)}, within ${mb(spec.maxBytes)}` : `The file is ${mb(file.length)}; ${spec.target} allows at most ${mb(spec.maxBytes)} (even at the lowest quality tried).`
    })
  }
  if (spec.background === 'white' || spec.background === 'transparent') {
    const share = await borderShare(file, spec.background)
    const ok = share >= BORDER_PASS_SHARE
    const what = spec.background === 'white' ? 'pure white (255,255,255)' : 'fully transparent'
    checks.push({
      rule: spec.background === 'white' ? 'white-border' : 'transparent-border',
      passed: ok,
      measured: share,
      message: ok
        ? `${pct(share)} of the border is ${what}`
        : `Only ${pct(share)} of the border is ${what}; at least ${pct(BORDER_PASS_SHARE)} is needed. The background the model made is not ${spec.background === 'white' ? 'white' : 'clear'} up to the edges (or the product touches them).`
    })
  }
  return checks
}
