import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import sharp from 'sharp'
import { AppError } from '../../shared/errors'
import type { RecordOutput, SizeMismatch } from '../../shared/records'
import { namingTemplateSchema, type namingPlaceholders, type Settings } from '../../shared/settings'
import { detectImageFormat, type ImageFormat } from './imageformat'
import { maxPathBytes } from './library/inspect'
import { labelOutput, readSource, type LabelSettings } from './provenance/label'
import type { ProvenanceFields, ProvenanceKind } from './provenance/xmp'

const DEFAULT_OUTPUT_TEMPLATE = '{name}_{model}_{index}'
export const DEFAULT_OUTPUT_FOLDER = 'pixdesk'
/** The naming template's rules live with the settings, so the Settings form and the writer agree. */
const outputTemplateSchema = namingTemplateSchema

export interface OutputImage {
  bytes: Buffer
  /** What the provider said it returned; the bytes decide. */
  format?: string
  /** The delivered size differed from the asked one (the bytes may already be finished to the asked size). */
  sizeMismatch?: SizeMismatch
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
  /** An edit of a source or a new picture: what the label's digital source type says. Edits when there is a source. */
  kind?: ProvenanceKind
  parentRequestId?: string
  /** EXIF copy and Content Credentials; the XMP label is written whatever these say. */
  label?: LabelSettings
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
  await removeLeftovers(dir)
  const date = ctx.date ?? new Date()
  const labelSettings = ctx.label ?? {}
  const source = await readSource(ctx.sourcePath, labelSettings)
  for (const [i, image] of images.entries()) {
    const detected = detectImageFormat(image.bytes.subarray(0, 512))
    if (!detected || !EXT[detected]) {
      throw new AppError({
        code: 'bad_response',
        message: `Output ${i + 1} from ${ctx.model} is not a PNG, JPEG, WebP, GIF or AVIF image (${detected ?? 'unknown data'}); nothing was saved for it.`
      })
    }
    const meta = await sharp(image.bytes).metadata()
    const params = embeddedParameters(ctx, date)
    const labelled = await labelOutput(image.bytes, detected, provenanceFields(ctx, date), pngTextOf(params), source, labelSettings)
    const { bytes, format } = labelled
    const ext = EXT[format]!
    const stem = fileStem(template, ctx, i + 1, date, dir, ext)
    const path = await writeExclusive(dir, stem, ext, bytes)
    const output: RecordOutput = {
      path,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      format,
      ...(image.sizeMismatch ? { sizeMismatch: image.sizeMismatch } : {}),
      ...(labelled.contentCredentials ? { contentCredentials: labelled.contentCredentials } : {}),
      ...(labelled.exifCopied ? { sourceExifCopied: true } : {})
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

function provenanceFields(ctx: OutputContext, date: Date): ProvenanceFields {
  const { recordId, parentRequestId, references } = ctx.metadata ?? {}
  return {
    kind: ctx.kind ?? (ctx.sourcePath || ctx.sourceSha256 ? 'edit' : 'generate'),
    model: ctx.model,
    provider: ctx.provider,
    prompt: ctx.prompt,
    requestId: ctx.requestId,
    parentRequestId: ctx.parentRequestId ?? (typeof parentRequestId === 'string' ? parentRequestId : undefined),
    recordId: typeof recordId === 'string' ? recordId : undefined,
    sourceSha256: ctx.sourceSha256,
    ...(Array.isArray(references) ? { references: references as ProvenanceFields['references'] } : {}),
    createdAt: date.toISOString(),
    software: 'Pixdesk'
  }
}

/** PNG readers that show text chunks rather than XMP still find the readable fields and all parameters. */
function pngTextOf(params: Record<string, unknown>): Record<string, string> {
  const text: Record<string, string> = {}
  for (const key of ['model', 'prompt', 'requestId', 'sourceSha256', 'parentRequestId'] as const) {
    const value = params[key]
    if (typeof value === 'string') text[`pixdesk:${key}`] = value
  }
  text['pixdesk:parameters'] = JSON.stringify(params)
  return text
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

/** Temporary files this process is writing now; a temporary name also carries the writer's process id. */
const writing = new Set<string>()
const TEMP_NAME = /^\..*\.(?:(\d+)-)?[0-9a-f]{12}\.tmp$/
const sweptFolders = new Set<string>()

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * A writer killed between creating its temporary file and linking it leaves the file behind (hidden, but
 * in the user's folder). The first write into a folder removes those whose writer is gone: another
 * running process's are left alone, and a nameless older one only once it is an hour old.
 */
async function removeLeftovers(dir: string): Promise<void> {
  if (sweptFolders.has(dir)) return
  sweptFolders.add(dir)
  const names = await readdir(dir).catch(() => [] as string[])
  for (const name of names) {
    const m = TEMP_NAME.exec(name)
    const path = join(dir, name)
    if (!m || writing.has(path)) continue
    const pid = m[1] ? Number(m[1]) : undefined
    if (pid !== undefined && pid !== process.pid && isRunning(pid)) continue
    if (pid === undefined) {
      const age = await stat(path).then((st) => Date.now() - st.mtimeMs, () => 0)
      if (age < 3_600_000) continue
    }
    await unlink(path).catch(() => undefined)
  }
}

async function writeExclusive(dir: string, stem: string, ext: string, data: Buffer): Promise<string> {
  const tmp = join(dir, `.${stem.slice(0, 40)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
  writing.add(tmp)
  let fh
  try {
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
  } catch (err) {
    writing.delete(tmp)
    throw err
  }
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
    writing.delete(tmp)
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
