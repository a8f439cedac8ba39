import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, extname, join } from 'node:path'
import sharp from 'sharp'
import { AppError } from '../../../shared/errors'
import type { Normalisation } from '../../../shared/records'
import { formatName, inspectWithPreview, sha256File } from './inspect'
import { HARD_MAX_PIXELS, type AssetInfo, type DecodableFormat, type UploadLimits } from './types'

export interface NormaliseOptions {
  /** Keep EXIF/XMP/ICC metadata (GPS included). Off by default: uploads leave the studio stripped. */
  keepMetadata?: boolean
  /** Where the temporary copy goes (default: the OS temp folder). */
  tempDir?: string
}

export interface NormalisedUpload {
  /** The file to upload: always a temporary copy, never the original. */
  path: string
  normalised: Normalisation
  /** Removes the temporary copy; safe to call more than once. */
  cleanup(): Promise<void>
}

const EXTENSIONS: Record<DecodableFormat, string> = { png: '.png', jpeg: '.jpg', webp: '.webp', gif: '.gif', avif: '.avif', tiff: '.tif' }

/**
 * Turn a library file into something the route accepts: upright, in an accepted format, 8-bit sRGB,
 * within the size limit, without metadata unless asked. Every change is listed in `steps`, which the
 * request record keeps. Throws AppError (with the file's error code) when the file cannot be used.
 */
export async function normaliseForUpload(
  source: string | AssetInfo,
  limits: UploadLimits,
  options: NormaliseOptions = {}
): Promise<NormalisedUpload> {
  // Re-inspect even when given an AssetInfo: the file may have changed since it was imported.
  const path = typeof source === 'string' ? source : source.path
  // Everything below works on the bytes that were judged, never on the path again: a file replaced
  // after inspection (by another type, an SVG included) cannot reach the decoder or the upload.
  const { info, bytes, embeddedMetadata } = await inspectWithPreview(path, limits, { keepBytes: true })
  if (!info.verdict.ok) throw new AppError(info.verdict.error)
  if (!bytes) throw new AppError({ code: 'internal', message: `"${basename(path)}" was accepted but its content was not kept; try again.`, path })
  const format = info.format as DecodableFormat

  const steps: string[] = []
  const accepted = limits.acceptedFormats
  const animated = info.pages > 1
  let target: DecodableFormat = format
  if (!accepted.includes(format) || animated) {
    target = pickTarget(accepted, info.alpha)
    steps.push(format === target ? `re-encode ${formatName(format)}` : `convert ${formatName(format)} to ${formatName(target)}`)
  }
  if (animated) steps.push(`keep the first of ${info.pages} frames`)
  if (info.orientation !== 1) steps.push(`apply EXIF orientation ${info.orientation}`)
  if (info.space === 'cmyk') steps.push('convert CMYK to sRGB')
  if (info.bitsPerSample > 8) steps.push(`reduce ${info.bitsPerSample}-bit to 8-bit`)
  const long = Math.max(info.displayWidth, info.displayHeight)
  const scale = long > limits.maxLongEdge ? limits.maxLongEdge / long : 1
  if (scale < 1) {
    const w = Math.max(1, Math.round(info.displayWidth * scale))
    const h = Math.max(1, Math.round(info.displayHeight * scale))
    steps.push(`downscale ${info.displayWidth}×${info.displayHeight} to ${w}×${h}`)
  }

  const hasMetadata = embeddedMetadata ?? false
  const keepMetadata = options.keepMetadata ?? false
  const mustReencode = steps.length > 0 || (hasMetadata && !keepMetadata)
  if (hasMetadata) steps.push(keepMetadata ? 'keep metadata' : 'strip metadata (EXIF, GPS, XMP, ICC)')

  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'pixdesk-upload-'))
  const cleanup = () => rm(dir, { recursive: true, force: true })
  const stem = basename(path, extname(path)).replace(/[^\w.-]+/g, '_').slice(0, 80) || 'image'
  const out = join(dir, stem + EXTENSIONS[target])
  try {
    if (!mustReencode) {
      await writeFile(out, bytes, { flag: 'wx' })
      // Sent as judged: its size, pixels and hash are the inspection's, with no second look at the copy.
      const normalised: Normalisation = { steps, format: target, width: info.width, height: info.height, bytes: bytes.length, sha256: info.sha256 }
      return { path: out, normalised, cleanup }
    }
    const maxPixels = Math.min(limits.maxPixels ?? HARD_MAX_PIXELS, HARD_MAX_PIXELS)
    let pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, pages: 1 }).autoOrient()
    if (scale < 1) pipeline = pipeline.resize(limits.maxLongEdge, limits.maxLongEdge, { fit: 'inside', withoutEnlargement: true })
    // toColourspace also casts to 8 bits per sample, which every route expects.
    pipeline = pipeline.toColourspace('srgb')
    if (keepMetadata) pipeline = pipeline.keepMetadata()
    pipeline = encode(pipeline, target)
    await pipeline.toFile(out)
    const st = await stat(out)
    if (st.size > limits.maxInputBytes) {
      throw new AppError({
        code: 'too_many_bytes',
        message: `"${basename(path)}" is still ${(st.size / 1048576).toFixed(1)} MB after conversion; the limit is ${(limits.maxInputBytes / 1048576).toFixed(1)} MB.`,
        path
      })
    }
    const outMeta = await sharp(out).metadata()
    const normalised: Normalisation = {
      steps,
      format: target,
      width: outMeta.width ?? 0,
      height: outMeta.height ?? 0,
      bytes: st.size,
      sha256: await sha256File(out)
    }
    return { path: out, normalised, cleanup }
  } catch (err) {
    await cleanup()
    if (err instanceof AppError) throw err
    throw new AppError({ code: 'corrupt', message: `"${basename(path)}" could not be converted for upload (${(err as Error).message}).`, path }, { cause: err })
  }
}

function pickTarget(accepted: DecodableFormat[], alpha: boolean): DecodableFormat {
  const order: DecodableFormat[] = alpha ? ['png', 'webp', 'avif', 'tiff', 'jpeg'] : ['jpeg', 'png', 'webp', 'avif', 'tiff']
  return order.find((f) => accepted.includes(f)) ?? accepted[0]!
}

function encode(pipeline: ReturnType<typeof sharp>, format: DecodableFormat): ReturnType<typeof sharp> {
  switch (format) {
    case 'jpeg':
      // The upload is an edit source: keep it close to the original (no chroma subsampling loss).
      return pipeline.jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    case 'png':
      return pipeline.png({ compressionLevel: 6 })
    case 'webp':
      return pipeline.webp({ quality: 95 })
    case 'avif':
      return pipeline.avif({ quality: 80 })
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' })
    case 'gif':
      return pipeline.gif()
  }
}
