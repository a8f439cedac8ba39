import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import sharp from 'sharp'
import type { AppErrorData, FileErrorCode } from '../../../shared/errors'
import { detectImageFormat, SNIFF_BYTES, type ImageFormat } from '../imageformat'
import { isDecodable, readCapped } from './raster'
import { renderThumbnail } from './thumbnails'
import { DEFAULT_LIMITS, HARD_MAX_PIXELS, type AssetInfo, type Preview, type UploadLimits } from './types'

export { isDecodable } from './raster'

/** A decode that takes longer than this is treated as a hostile or broken file, not waited for. */
const DECODE_TIMEOUT_SECONDS = 30

const FORMAT_NAMES: Record<ImageFormat, string> = {
  png: 'PNG',
  jpeg: 'JPEG',
  webp: 'WebP',
  gif: 'GIF',
  avif: 'AVIF',
  heic: 'HEIC',
  tiff: 'TIFF',
  svg: 'SVG',
  bmp: 'BMP',
  ico: 'ICO',
  psd: 'Photoshop (PSD)',
  jxl: 'JPEG XL',
  qoi: 'QOI',
  tga: 'TGA'
}

export function formatName(format: ImageFormat): string {
  return FORMAT_NAMES[format]
}

/** Why an SVG is refused, and what to do instead; `subject` names it (a quoted file name, "The pasted image"). */
export function svgRefusal(subject: string): string {
  return `${subject} is an SVG drawing. SVG files are not sent to image models; export it as PNG (from the app that made it) and import the PNG.`
}

/** The OS limit on a whole path, in bytes (Windows counts UTF-16 units; close enough for a guard). */
export function maxPathBytes(platform = process.platform): number {
  if (platform === 'win32') return 259
  if (platform === 'darwin') return 1023
  return 4095
}

export interface InspectOptions {
  /** Also return a preview of this long edge, made by the same decode that validates the file. */
  previewSize?: number
  platform?: NodeJS.Platform
  /** Also return the bytes that were judged, so a caller can use exactly them and not reopen the path. */
  keepBytes?: boolean
}

export interface Inspection {
  info: AssetInfo
  preview?: Preview
  /** The file's content as judged; only with `keepBytes` and an accepted file. */
  bytes?: Buffer
  /** Whether the file carries EXIF, XMP, IPTC, an ICC profile or comments; known once it was decoded. */
  embeddedMetadata?: boolean
}

/**
 * Everything the app needs to know about one file, and whether it can be used. Never throws for a bad
 * file: the reason is in `verdict`, so one broken download never stops a folder import.
 */
export async function inspectFile(path: string, limits: UploadLimits = DEFAULT_LIMITS): Promise<AssetInfo> {
  return (await inspectWithPreview(path, limits)).info
}

/** An inspection with nothing known yet: filled in as the file is read. */
export function emptyInfo(path: string): AssetInfo {
  return {
    path,
    format: null,
    width: 0,
    height: 0,
    displayWidth: 0,
    displayHeight: 0,
    bytes: 0,
    mtimeMs: 0,
    orientation: 1,
    alpha: false,
    space: '',
    bitsPerSample: 0,
    pages: 0,
    sha256: '',
    verdict: { ok: true }
  }
}

