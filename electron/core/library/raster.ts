import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import { AppError } from '../../../shared/errors'
import { detectImageFormat, SNIFF_BYTES, type ImageFormat } from '../imageformat'
import { DECODABLE_FORMATS, type DecodableFormat } from './types'

export const isDecodable = (format: ImageFormat | null): format is DecodableFormat =>
  format !== null && (DECODABLE_FORMATS as readonly string[]).includes(format)

/**
 * The raster type of bytes about to be handed to libvips, or an AppError. libvips picks its loader by
 * sniffing the content itself and would happily parse an SVG (scripts, external references, unbounded
 * drawing cost), so every decode in the library goes through here with the exact bytes it decodes: a
 * file swapped for another type after it was inspected is refused instead of decoded.
 */
export function rasterFormatOf(bytes: Uint8Array, what: string): DecodableFormat {
  const format = detectImageFormat(bytes.subarray(0, SNIFF_BYTES))
  if (isDecodable(format)) return format
  const code = format === 'svg' ? 'svg_refused' : format === 'heic' ? 'heic_unsupported' : 'unsupported_format'
  throw new AppError({
    code,
    message: `${what} is ${format ? `now ${format.toUpperCase()}` : 'no longer an image'}, not a PNG, JPEG, WebP, GIF, AVIF or TIFF; it is not decoded. Import it again.`
  })
}

/**
 * A whole file read into memory, refusing it once it passes `maxBytes` (it may have grown since it
 * was measured). Decoding these bytes, rather than reopening the path, means the content that was
 * sniffed and hashed is exactly the content decoded.
 */
export async function readCapped(path: string, maxBytes: number): Promise<Buffer> {
  const fh = await open(path, 'r')
  const tooLarge = () =>
    new AppError({ code: 'too_many_bytes', message: `"${basename(path)}" is larger than ${(maxBytes / 1048576).toFixed(1)} MB; export a smaller file.`, path })
  try {
    // Sized by the file as it is now, plus the one byte that shows it grew: a small file costs a small
    // buffer (a fixed large one per read is what made imports and uploads churn the garbage collector).
    let buffer = Buffer.allocUnsafe(Math.min((await fh.stat()).size, maxBytes) + 1)
    let total = 0
    for (;;) {
      if (total === buffer.length) {
        if (total > maxBytes) throw tooLarge()
        const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1))
        buffer.copy(grown, 0, 0, total)
        buffer = grown
      }
      const { bytesRead } = await fh.read(buffer, total, buffer.length - total, null)
      if (bytesRead === 0) break
      total += bytesRead
    }
    if (total > maxBytes) throw tooLarge()
    return buffer.subarray(0, total)
  } finally {
    await fh.close()
  }
}
