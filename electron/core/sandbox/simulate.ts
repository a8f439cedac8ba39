import { createHash } from 'node:crypto'
import sharp from 'sharp'
import { parseSize } from '../../../shared/catalog'
import { keepToMask } from './masks'

/**
 * Simulated edits: real images made locally with sharp, so the whole app can be tried with no key and
 * no spend. Each prompt gives a visibly different result (hue turn, tint, stripe angle) and every
 * output carries a "SIMULATED" banner so nobody mistakes it for a model's work.
 */

export interface SimulateOptions {
  /** First input image, or none for a generation. */
  input?: Buffer
  prompt: string
  size?: string
  /** 0-based output number within the request, so n outputs differ from each other. */
  index: number
  outputFormat?: string
  /** Deliver this share of the asked width and height (a model that ignores the size). */
  scale?: number
}

// 5×7 bitmaps for the banner's letters: drawn as rectangles, so no font has to be installed.
const GLYPHS: Record<string, string[]> = {
  S: ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
  I: ['11111', '00100', '00100', '00100', '00100', '00100', '11111'],
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  U: ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
  L: ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
  A: ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  D: ['11110', '10001', '10001', '10001', '10001', '10001', '11110']
}
const MARK = 'SIMULATED'

function bannerSvg(width: number, height: number, stripeAngle: number, tint: string): string {
  const cell = Math.max(1, Math.floor(Math.min(width / (MARK.length * 6 + 2), height / 40)))
  const textW = MARK.length * 6 * cell
  const bandH = 9 * cell
  const x0 = Math.floor((width - textW) / 2)
  const y0 = height - bandH
  const rects: string[] = []
  for (const [li, ch] of [...MARK].entries()) {
    const rows = GLYPHS[ch] ?? []
    rows.forEach((row, ry) => {
      for (let rx = 0; rx < row.length; rx++) {
        if (row[rx] === '1') rects.push(`<rect x="${x0 + (li * 6 + rx) * cell}" y="${y0 + (ry + 1) * cell}" width="${cell}" height="${cell}"/>`)
      }
    })
  }
  const stripe = Math.max(8, Math.round(Math.min(width, height) / 12))
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><pattern id="p" width="${stripe * 2}" height="${stripe * 2}" patternUnits="userSpaceOnUse" patternTransform="rotate(${stripeAngle})">
<rect width="${stripe}" height="${stripe * 2}" fill="${tint}" fill-opacity="0.22"/></pattern></defs>
<rect width="100%" height="100%" fill="url(#p)"/>
<rect x="0" y="${y0}" width="${width}" height="${bandH}" fill="#000" fill-opacity="0.7"/>
<g fill="#ffffff">${rects.join('')}</g></svg>`
}

/** Output dimensions for a requested size: WxH as asked, 1K/2K/4K square, auto from the input (≤1024). */
async function outputDimensions(size: string | undefined, input?: Buffer): Promise<{ width: number; height: number }> {
  const wh = size ? parseSize(size) : null
  if (wh) return wh
  const named = size ? /^(\d)K$/.exec(size) : null
  if (named) return { width: Number(named[1]) * 1024, height: Number(named[1]) * 1024 }
  if (input) {
    const meta = await sharp(input).metadata()
    const w = meta.autoOrient?.width ?? meta.width
    const h = meta.autoOrient?.height ?? meta.height
    if (w && h) {
      const scale = Math.min(1, 1024 / Math.max(w, h))
      return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) }
    }
  }
  return { width: 1024, height: 1024 }
}

export async function simulateImage(opts: SimulateOptions): Promise<{ bytes: Buffer; format: 'png' | 'jpeg' | 'webp' }> {
  const digest = createHash('sha256').update(`${opts.prompt}\u0000${opts.index}`).digest()
  const hue = ((digest[0]! << 8) | digest[1]!) % 360
  const angle = digest[2]! % 180
  const tint = `#${digest.subarray(3, 6).toString('hex')}`
  const asked = await outputDimensions(opts.size, opts.input)
  const scale = opts.scale ?? 1
  const width = Math.max(1, Math.round(asked.width * scale))
  const height = Math.max(1, Math.round(asked.height * scale))
  const base = opts.input
    ? sharp(opts.input).rotate().resize(width, height, { fit: 'cover' })
    : sharp({ create: { width, height, channels: 3, background: { r: digest[6]!, g: digest[7]!, b: digest[8]! } } })
  const grey = /\b(black and white|black & white|grayscale|greyscale|monochrome)\b/i.test(opts.prompt)
  const toned = await base.modulate({ hue, saturation: 1.25 }).toColourspace('srgb').png().toBuffer()
  let img = sharp(toned).composite([{ input: Buffer.from(bannerSvg(width, height, angle, tint)), top: 0, left: 0 }])
  if (grey) img = img.greyscale()
  const format = opts.outputFormat === 'jpeg' || opts.outputFormat === 'webp' ? opts.outputFormat : 'png'
  const bytes = format === 'jpeg' ? await img.jpeg({ quality: 85 }).toBuffer() : format === 'webp' ? await img.webp().toBuffer() : await img.png().toBuffer()
  return { bytes, format }
}

export interface RenderRequest {
  input?: Buffer
  /** The mask part (RGBA, transparent = edit): the simulated edit stays inside it. */
  mask?: Buffer
  prompt: string
  size?: string
  n: number
  /** The fault "non_image": the answer is HTML. */
  nonImage: boolean
  /** Top share of rows where a masked edit leaks outside the mask (fault plan leakOutsideMask). */
  leakRows: number
  /** The answer's image format (fault plan answerFormat); PNG by default. */
  format?: 'png' | 'jpeg' | 'webp'
  /** Share of the asked width and height delivered (fault small_output). */
  scale?: number
}

/** The n outputs of one simulated request. */
export async function renderOutputs(r: RenderRequest): Promise<Array<{ bytes: Buffer; mime: string }>> {
  if (r.nonImage) return [{ bytes: Buffer.from('<html><body>Not an image (simulated fault).</body></html>'), mime: 'text/html' }]
  const outs: Array<{ bytes: Buffer; mime: string }> = []
  for (let i = 0; i < r.n; i++) {
    const out = await simulateImage({ input: r.input, prompt: r.prompt, size: r.size, index: i, outputFormat: r.format, scale: r.scale })
    if (r.mask && r.input) outs.push({ bytes: await keepToMask(out.bytes, r.input, r.mask, r.leakRows), mime: 'image/png' })
    else outs.push({ bytes: out.bytes, mime: `image/${out.format}` })
  }
  return outs
}