export async function inspectWithPreview(
  path: string,
  limits: UploadLimits = DEFAULT_LIMITS,
  options: InspectOptions = {}
): Promise<Inspection> {
  const info = emptyInfo(path)
  const fail = (code: FileErrorCode, message: string): Inspection => {
    const error: AppErrorData = { code, message, path }
    return { info: { ...info, verdict: { ok: false as const, error } } }
  }
  const name = basename(path)

  if (Buffer.byteLength(path) > maxPathBytes(options.platform)) {
    return fail('path_too_long', `The path of "${name}" is longer than this system allows; move the file to a shorter folder path.`)
  }

  let head: Buffer
  try {
    const st = await stat(path)
    info.bytes = st.size
    info.mtimeMs = st.mtimeMs
    if (!st.isFile()) return fail('unreadable', `"${name}" is not a regular file.`)
    if (st.size === 0) return fail('empty_file', `"${name}" is empty (0 bytes); the download or copy probably failed.`)
    head = await readHead(path)
  } catch (err) {
    return fail(...fsErrorReason(err, name))
  }
  const refusal = refuseFormat(detectImageFormat(head))
  if (refusal || info.bytes > limits.maxInputBytes) {
    // Nothing is decoded, but the hash still identifies the file (the index and duplicates use it).
    const result = refusal ?? tooLarge()
    try {
      result.info.sha256 = await sha256File(path)
    } catch (err) {
      return fail(...fsErrorReason(err, name))
    }
    return result
  }

  // Read once: the bytes sniffed, hashed and decoded below are the same, even if the file is replaced
  // meanwhile (a swap from PNG to SVG must never reach the decoder).
  let bytes: Buffer
  try {
    bytes = await readCapped(path, limits.maxInputBytes)
  } catch (err) {
    if ((err as { code?: unknown }).code === 'too_many_bytes') return tooLarge()
    return fail(...fsErrorReason(err, name))
  }
  info.bytes = bytes.length
  info.sha256 = createHash('sha256').update(bytes).digest('hex')
  const changed = refuseFormat(detectImageFormat(bytes.subarray(0, SNIFF_BYTES)))
  if (changed) return changed
  const result = await judge(bytes, { info, name, limits, options, fail })
  return options.keepBytes && result.info.verdict.ok ? { ...result, bytes } : result

  function tooLarge() {
    return fail('too_many_bytes', `"${name}" is ${mib(info.bytes)}; the limit is ${mib(limits.maxInputBytes)}. Export a smaller file.`)
  }

  function refuseFormat(format: ImageFormat | null) {
    info.format = format
    if (format === null) {
      const ext = extname(name).slice(1).toLowerCase()
      const claim = ext ? ` despite its ".${ext}" extension` : ''
      return fail('unsupported_format', `"${name}" is not an image Pixdesk can read${claim}: its content matches no supported image type. Use PNG, JPEG or WebP.`)
    }
    if (format === 'heic') return fail('heic_unsupported', `"${name}": HEIC is not supported; export as JPEG or PNG.`)
    if (format === 'svg') return fail('svg_refused', svgRefusal(`"${name}"`))
    if (!isDecodable(format)) {
      return fail('unsupported_format', `"${name}" is ${FORMAT_NAMES[format]}, which is not supported; export as JPEG or PNG.`)
    }
    return undefined
  }
}

interface Judging {
  info: AssetInfo
  name: string
  limits: UploadLimits
  options: InspectOptions
  fail: (code: FileErrorCode, message: string) => Inspection
}

/**
 * The decode half of an inspection, for bytes whose type is known and accepted: the header's facts into
 * `info`, the limits checked, then a full decode that also makes the preview.
 */
