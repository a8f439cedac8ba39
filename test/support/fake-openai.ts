import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'

/**
 * A strict local stand-in for the OpenAI Images API, built from openai-openapi (CreateImageEditRequest,
 * CreateImageRequest, ImagesResponse, Error). It refuses anything the real endpoint would refuse for
 * shape reasons (unknown fields, wrong enums, missing image parts, key anywhere but the header) and
 * records every request so tests can check exactly what the client sent.
 */

export interface ReceivedOpenAI {
  method: string
  path: string
  query: string
  headers: Record<string, string | string[] | undefined>
  /** Bytes of request body actually received. */
  bodyBytes: number
  fields: Record<string, string>
  /** Multipart file parts, in order, by field name, with the content's hash. */
  files: Array<{ field: string; name: string; type: string; bytes: number; sha256: string }>
  json?: Record<string, unknown>
}

export type OpenAIScript =
  | { kind: 'ok' }
  | { kind: 'error'; status: number; code: string | null; type: string; message: string; headers?: Record<string, string> }

const EDIT_FIELDS = new Set(['model', 'prompt', 'n', 'size', 'quality', 'background', 'output_format', 'output_compression', 'input_fidelity', 'response_format', 'user', 'stream', 'partial_images', 'mask'])
const GEN_FIELDS = new Set(['model', 'prompt', 'n', 'size', 'quality', 'background', 'output_format', 'output_compression', 'response_format', 'user', 'moderation', 'style', 'stream', 'partial_images'])
const SIZES = new Set(['256x256', '512x512', '1024x1024', '1536x1024', '1024x1536', 'auto'])
const ENUMS: Record<string, Set<string>> = {
  quality: new Set(['low', 'medium', 'high', 'auto', 'standard']),
  background: new Set(['transparent', 'opaque', 'auto']),
  output_format: new Set(['png', 'jpeg', 'webp']),
  input_fidelity: new Set(['high', 'low']),
  response_format: new Set(['url', 'b64_json'])
}

