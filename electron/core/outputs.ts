import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { crc32 } from 'node:zlib'
import sharp from 'sharp'
import { AppError } from '../../shared/errors'
import type { RecordOutput } from '../../shared/records'
import { namingTemplateSchema, type namingPlaceholders, type Settings } from '../../shared/settings'
import { detectImageFormat, type ImageFormat } from './imageformat'
import { maxPathBytes } from './library/inspect'

const DEFAULT_OUTPUT_TEMPLATE = '{name}_{model}_{index}'
export const DEFAULT_OUTPUT_FOLDER = 'pixdesk'
/** The naming template's rules live with the settings, so the Settings form and the writer agree. */
const outputTemplateSchema = namingTemplateSchema

export interface OutputImage {
  bytes: Buffer
  /** What the provider said it returned; the bytes decide. */
  format?: string
}

export interface OutputContext {
  /** The edited file; outputs go to a `pixdesk` folder beside it unless outputDir is set. */
  sourcePath?: string
  /** Configured output folder. */
  outputDir?: string
  /** Folder for outputs with no source and no configured folder (text-to-image). */
  fallbackDir?: string
  template?: string
  model: string
  prompt: string
  requestId?: string
  provider?: string
  /** Batch name (or id) for {batch}. */
  batch?: string
  sourceSha256?: string
  date?: Date
  /** Also write `<output>.json` with everything known about the request. */
  sidecar?: boolean
  /** Further request parameters for the embedded metadata and sidecar (size, quality, provider...). */
  metadata?: Record<string, unknown>
  platform?: NodeJS.Platform
}

const EXT: Partial<Record<ImageFormat, string>> = { png: '.png', jpeg: '.jpg', webp: '.webp', gif: '.gif', avif: '.avif' }
/** Room kept in a file name for a "-NNN" suffix and a ".json" sidecar. */
const NAME_RESERVE = 4 + 5
const NAME_MAX_BYTES = 255

/**
 * Save a request's images. Each is written to a temporary file, flushed to disk, then linked to its
 * final name, which fails rather than replace an existing file (a suffix is added instead): no existing
 * file, original or earlier output, is ever overwritten, and no half-written file is ever visible.
 * A result is saved whole or not at all: when one image cannot be written, those of this call already
 * written are removed again, so the caller can keep the whole result elsewhere and save it again later.
 */
export async function writeOutputs(images: readonly OutputImage[], ctx: OutputContext): Promise<RecordOutput[]> {
  const results: RecordOutput[] = []
  try {
    await writeEach(images, ctx, results)
    return results
  } catch (err) {
    const written = results.flatMap((o) => (o.sidecarPath ? [o.path, o.sidecarPath] : [o.path]))
    await Promise.all(written.map((path) => unlink(path).catch(() => undefined)))
    throw err
  }
}

async function writeEach(images: readonly OutputImage[], ctx: OutputContext, results: RecordOutput[]): Promise<void> {
  const template = outputTemplateSchema.parse(ctx.template ?? DEFAULT_OUTPUT_TEMPLATE)
  const dir = outputDirFor(ctx)
  await mkdir(dir, { recursive: true })
  const date = ctx.date ?? new Date()
  for (const [i, image] of images.entries()) {
    const format = detectImageFormat(image.bytes.subarray(0, 512))
    const ext = format ? EXT[format] : undefined
    if (!format || !ext) {
      throw new AppError({
        code: 'bad_response',
        message: `Output ${i + 1} from ${ctx.model} is not a PNG, JPEG, WebP, GIF or AVIF image (${format ?? 'unknown data'}); nothing was saved for it.`
      })
    }
    const meta = await sharp(image.bytes).metadata()
    const params = embeddedParameters(ctx, date)
    const bytes = embedMetadata(image.bytes, format, params, meta)
    const stem = fileStem(template, ctx, i + 1, date, dir, ext)
    const path = await writeExclusive(dir, stem, ext, bytes)
    const output: RecordOutput = {
      path,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      format
    }
    results.push(output)
    if (ctx.sidecar) {
      const sidecar = { ...params, output: { ...output, path: basename(path) }, source: ctx.sourcePath }
      output.sidecarPath = await writeExclusive(dir, basename(path, ext), '.json', Buffer.from(JSON.stringify(sidecar, null, 2) + '\n'))
    }
  }
}

/**
 * The folder the user chose in Settings, when they chose one: a request's own folder comes before it,
 * and without either, outputs go beside their source (see outputDirFor).
 */
export function chosenOutputFolder(output: Settings['output']): string | undefined {
  return output.folderMode === 'custom' ? (output.customFolder ?? undefined) : undefined
}

