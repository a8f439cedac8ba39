import { crc32 } from 'node:zlib'

/**
 * Metadata written into PNG, JPEG and WebP files by rewriting their container only: the compressed image
 * data is copied byte for byte, so labelling an output never re-encodes it and never costs quality.
 * Metadata of the same kind that the file already carried (a provider's own XMP or EXIF) is replaced,
 * so a reader never finds two packets that disagree.
 */
export interface ContainerMetadata {
  xmp: string
  /** A TIFF-structured EXIF block (byte-order mark first), when the source's EXIF is copied. */
  exif?: Buffer
  /** PNG only: readable text chunks (keyword → UTF-8 text), for tools that read PNG text rather than XMP. */
  pngText?: Record<string, string>
}

const XMP_JPEG_HEADER = Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1')
const EXIF_JPEG_HEADER = Buffer.from('Exif\0\0', 'latin1')
const PNG_XMP_KEYWORD = 'XML:com.adobe.xmp'

class ContainerError extends Error {}

// ---------- PNG ----------

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])))
  return Buffer.concat([head, data, crc])
}

const itxt = (key: string, value: string) => pngChunk('iTXt', Buffer.concat([Buffer.from(`${key}\0\0\0\0\0`, 'latin1'), Buffer.from(value, 'utf8')]))

/**
 * The chunks go right after IHDR, where readers that stop at the image data still find them (eXIf must
 * precede IDAT anyway). Earlier XMP, EXIF and Pixdesk text chunks are dropped.
 */
export function embedInPng(bytes: Buffer, meta: ContainerMetadata): Buffer {
  const afterHeader = 8 + 8 + 13 + 4
  if (bytes.length < afterHeader || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new ContainerError('not a PNG with a header chunk')
  const added = [pngChunk('tEXt', Buffer.from('Software\0Pixdesk', 'latin1')), itxt(PNG_XMP_KEYWORD, meta.xmp)]
  if (meta.exif) added.push(pngChunk('eXIf', meta.exif))
  for (const [key, value] of Object.entries(meta.pngText ?? {})) added.push(itxt(key, value))
  const kept: Buffer[] = []
  let at = afterHeader
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at)
    const type = bytes.toString('latin1', at + 4, at + 8)
    const end = at + 12 + length
    if (end > bytes.length) throw new ContainerError(`PNG chunk ${type} runs past the end of the file`)
    if (!replacedPngChunk(type, bytes.subarray(at + 8, at + 8 + Math.min(length, 80)), Boolean(meta.exif))) kept.push(bytes.subarray(at, end))
    at = end
  }
  return Buffer.concat([bytes.subarray(0, afterHeader), ...added, ...kept])
}

function replacedPngChunk(type: string, head: Buffer, replacingExif: boolean): boolean {
  if (type === 'eXIf') return replacingExif
  if (type !== 'iTXt' && type !== 'tEXt' && type !== 'zTXt') return false
  const keyword = head.toString('latin1', 0, Math.max(0, head.indexOf(0)))
  return keyword === PNG_XMP_KEYWORD || keyword === 'Software' || keyword.startsWith('pixdesk:')
}

// ---------- JPEG ----------

/**
 * EXIF then XMP as APP1 segments right after SOI (after a JFIF APP0, which must come first); existing
 * XMP segments (and EXIF, when ours replaces it) are dropped. Everything else is copied unchanged.
 */
