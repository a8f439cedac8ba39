import { createHash } from 'node:crypto'
import { createReadStream, openAsBlob } from 'node:fs'
import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import { AppError } from '../../../shared/errors'
import type { InputFacts } from '../../../shared/catalog'
import type { RecordInput } from '../../../shared/records'
import { detectImageFormat, FORMAT_MIME, SNIFF_BYTES, type ImageFormat } from '../imageformat'
import type { ImageInput } from './types'
import type { BodyPart } from './upload'

/** An input after the pre-flight look: enough to validate, record and upload it. */
export interface PreparedInput {
  facts: InputFacts
  record: RecordInput
  /** Decoded bytes of a data URL (uploaded as a file part, the documented way). */
  data?: Buffer
  /**
   * A local file: a Blob fixed at the size seen when it was opened (reading fails if the file changes
   * afterwards, so what is sent is what was validated), and its first chunk, read once and reused by
   * every attempt (for a small file, that is the whole file).
   */
  file?: { blob: Blob; head: Buffer }
  /** Hashes the file when the caller gave no sha256; run while the request is in flight. */
  hash?: () => Promise<string>
  format?: ImageFormat
  fileName: string
  source: ImageInput
}

/** First chunk read from a file before sending: enough to sniff the format, and all of a typical small input. */
const HEAD_BYTES = 64 * 1024

/** Decodes "data:image/...;base64,..." without running a regex over the (possibly huge) payload. */
export function decodeDataUrl(dataUrl: string, label: string): Buffer {
  const comma = dataUrl.indexOf(',')
  const header = comma > 0 ? dataUrl.slice(0, comma) : ''
  if (!/^data:[\w.+-]+\/[\w.+-]+(;[\w-]+=[^;,]*)*;base64$/i.test(header)) {
    throw new AppError({ code: 'validation', field: 'inputs', message: `${label} is not a base64 data URL ("data:image/png;base64,...").` })
  }
  return Buffer.from(dataUrl.slice(comma + 1), 'base64')
}

export function sha256Stream(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

async function openInput(path: string): Promise<{ blob: Blob; head: Buffer }> {
  // openAsBlob takes the size with one stat and reads nothing yet; the head is one plain read (reading
  // it through the blob costs a stream and copies per request).
  const blob = await openAsBlob(path)
  const fh = await open(path, 'r')
  try {
    const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, blob.size))
    const { bytesRead } = await fh.read(head, 0, head.length, 0)
    return { blob, head: head.subarray(0, bytesRead) }
  } finally {
    await fh.close()
  }
}

/**
 * Looks at every input without uploading anything: size and content type for files (from one read of
 * their first chunk), decoded bytes for data URLs, scheme for URLs. A file that is missing or
 * unreadable is a validation error. Facts the caller already has (sha256) are used, not recomputed.
 */
export async function prepareInputs(inputs: readonly ImageInput[]): Promise<PreparedInput[]> {
  return Promise.all(
    inputs.map(async (input, i) => {
      const prepared = await prepareInput(input, i)
      if (input.role) prepared.record.role = input.role
      return prepared
    })
  )
}

async function prepareInput(input: ImageInput, i: number): Promise<PreparedInput> {
  const field = `inputs[${i}]`
  if (input.source === 'file') {
    const label = basename(input.path)
    let file: { blob: Blob; head: Buffer }
    try {
      file = await openInput(input.path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name
      throw new AppError(
        { code: 'validation', field, path: input.path, message: `Cannot read input ${label}: ${code || 'unreadable'}. Check that the file still exists.` },
        { cause: err }
      )
    }
    const size = file.blob.size
    const format = detectImageFormat(file.head.subarray(0, SNIFF_BYTES)) ?? undefined
    const whole = file.head.length === size
    const sha256 = input.sha256 ?? (whole ? createHash('sha256').update(file.head).digest('hex') : undefined)
    const path = input.path
    return {
      facts: { source: 'file', format: format ?? 'unknown', bytes: size, label },
      record: {
        source: 'file',
        path,
        sha256,
        bytes: size,
        width: input.width,
        height: input.height,
        format: format ?? input.format,
        normalised: input.normalised
      },
      file,
      hash: sha256 === undefined ? () => sha256Stream(path) : undefined,
      format,
      fileName: label,
      source: input
    }
  }
  if (input.source === 'data') {
    const label = `Input ${i + 1} (data URL)`
    const data = decodeDataUrl(input.dataUrl, label)
    const format = detectImageFormat(data.subarray(0, SNIFF_BYTES)) ?? undefined
    return {
      facts: { source: 'data', format: format ?? 'unknown', bytes: data.length, label },
      record: { source: 'data', sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length, format },
      data,
      format,
      fileName: `input-${i + 1}.${format ?? 'bin'}`,
      source: input
    }
  }
  let url: URL
  try {
    url = new URL(input.url)
  } catch {
    throw new AppError({ code: 'validation', field, message: `Input ${i + 1} is not a valid URL.` })
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new AppError({ code: 'validation', field, message: `Input ${i + 1} must be an https:// URL (http only for this computer).` })
  }
  if (url.username || url.password) throw new AppError({ code: 'validation', field, message: `Input ${i + 1} URL must not contain credentials.` })
  return {
    facts: { source: 'url', label: `Input ${i + 1} (${url.host})` },
    record: { source: 'url', url: url.toString() },
    fileName: basename(url.pathname) || `input-${i + 1}`,
    source: input
  }
}

/** The upload content of a file or data-URL input, in order, without reading the rest of a file now. */
export function inputParts(input: PreparedInput): BodyPart[] {
  if (input.file) {
    const { blob, head } = input.file
    return head.length < blob.size ? [head, { blob: blob.slice(head.length), label: input.fileName }] : [head]
  }
  return [input.data ?? Buffer.alloc(0)]
}

/** The whole content of a file or data-URL input, for bodies that carry it inline (bounded by the catalog). */
export async function inputBytes(input: PreparedInput): Promise<Buffer> {
  if (input.file) {
    const { blob, head } = input.file
    return head.length < blob.size ? Buffer.from(await blob.arrayBuffer()) : head
  }
  return input.data ?? Buffer.alloc(0)
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

export function mimeOf(input: PreparedInput): string {
  return input.format ? FORMAT_MIME[input.format] : 'application/octet-stream'
}