export async function startFakeOpenAI(options: { apiKey: string }) {
  const received: ReceivedOpenAI[] = []
  const script: OpenAIScript[] = []
  let pending: ((r: ReceivedOpenAI) => void) | undefined

  const error = (res: ServerResponse, status: number, message: string, type = 'invalid_request_error', code: string | null = null, param: string | null = null, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_fake_${received.length}`, ...headers })
    res.end(JSON.stringify({ error: { message, type, param, code } }))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    const r: ReceivedOpenAI = { method: req.method ?? '', path: url.pathname, query: url.search, headers: req.headers, bodyBytes: body.length, fields: {}, files: [] }
    received.push(r)
    pending?.(r)
    if (url.search) return error(res, 400, 'Unexpected query string.')
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) return error(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key')

    if (req.method === 'GET' && url.pathname === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-image-1.5', object: 'model' }] }))
    }
    const op = url.pathname === '/v1/images/edits' ? 'edit' : url.pathname === '/v1/images/generations' ? 'generate' : null
    if (req.method !== 'POST' || !op) return error(res, 404, `Unknown route ${req.method} ${url.pathname}`)

    const type = req.headers['content-type'] ?? ''
    if (type.startsWith('multipart/form-data')) {
      if (op !== 'edit') return error(res, 400, 'Generations take JSON.')
      const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': type }, body }).formData()
      for (const [k, v] of form.entries()) {
        if (typeof v === 'string') r.fields[k] = v
        else r.files.push({ field: k, name: v.name, type: v.type, bytes: v.size, sha256: createHash('sha256').update(Buffer.from(await v.arrayBuffer())).digest('hex') })
      }
      if (!r.files.length) return error(res, 400, "Missing required parameter: 'image'.", 'invalid_request_error', null, 'image')
      for (const f of r.files) {
        if (f.field !== 'image' && f.field !== 'image[]' && f.field !== 'mask') return error(res, 400, `Unknown file parameter '${f.field}'.`, 'invalid_request_error', 'unknown_parameter', f.field)
        if (!['image/png', 'image/jpeg', 'image/webp'].includes(f.type)) return error(res, 400, `Invalid file type ${f.type}.`, 'invalid_request_error', 'invalid_image_format', f.field)
      }
      if (r.files.filter((f) => f.field === 'image').length > 1) return error(res, 400, "Several images must be sent as 'image[]'.", 'invalid_request_error', null, 'image')
    } else if (type.startsWith('application/json')) {
      r.json = JSON.parse(body.toString('utf8')) as Record<string, unknown>
      for (const [k, v] of Object.entries(r.json)) if (k !== 'images') r.fields[k] = String(v)
      if (op === 'edit') {
        const images = r.json.images
        if (!Array.isArray(images) || !images.length) return error(res, 400, "Missing required parameter: 'images'.", 'invalid_request_error', null, 'images')
        for (const img of images as Array<Record<string, unknown>>) {
          const ref = img.image_url
          if (typeof ref !== 'string' || !/^(https:\/\/|data:image\/)/.test(ref)) return error(res, 400, 'images[].image_url must be an https URL or a data URL.', 'invalid_request_error', null, 'images')
        }
      }
    } else return error(res, 400, 'Unsupported content type.')

    const allowed = op === 'edit' ? EDIT_FIELDS : GEN_FIELDS
    for (const k of Object.keys(r.fields)) if (!allowed.has(k)) return error(res, 400, `Unknown parameter: '${k}'.`, 'invalid_request_error', 'unknown_parameter', k)
    if (!r.fields.prompt) return error(res, 400, "Missing required parameter: 'prompt'.", 'invalid_request_error', null, 'prompt')
    if (r.fields.prompt.length > 32000) return error(res, 400, 'Prompt too long.', 'invalid_request_error', null, 'prompt')
    const n = r.fields.n === undefined ? 1 : Number(r.fields.n)
    if (!Number.isInteger(n) || n < 1 || n > 10) return error(res, 400, 'n must be 1..10.', 'invalid_request_error', null, 'n')
    if (r.fields.size && !SIZES.has(r.fields.size)) return error(res, 400, `Invalid size '${r.fields.size}'.`, 'invalid_request_error', null, 'size')
    for (const [k, set] of Object.entries(ENUMS)) if (r.fields[k] !== undefined && !set.has(r.fields[k])) return error(res, 400, `Invalid value for '${k}'.`, 'invalid_request_error', null, k)
    if (r.fields.output_compression !== undefined) {
      const c = Number(r.fields.output_compression)
      if (!Number.isInteger(c) || c < 0 || c > 100) return error(res, 400, 'output_compression must be 0..100.', 'invalid_request_error', null, 'output_compression')
    }
    if (r.fields.response_format && r.fields.model?.startsWith('gpt-image')) return error(res, 400, "Unknown parameter: 'response_format'.", 'invalid_request_error', 'unknown_parameter', 'response_format')

    const next = script.shift() ?? { kind: 'ok' }
    if (next.kind === 'error') return error(res, next.status, next.message, next.type, next.code, null, next.headers)
    const format = (r.fields.output_format ?? 'png') as 'png' | 'jpeg' | 'webp'
    const img = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#4060a0' } }).toFormat(format).toBuffer()
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_fake_${received.length}` })
    res.end(
      JSON.stringify({
        created: 1_700_000_000,
        data: Array.from({ length: n }, () => ({ b64_json: img.toString('base64') })),
        background: r.fields.background ?? 'opaque',
        output_format: format,
        size: r.fields.size ?? '1024x1024',
        quality: r.fields.quality ?? 'auto',
        usage: { input_tokens: 50, output_tokens: 1056, total_tokens: 1106, input_tokens_details: { text_tokens: 10, image_tokens: 40 } }
      })
    )
  }

  const server = createServer((req, res) => void handle(req, res).catch((e: unknown) => error(res, 500, String(e), 'server_error')))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Queue the next responses (default: success). */
    script,
    nextRequest: () => new Promise<ReceivedOpenAI>((resolve) => (pending = resolve)),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
