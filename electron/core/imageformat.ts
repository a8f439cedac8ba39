/**
 * Image type from content, never from a file name. Covers what the app accepts and the formats people
 * most often try that it must name when refusing (HEIC from phones, PSD, BMP, JPEG XL...).
 */
export type ImageFormat =
  | 'png'
  | 'jpeg'
  | 'webp'
  | 'gif'
  | 'avif'
  | 'heic'
  | 'tiff'
  | 'svg'
  | 'bmp'
  | 'ico'
  | 'psd'
  | 'jxl'
  | 'qoi'
  | 'tga'

export const FORMAT_MIME: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  heic: 'image/heic',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  psd: 'image/vnd.adobe.photoshop',
  jxl: 'image/jxl',
  qoi: 'image/qoi',
  tga: 'image/x-tga'
}

/** How many leading bytes detectImageFormat needs to see. */
export const SNIFF_BYTES = 512

const ascii = (buf: Uint8Array, start: number, end: number) => String.fromCharCode(...buf.subarray(start, end))
const startsWith = (buf: Uint8Array, bytes: number[], offset = 0) =>
  buf.length >= offset + bytes.length && bytes.every((b, i) => buf[offset + i] === b)

export function detectImageFormat(head: Uint8Array): ImageFormat | null {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png'
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg'
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'webp'
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'gif'
  if (ascii(head, 4, 8) === 'ftyp') {
    // ISO-BMFF: the major brand and compatible brands say AVIF or HEIF/HEIC.
    const size = Math.min(((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0, head.length)
    const brands: string[] = []
    for (let i = 8; i + 4 <= Math.max(size, 12); i += 4) if (i !== 12) brands.push(ascii(head, i, i + 4))
    if (brands.some((b) => b === 'avif' || b === 'avis')) return 'avif'
    if (brands.some((b) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(b))) return 'heic'
    return null
  }
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff'
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff'
  if (ascii(head, 0, 2) === 'BM' && head.length >= 14) return 'bmp'
  if (startsWith(head, [0x00, 0x00, 0x01, 0x00]) && head.length >= 6 && head[4]! > 0) return 'ico'
  if (ascii(head, 0, 4) === '8BPS') return 'psd'
  if (startsWith(head, [0xff, 0x0a]) || startsWith(head, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'jxl'
  if (ascii(head, 0, 4) === 'qoif') return 'qoi'
  if (looksLikeSvg(head)) return 'svg'
  if (looksLikeTga(head)) return 'tga'
  return null
}

function looksLikeSvg(head: Uint8Array): boolean {
  let text = new TextDecoder('utf-8', { fatal: false }).decode(head).replace(/^\uFEFF/, '')
  text = text.trimStart()
  if (!text.startsWith('<')) return false
  // Skip an XML declaration, comments and a doctype before the root element.
  text = text.replace(/^<\?xml[\s\S]*?\?>\s*/, '').replace(/^(<!--[\s\S]*?-->\s*)+/, '')
  text = text.replace(/^<!DOCTYPE\s+svg[\s\S]*?>\s*/i, '').replace(/^(<!--[\s\S]*?-->\s*)+/, '')
  return /^<svg[\s>]/i.test(text)
}

/** TGA has no magic number; only accept headers whose fields are all plausible. */
function looksLikeTga(head: Uint8Array): boolean {
  if (head.length < 18) return false
  const colorMapType = head[1]!
  const imageType = head[2]!
  const depth = head[16]!
  return (
    (colorMapType === 0 || colorMapType === 1) &&
    [1, 2, 3, 9, 10, 11].includes(imageType) &&
    [8, 15, 16, 24, 32].includes(depth) &&
    (head[12]! | (head[13]! << 8)) > 0 &&
    (head[14]! | (head[15]! << 8)) > 0
  )
}
