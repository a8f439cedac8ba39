import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { AppError } from '../../../shared/errors'
import type { InputFacts } from '../../../shared/catalog'
import type { RecordInput } from '../../../shared/records'
import { detectImageFormat, FORMAT_MIME, SNIFF_BYTES, type ImageFormat } from '../imageformat'
import type { ImageInput } from './types'

/** An input after the pre-flight look: enough to validate, record and upload it. */
export interface PreparedInput {
  facts: InputFacts
  record: RecordInput
  /** Decoded bytes of a data URL (uploaded as a file part, the documented way). */
  data?: Buffer
  format?: ImageFormat
  fileName: string
  source: ImageInput
}

/** Decodes "data:image/...;base64,..." without running a regex over the (possibly huge) payload. */
export function decodeDataUrl(dataUrl: string, label: string): Buffer {
  const comma = dataUrl.indexOf(',')
  const header = comma > 0 ? dataUrl.slice(0, comma) : ''
  if (!/^data:[\w.+-]+\/[\w.+-]+(;[\w-]+=[^;,]*)*;base64$/i.test(header)) {
    throw new AppError({ code: 'validation', field: 'inputs', message: `${label} is not a base64 data URL ("data:image/png;base64,...").` })
  }
  return Buffer.from(dataUrl.slice(comma + 1), 'base64')
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buf = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
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

/**
 * Looks at every input without uploading anything: file size and content type for files, decoded
 * bytes for data URLs, scheme for URLs. A file that is missing or unreadable is a validation error.
 */
export async function prepareInputs(inputs: readonly ImageInput[]): Promise<PreparedInput[]> {
  return Promise.all(
    inputs.map(async (input, i): Promise<PreparedInput> => {
      const field = `inputs[${i}]`
      if (input.source === 'file') {
        const label = basename(input.path)
        let size: number
        let head: Buffer
        try {
          size = (await stat(input.path)).size
          head = await readHead(input.path)
        } catch (err) {
          throw new AppError(
            { code: 'validation', field, path: input.path, message: `Cannot read input ${label}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}. Check that the file still exists.` },
            { cause: err }
          )
        }
        const format = detectImageFormat(head) ?? undefined
        const sha256 = input.sha256 ?? (await sha256Stream(input.path))
        return {
          facts: { source: 'file', format: format ?? 'unknown', bytes: size, label },
          record: {
            source: 'file',
            path: input.path,
            sha256,
            bytes: size,
            width: input.width,
            height: input.height,
            format: format ?? input.format,
            normalised: input.normalised
          },
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
    })
  )
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

export function mimeOf(input: PreparedInput): string {
  return input.format ? FORMAT_MIME[input.format] : 'application/octet-stream'
}
