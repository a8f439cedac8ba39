import { crc32, inflateSync } from 'node:zlib'

/**
 * A complete decode check of a PNG without reconstructing pixels: every critical chunk present, in
 * order and with a correct CRC, a valid header, and the image data inflated in full (zlib checks its
 * own checksum) to exactly the size the header implies, with a valid filter type on every row. Those
 * are all the ways a PNG decode can fail; un-filtering and colour conversion cannot. It runs on the
 * calling thread, so it is used for small images only, where a thread-pool round trip to libvips costs
 * more than the work itself.
 */

/** Largest inflated image data checked here (512×512 RGBA): about a millisecond of zlib at most. */
export const PNG_INLINE_MAX_BYTES = 1024 * 1024

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] }
const CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND'])
// Adam7 passes: x start, y start, x step, y step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2]
] as const

export class PngError extends Error {}

export interface PngHeader {
  width: number
  height: number
  /** Rows of the (de-interlaced pass) images as [row count, bytes per row without the filter byte]. */
  rows: Array<[number, number]>
  /** Inflated image data size the header implies. */
  dataBytes: number
}

export function pngHeader(bytes: Buffer): PngHeader {
  if (bytes.length < 33 || bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new PngError('no IHDR chunk first')
  const width = bytes.readUInt32BE(16)
  const height = bytes.readUInt32BE(20)
  const [depth, colour, compression, filter, interlace] = [bytes[24]!, bytes[25]!, bytes[26]!, bytes[27]!, bytes[28]!]
  if (!width || !height || width > 0x7fffffff || height > 0x7fffffff) throw new PngError(`bad size ${width}×${height}`)
  if (!DEPTHS[colour]?.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1) throw new PngError('bad IHDR fields')
  const bitsPerPixel = CHANNELS[colour]! * depth
  const rowBytes = (w: number) => Math.ceil((w * bitsPerPixel) / 8)
  const rows: Array<[number, number]> = []
  if (interlace === 0) rows.push([height, rowBytes(width)])
  else {
    for (const [x0, y0, dx, dy] of ADAM7) {
      const w = width > x0 ? Math.ceil((width - x0) / dx) : 0
      const h = height > y0 ? Math.ceil((height - y0) / dy) : 0
      if (w && h) rows.push([h, rowBytes(w)])
    }
  }
  const dataBytes = rows.reduce((sum, [h, rb]) => sum + h * (1 + rb), 0)
  return { width, height, rows, dataBytes }
}

/** Throws PngError saying what is wrong; returns the dimensions of a sound PNG. */
export function checkPng(bytes: Buffer, header: PngHeader = pngHeader(bytes)): { width: number; height: number } {
  const idat: Buffer[] = []
  let offset = 8
  let seen = ''
  let ended = false
  let palette = false
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new PngError('truncated chunk header')
    const length = bytes.readUInt32BE(offset)
    const type = bytes.toString('latin1', offset + 4, offset + 8)
    const end = offset + 12 + length
    if (end > bytes.length) throw new PngError(`truncated ${type} chunk`)
    if (CRITICAL.has(type) && crc32(bytes.subarray(offset + 4, end - 4)) !== bytes.readUInt32BE(end - 4)) throw new PngError(`bad CRC in ${type}`)
    if (type === 'IDAT') {
      if (seen !== 'IDAT' && idat.length) throw new PngError('IDAT chunks are not consecutive')
      idat.push(bytes.subarray(offset + 8, end - 4))
    } else if (type === 'PLTE') palette = true
    else if (type === 'IEND') {
      ended = true
      break
    }
    seen = type
    offset = end
  }
  if (!ended) throw new PngError('no IEND chunk')
  if (!idat.length) throw new PngError('no image data')
  if (bytes[25] === 3 && !palette) throw new PngError('palette image without PLTE')
  let data: Buffer
  try {
    data = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), { maxOutputLength: header.dataBytes + 1 })
  } catch (err) {
    throw new PngError(`image data does not inflate: ${(err as Error).message}`)
  }
  if (data.length !== header.dataBytes) throw new PngError(`image data is ${data.length} bytes, ${header.dataBytes} expected`)
  let at = 0
  for (const [count, rowBytes] of header.rows) {
    for (let r = 0; r < count; r++, at += 1 + rowBytes) if (data[at]! > 4) throw new PngError(`bad filter type ${data[at]} on a row`)
  }
  return { width: header.width, height: header.height }
}