export function embedInJpeg(bytes: Buffer, meta: ContainerMetadata): Buffer {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new ContainerError('not a JPEG (no start-of-image marker)')
  const xmp = app1(Buffer.concat([XMP_JPEG_HEADER, Buffer.from(meta.xmp, 'utf8')]), 'XMP')
  const exif = meta.exif ? app1(Buffer.concat([EXIF_JPEG_HEADER, meta.exif]), 'EXIF') : undefined
  const head: Buffer[] = [bytes.subarray(0, 2)]
  const kept: Buffer[] = []
  let at = 2
  let first = true
  // Segments up to the start of scan; the entropy-coded data after it is copied as one piece.
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1]!
    if (marker === 0xda || marker === 0xd9) break
    const length = bytes.readUInt16BE(at + 2)
    const end = at + 2 + length
    if (end > bytes.length) throw new ContainerError('a JPEG segment runs past the end of the file')
    const segment = bytes.subarray(at, end)
    const payload = bytes.subarray(at + 4, end)
    const isXmp = marker === 0xe1 && payload.subarray(0, XMP_JPEG_HEADER.length).equals(XMP_JPEG_HEADER)
    const isExif = marker === 0xe1 && payload.subarray(0, EXIF_JPEG_HEADER.length).equals(EXIF_JPEG_HEADER)
    if (first && marker === 0xe0) head.push(segment)
    else if (!isXmp && !(isExif && exif)) kept.push(segment)
    first = false
    at = end
  }
  return Buffer.concat([...head, ...(exif ? [exif] : []), xmp, ...kept, bytes.subarray(at)])
}

function app1(payload: Buffer, what: string): Buffer {
  if (payload.length + 2 > 0xffff) throw new ContainerError(`the ${what} block is ${payload.length} bytes, more than a JPEG segment holds`)
  const seg = Buffer.alloc(4)
  seg.writeUInt16BE(0xffe1, 0)
  seg.writeUInt16BE(payload.length + 2, 2)
  return Buffer.concat([seg, payload])
}

/** Room for the XMP packet in a JPEG segment. */
export const JPEG_XMP_MAX_BYTES = 0xffff - 2 - XMP_JPEG_HEADER.length

// ---------- WebP ----------

const VP8X_XMP = 0x04
const VP8X_EXIF = 0x08
const VP8X_ALPHA = 0x10

function riffChunk(fourcc: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.write(fourcc, 0, 'latin1')
  head.writeUInt32LE(data.length, 4)
  return Buffer.concat([head, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)])
}

/**
 * WebP keeps EXIF and XMP in chunks at the end, announced by flags in the VP8X header, which simple
 * (VP8/VP8L only) files must gain first, with the canvas size and alpha of the image.
 */
export function embedInWebp(bytes: Buffer, meta: ContainerMetadata, image: { width: number; height: number; hasAlpha: boolean }): Buffer {
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') throw new ContainerError('not a WebP (no RIFF/WEBP header)')
  const chunks: Array<{ fourcc: string; data: Buffer }> = []
  let at = 12
  while (at + 8 <= bytes.length) {
    const fourcc = bytes.toString('latin1', at, at + 4)
    const size = bytes.readUInt32LE(at + 4)
    if (at + 8 + size > bytes.length) throw new ContainerError(`WebP chunk ${fourcc} runs past the end of the file`)
    chunks.push({ fourcc, data: bytes.subarray(at + 8, at + 8 + size) })
    at += 8 + size + (size % 2)
  }
  const dropped = new Set(['XMP ', ...(meta.exif ? ['EXIF'] : [])])
  const body = chunks.filter((c) => !dropped.has(c.fourcc))
  let vp8x = body.find((c) => c.fourcc === 'VP8X')
  if (!vp8x) {
    const data = Buffer.alloc(10)
    data[0] = image.hasAlpha ? VP8X_ALPHA : 0
    data.writeUIntLE(image.width - 1, 4, 3)
    data.writeUIntLE(image.height - 1, 7, 3)
    vp8x = { fourcc: 'VP8X', data }
    body.unshift(vp8x)
  }
  const flags = Buffer.from(vp8x.data)
  const keepsExif = body.some((c) => c.fourcc === 'EXIF')
  flags[0] = (flags[0]! & ~(VP8X_XMP | VP8X_EXIF)) | VP8X_XMP | (meta.exif || keepsExif ? VP8X_EXIF : 0)
  vp8x.data = flags
  if (meta.exif) body.push({ fourcc: 'EXIF', data: meta.exif })
  body.push({ fourcc: 'XMP ', data: Buffer.from(meta.xmp, 'utf8') })
  const out = Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBP', 'latin1'), ...body.map((c) => riffChunk(c.fourcc, c.data))])
  out.writeUInt32LE(out.length - 8, 4)
  return out
}