async function judge(bytes: Buffer, { info, name, limits, options, fail }: Judging): Promise<Inspection> {
  const format = info.format as ImageFormat
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch (err) {
    return fail('corrupt', `"${name}" looks like ${FORMAT_NAMES[format]} but its header cannot be read (${vipsReason(err)}). The file is damaged; export it again.`)
  }
  const pageHeight = meta.pageHeight ?? meta.height ?? 0
  info.width = meta.width ?? 0
  info.height = meta.pages && meta.pages > 1 ? pageHeight : (meta.height ?? 0)
  info.orientation = meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1
  const swap = info.orientation >= 5
  info.displayWidth = swap ? info.height : info.width
  info.displayHeight = swap ? info.width : info.height
  info.alpha = meta.hasAlpha ?? false
  info.space = meta.space ?? ''
  info.bitsPerSample = bitsOf(meta.depth)
  info.pages = meta.pages ?? 1
  const embeddedMetadata = Boolean(meta.exif || meta.xmp || meta.iptc || meta.icc || meta.comments?.length)

  if (info.width <= 0 || info.height <= 0) return fail('corrupt', `"${name}" declares no image size; the file is damaged.`)

  const maxPixels = Math.min(limits.maxPixels ?? HARD_MAX_PIXELS, HARD_MAX_PIXELS)
  if (info.width * info.height > maxPixels) {
    return fail(
      'too_many_pixels',
      `"${name}" is ${info.width}×${info.height} (${mp(info.width * info.height)}); the limit is ${mp(maxPixels)}. Downscale it before importing.`
    )
  }
  if (format === 'gif') {
    // The decoder sizes a GIF by its frames and quietly ignores an absurd logical screen: compare them here.
    const mismatch = gifScreenMismatch(bytes, info.width, info.height)
    if (mismatch) return fail('dimension_mismatch', `"${name}" ${mismatch}; the file is malformed. Export it again.`)
  }
  if (limits.minEdge && Math.min(info.width, info.height) < limits.minEdge) {
    return fail('too_small', `"${name}" is ${info.width}×${info.height}; the shortest edge must be at least ${limits.minEdge} px.`)
  }

  // A header can be intact while the data behind it is cut short: only a full decode proves the file.
  try {
    const size = options.previewSize ?? 64
    const preview = await renderThumbnail(bytes, size, info.alpha, maxPixels, DECODE_TIMEOUT_SECONDS)
    const expectedLong = Math.min(size, Math.max(info.displayWidth, info.displayHeight))
    if (Math.max(preview.width, preview.height) !== expectedLong) {
      return fail('dimension_mismatch', `"${name}" claims ${info.width}×${info.height} but its pixel data has another size; the file is malformed.`)
    }
    return options.previewSize === undefined ? { info, embeddedMetadata } : { info, preview, embeddedMetadata }
  } catch (err) {
    const reason = vipsReason(err)
    if (/timeout/i.test(reason)) {
      return fail('too_many_pixels', `"${name}" took too long to decode (over ${DECODE_TIMEOUT_SECONDS} s); it is too complex to use.`)
    }
    return fail('corrupt', `"${name}" is a damaged or truncated ${FORMAT_NAMES[format]} (${reason}); export it again.`)
  }
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

export function fsErrorReason(err: unknown, name: string): [FileErrorCode, string] {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT' || code === 'ENOTDIR') return ['not_found_file', `"${name}" no longer exists; it was moved or deleted.`]
  if (code === 'EACCES' || code === 'EPERM') {
    return ['unreadable', `"${name}" cannot be read: permission denied. Check the file's permissions.`]
  }
  if (code === 'ENAMETOOLONG') return ['path_too_long', `The path of "${name}" is longer than this system allows; move it to a shorter path.`]
  if (code === 'EISDIR') return ['unreadable', `"${name}" is a folder, not a file.`]
  const detail = err instanceof Error ? err.message : String(err)
  return ['unreadable', `"${name}" cannot be read (${detail}).`]
}

/**
 * A GIF's logical screen is only a claim. Returns how it disagrees with the picture the decoder sees
 * (decodedW × decodedH), or with its own first frame, or null when it is consistent.
 */
function gifScreenMismatch(bytes: Buffer, decodedW: number, decodedH: number): string | null {
  const b = bytes.subarray(0, 64 * 1024)
  if (b.length < 13) return 'has a truncated header'
  const screenW = b.readUInt16LE(6)
  const screenH = b.readUInt16LE(8)
  if (screenW !== decodedW || screenH !== decodedH) {
    return `claims a ${screenW}×${screenH} picture but its frames are ${decodedW}×${decodedH}`
  }
  let i = 13
  const flags = b[10] ?? 0
  if (flags & 0x80) i += 3 * (1 << ((flags & 0x07) + 1))
  while (i < b.length) {
    const block = b[i]
    if (block === 0x21) {
      i += 2
      while (i < b.length && b[i] !== 0) i += (b[i] ?? 0) + 1
      i += 1
    } else if (block === 0x2c) {
      if (i + 9 > b.length) return null
      const left = b.readUInt16LE(i + 1)
      const top = b.readUInt16LE(i + 3)
      const w = b.readUInt16LE(i + 5)
      const h = b.readUInt16LE(i + 7)
      if (w === 0 || h === 0 || left + w > screenW || top + h > screenH) {
        return `claims a ${screenW}×${screenH} picture but its first frame is ${w}×${h} at ${left},${top}`
      }
      return null
    } else {
      return null
    }
  }
  return null
}

function bitsOf(depth: string | undefined): number {
  switch (depth) {
    case 'uchar':
    case 'char':
      return 8
    case 'ushort':
    case 'short':
      return 16
    case 'uint':
    case 'int':
    case 'float':
      return 32
    case 'double':
      return 64
    default:
      return 0
  }
}

function vipsReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join('; ').slice(0, 200) || 'unknown decoder error'
}

const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`
const mp = (n: number) => `${(n / 1_000_000).toFixed(1)} MP`