function outputDirFor(ctx: Pick<OutputContext, 'outputDir' | 'sourcePath' | 'fallbackDir'>): string {
  if (ctx.outputDir) return ctx.outputDir
  if (ctx.sourcePath) return join(dirname(ctx.sourcePath), DEFAULT_OUTPUT_FOLDER)
  if (ctx.fallbackDir) return ctx.fallbackDir
  throw new AppError({ code: 'validation', field: 'outputDir', message: 'No output folder: choose one in Settings.' })
}

function embeddedParameters(ctx: OutputContext, date: Date): Record<string, unknown> {
  return {
    software: 'Pixdesk',
    model: ctx.model,
    prompt: ctx.prompt,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx.sourceSha256 ? { sourceSha256: ctx.sourceSha256 } : {}),
    createdAt: date.toISOString(),
    ...(ctx.metadata ?? {})
  }
}

/** A file name component safe on Windows, macOS and Linux. */
function safeNamePart(text: string): string {
  // eslint-disable-next-line no-control-regex
  let s = text.normalize('NFC').replace(/[<>:"/\\|?*\u0000-\u001f\u007f]+/g, '_').replace(/\s+/g, ' ').trim()
  s = s.replace(/^\.+/, '').replace(/[. ]+$/, '')
  if (/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(s)) s = `_${s}`
  return s
}

const pad = (n: number) => String(n).padStart(2, '0')
const formatDate = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
const formatTime = (d: Date) => `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`

/** The template filled in, then shortened (the source name gives way first) to fit the OS limits. */
function fileStem(template: string, ctx: OutputContext, index: number, date: Date, dir: string, ext: string): string {
  const sourceName = ctx.sourcePath ? basename(ctx.sourcePath, extname(ctx.sourcePath)) : 'image'
  const fields: Record<(typeof namingPlaceholders)[number], string> = {
    name: safeNamePart(sourceName) || 'image',
    model: safeNamePart(ctx.model) || 'model',
    index: String(index),
    provider: safeNamePart(ctx.provider ?? '') || 'provider',
    date: formatDate(date),
    time: formatTime(date),
    batch: safeNamePart(ctx.batch ?? '') || 'single',
    requestId: safeNamePart(ctx.requestId ?? '') || 'no-request-id'
  }
  const fill = (name: string) => safeNamePart(template.replace(/\{(\w+)\}/g, (_, k: keyof typeof fields) => (k === 'name' ? name : fields[k])))
  const budget = Math.min(NAME_MAX_BYTES, maxPathBytes(ctx.platform) - Buffer.byteLength(dir) - 1) - Buffer.byteLength(ext) - NAME_RESERVE
  if (budget < 16) {
    throw new AppError({
      code: 'path_too_long',
      field: 'outputDir',
      path: dir,
      message: `The output folder path is too long for this system to add file names to it; choose a shorter output folder.`
    })
  }
  let name = fields.name
  let stem = fill(name)
  while (Buffer.byteLength(stem) > budget && name.length > 1) {
    name = [...name].slice(0, -1).join('')
    stem = fill(name)
  }
  while (Buffer.byteLength(stem) > budget) stem = [...stem].slice(0, -1).join('')
  return stem || 'image'
}

/** Link semantics unsupported here (FAT/exFAT, some network shares): fall back to reserve-then-rename. */
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK'])

async function writeExclusive(dir: string, stem: string, ext: string, data: Buffer): Promise<string> {
  const tmp = join(dir, `.${stem.slice(0, 40)}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
  try {
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    for (let n = 1; n < 10_000; n++) {
      const final = join(dir, `${stem}${n === 1 ? '' : `-${n}`}${ext}`)
      try {
        await link(tmp, final)
        await syncDir(dir)
        return final
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? ''
        if (code === 'EEXIST') continue
        if (!NO_LINK.has(code)) throw err
        // Claim the name exclusively, then atomically replace our own empty placeholder.
        try {
          await (await open(final, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL)).close()
        } catch (claimErr) {
          if ((claimErr as NodeJS.ErrnoException).code === 'EEXIST') continue
          throw claimErr
        }
        await rename(tmp, final)
        await syncDir(dir)
        return final
      }
    }
    throw new AppError({ code: 'internal', path: dir, message: `Could not find a free file name for "${stem}${ext}".` })
  } finally {
    await unlink(tmp).catch(() => undefined)
  }
}

export async function syncDir(dir: string): Promise<void> {
  // Makes the new name itself durable; directories cannot be opened for syncing on Windows.
  if (process.platform === 'win32') return
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

// ---------- embedded metadata ----------

function embedMetadata(bytes: Buffer, format: ImageFormat, params: Record<string, unknown>, meta: { width?: number; height?: number; hasAlpha?: boolean }): Buffer {
  if (format === 'png') return pngWithText(bytes, params)
  if (format === 'jpeg') return jpegWithXmp(bytes, xmpPacket(params))
  if (format === 'webp') return webpWithXmp(bytes, xmpPacket(params), meta)
  return bytes
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])))
  return Buffer.concat([head, data, crc])
}

/**
 * iTXt (UTF-8) chunks right after IHDR, where readers that stop at the image data still find them: the
 * readable fields one by one, and all parameters as JSON.
 */
function pngWithText(bytes: Buffer, params: Record<string, unknown>): Buffer {
  const afterHeader = 8 + 8 + 13 + 4
  if (bytes.toString('latin1', 12, 16) !== 'IHDR' || bytes.length < afterHeader) return bytes
  const itxt = (key: string, value: string) => pngChunk('iTXt', Buffer.concat([Buffer.from(`${key}\0\0\0\0\0`, 'latin1'), Buffer.from(value, 'utf8')]))
  const chunks = [pngChunk('tEXt', Buffer.from('Software\0Pixdesk', 'latin1'))]
  for (const key of ['model', 'prompt', 'requestId', 'sourceSha256', 'parentRequestId'] as const) {
    const value = params[key]
    if (typeof value === 'string') chunks.push(itxt(`pixdesk:${key}`, value))
  }
  chunks.push(itxt('pixdesk:parameters', JSON.stringify(params)))
  return Buffer.concat([bytes.subarray(0, afterHeader), ...chunks, bytes.subarray(afterHeader)])
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function xmpPacket(params: Record<string, unknown>): string {
  const field = (key: string) => (typeof params[key] === 'string' ? `<pixdesk:${key}>${xmlEscape(params[key])}</pixdesk:${key}>` : '')
  // JPEG segments end at 64 KB: a very long prompt is shortened here (the sidecar keeps it whole).
  const prompt = String(params.prompt ?? '').slice(0, 16_000)
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" ' +
    'xmlns:pixdesk="https://pixdesk.app/ns/1.0/">' +
    '<xmp:CreatorTool>Pixdesk</xmp:CreatorTool>' +
    `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(prompt)}</rdf:li></rdf:Alt></dc:description>` +
    field('model') +
    `<pixdesk:prompt>${xmlEscape(prompt)}</pixdesk:prompt>` +
    field('requestId') +
    field('sourceSha256') +
    field('parentRequestId') +
    (Array.isArray(params.references) ? `<pixdesk:references>${xmlEscape(JSON.stringify(params.references))}</pixdesk:references>` : '') +
    field('createdAt') +
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  )
}

/** An APP1 XMP segment right after SOI (and JFIF APP0, which must come first). */
function jpegWithXmp(bytes: Buffer, xmp: string): Buffer {
  const payload = Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xmp, 'utf8')])
  if (payload.length + 2 > 0xffff) return bytes
  const seg = Buffer.alloc(4)
  seg.writeUInt16BE(0xffe1, 0)
  seg.writeUInt16BE(payload.length + 2, 2)
  let at = 2
  if (bytes[2] === 0xff && bytes[3] === 0xe0) at = 4 + bytes.readUInt16BE(4)
  return Buffer.concat([bytes.subarray(0, at), seg, payload, bytes.subarray(at)])
}

/** WebP keeps XMP in an 'XMP ' chunk announced by the VP8X header, which simple files must gain first. */
function webpWithXmp(bytes: Buffer, xmp: string, meta: { width?: number; height?: number; hasAlpha?: boolean }): Buffer {
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WEBP') return bytes
  const chunk = (fourcc: string, data: Buffer) => {
    const head = Buffer.alloc(8)
    head.write(fourcc, 0, 'latin1')
    head.writeUInt32LE(data.length, 4)
    return Buffer.concat([head, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)])
  }
  let body = bytes.subarray(12)
  const first = body.toString('latin1', 0, 4)
  if (first === 'VP8X') {
    const vp8x = Buffer.from(body.subarray(0, 18))
    vp8x[8] = vp8x[8]! | 0x04
    body = Buffer.concat([vp8x, body.subarray(18)])
  } else {
    const w = (meta.width ?? 1) - 1
    const h = (meta.height ?? 1) - 1
    const data = Buffer.alloc(10)
    data[0] = 0x04 | (meta.hasAlpha ? 0x10 : 0)
    data.writeUIntLE(w, 4, 3)
    data.writeUIntLE(h, 7, 3)
    body = Buffer.concat([chunk('VP8X', data), body])
  }
  const out = Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBP', 'latin1'), body, chunk('XMP ', Buffer.from(xmp, 'utf8'))])
  out.writeUInt32LE(out.length - 8, 4)
  return out
}
