import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import sharp from 'sharp'
import { detectImageFormat, type ImageFormat } from '../imageformat'
import { signContentCredentials } from './c2pa'
import { embedInJpeg, embedInPng, embedInWebp, JPEG_XMP_MAX_BYTES, type ContainerMetadata } from './containers'
import { copyableExif } from './exif'
import { xmpPacket, xmpPacketWithin, type ProvenanceFields } from './xmp'

/**
 * What every output file says about itself: that a model made it (IPTC digital source type in XMP),
 * which model, provider and requests, optionally the source photo's EXIF, and, unless turned off, signed
 * Content Credentials. The XMP label is the floor: it is written for every output, whatever else fails.
 */
export interface LabelSettings {
  /** Copy the source's EXIF (camera, copyright, captions); `gps` also copies its position. */
  copyExif?: { gps: boolean }
  /** Sign Content Credentials with the installation's (or the studio's) certificate in this data folder. */
  contentCredentials?: { dataDir: string }
}

export interface SourceFile {
  path: string
  bytes: Buffer
  format?: ImageFormat
  exif?: Buffer
}

export interface LabelledImage {
  bytes: Buffer
  format: 'png' | 'jpeg' | 'webp'
  /** Undefined when Content Credentials are off; otherwise whether they were signed, and why not. */
  contentCredentials?: { signed: boolean; note?: string }
  exifCopied: boolean
}

/** The source's bytes and EXIF, read once per request for every output that needs them. */
export async function readSource(path: string | undefined, settings: LabelSettings): Promise<SourceFile | undefined> {
  if (!path || (!settings.copyExif && !settings.contentCredentials)) return undefined
  try {
    const bytes = await readFile(path)
    const format = detectImageFormat(bytes.subarray(0, 512)) ?? undefined
    const exif = settings.copyExif ? (await sharp(bytes).metadata()).exif : undefined
    return { path, bytes, format, exif }
  } catch {
    // The source moved or cannot be decoded: the outputs are still labelled, only without what it would add.
    return undefined
  }
}

/**
 * Labels one output. PNG, JPEG and WebP are labelled by rewriting their container, never re-encoded. GIF
 * and AVIF answers cannot carry the label that way; they are stored as lossless PNG instead, which keeps
 * every pixel (re-encoding AVIF would lose quality a second time).
 */
export async function labelOutput(bytes: Buffer, format: ImageFormat, fields: ProvenanceFields, pngText: Record<string, string>, source: SourceFile | undefined, settings: LabelSettings): Promise<LabelledImage> {
  let image = bytes
  let kind: 'png' | 'jpeg' | 'webp' = format === 'jpeg' || format === 'webp' ? format : 'png'
  if (format !== 'png' && format !== 'jpeg' && format !== 'webp') {
    image = await sharp(bytes).png().toBuffer()
    kind = 'png'
  }
  const exif = settings.copyExif && source ? copyableExif(source.exif, settings.copyExif) : undefined
  const meta: ContainerMetadata = { xmp: xmpPacket(fields), exif, pngText }
  let labelled: Buffer
  if (kind === 'png') labelled = embedInPng(image, meta)
  else if (kind === 'jpeg') labelled = embedInJpeg(image, { ...meta, xmp: xmpPacketWithin(fields, JPEG_XMP_MAX_BYTES), exif: exif && exif.length < 0xff00 ? exif : undefined })
  else {
    const info = await sharp(image).metadata()
    labelled = embedInWebp(image, meta, { width: info.width ?? 1, height: info.height ?? 1, hasAlpha: info.hasAlpha ?? false })
  }
  if (!settings.contentCredentials) return { bytes: labelled, format: kind, exifCopied: Boolean(exif) }
  try {
    const signed = await signContentCredentials(
      labelled,
      kind,
      {
        kind: fields.kind,
        model: fields.model,
        provider: fields.provider,
        title: `${fields.model} output`,
        requestId: fields.requestId,
        parentRequestId: fields.parentRequestId,
        source: fields.kind === 'edit' && source ? { bytes: source.bytes, format: source.format, title: basename(source.path) } : undefined,
        software: { name: fields.software, version: process.env.npm_package_version ?? '0.1.0' }
      },
      settings.contentCredentials.dataDir
    )
    return { bytes: signed, format: kind, exifCopied: Boolean(exif), contentCredentials: { signed: true } }
  } catch (err) {
    // A paid result is never lost to a signing problem: it is saved with its XMP label, and the record says why it is unsigned.
    const note = err instanceof Error ? err.message : String(err)
    return { bytes: labelled, format: kind, exifCopied: Boolean(exif), contentCredentials: { signed: false, note: note.slice(0, 300) } }
  }
}
