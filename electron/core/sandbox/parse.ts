import type { IncomingMessage } from 'node:http'
import { detectImageFormat, SNIFF_BYTES } from '../imageformat'
import { decodeDataUrl, isLoopback } from '../providers/inputs'

/** Reading a submission the way Pixapi's edits and generations endpoints take it (docs/pixapi-contract.md). */

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly type: string,
    message: string,
    readonly param?: string
  ) {
    super(message)
  }
}

export interface ParsedInput {
  bytes: Buffer
  format: string | null
}

export interface ParsedSubmission {
  model: string
  prompt: string
  n: number
  size?: string
  /** `aspect_ratio` (Gemini models): the frame's shape, with `size` as its tier. */
  aspectRatio?: string
  quality?: string
  responseFormat?: 'url' | 'b64_json'
  inputs: ParsedInput[]
  mask?: Buffer
}

export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > max) throw new HttpFailure(413, 'payload_too_large', 'invalid_request_error', `The request body is over ${max} bytes.`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size)
}

const asImage = (bytes: Buffer): ParsedInput => ({ bytes, format: detectImageFormat(bytes.subarray(0, SNIFF_BYTES)) })

/** The image field of a JSON edit: an https/loopback URL or a data URL, alone or in an array. */
async function jsonImage(value: unknown): Promise<ParsedInput[]> {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value]
  const out: ParsedInput[] = []
  for (const item of list) {
    if (typeof item !== 'string') throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', '"image" must be a URL or data URL string.', 'image')
    if (item.startsWith('data:')) {
      try {
        out.push(asImage(decodeDataUrl(item, 'image')))
      } catch (e) {
        throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', e instanceof Error ? e.message : 'Bad data URL.', 'image')
      }
      continue
    }
    let url: URL
    try {
      url = new URL(item)
    } catch {
      throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', '"image" is not a valid URL.', 'image')
    }
    // Offline by design: the sandbox only fetches from this computer.
    if (!isLoopback(url.hostname)) {
      throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', 'The sandbox works offline and only fetches image URLs on this computer (127.0.0.1).', 'image')
    }
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
    if (!res?.ok) throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', `Could not fetch the image URL (${res?.status ?? 'no answer'}).`, 'image')
    out.push(asImage(Buffer.from(await res.arrayBuffer())))
  }
  return out
}

export async function parseSubmission(req: IncomingMessage, kind: 'edit' | 'generate', maxBody: number, onBody: (bytes: number) => void): Promise<ParsedSubmission> {
  const type = req.headers['content-type'] ?? ''
  const body = await readBody(req, maxBody)
  onBody(body.length)
  const bad = (message: string, param?: string) => new HttpFailure(400, 'invalid_request', 'invalid_request_error', message, param)
  let fields: Record<string, unknown>
  let inputs: ParsedInput[] = []
  let mask: Buffer | undefined
  if (type.startsWith('multipart/form-data')) {
    if (kind !== 'edit') throw bad('Generations take a JSON body.')
    let form: FormData
    try {
      form = await new Request('http://sandbox.local/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(body) }).formData()
    } catch {
      throw bad('The multipart body could not be parsed.')
    }
    fields = {}
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') fields[key] = value
      else if (key === 'image' || key === 'image[]') inputs.push(asImage(Buffer.from(await value.arrayBuffer())))
      else if (key === 'mask' && !mask) mask = Buffer.from(await value.arrayBuffer())
      else throw bad(`Unexpected file field "${key}"; images go in "image" parts.`, key)
    }
  } else if (type.startsWith('application/json')) {
    try {
      fields = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    } catch {
      throw bad('The JSON body could not be parsed.')
    }
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) throw bad('The JSON body must be an object.')
    if (kind === 'edit') inputs = await jsonImage(fields.image)
  } else {
    throw new HttpFailure(415, 'unsupported_media_type', 'invalid_request_error', 'Send multipart/form-data (edits) or application/json.')
  }
  const str = (k: string) => (fields[k] === undefined ? undefined : String(fields[k]))
  const n = fields.n === undefined ? 1 : Number(fields.n)
  if (!Number.isInteger(n)) throw bad('"n" must be an integer.', 'n')
  const responseFormat = str('response_format')
  if (responseFormat !== undefined && responseFormat !== 'url' && responseFormat !== 'b64_json') throw bad('"response_format" must be "url" or "b64_json".', 'response_format')
  if (kind === 'edit' && inputs.length === 0) throw bad('An edit needs at least one "image".', 'image')
  return { model: str('model') ?? '', prompt: str('prompt') ?? '', n, size: str('size'), aspectRatio: str('aspect_ratio'), quality: str('quality'), responseFormat, inputs, mask }
}

