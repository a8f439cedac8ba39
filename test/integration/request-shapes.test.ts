import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GoogleGenAI } from '@google/genai'
import OpenAI, { toFile } from 'openai'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { executeImageRequest } from '../../electron/core/providers/execute'
import type { ImageRequest } from '../../electron/core/providers/types'

/**
 * What Pixdesk sends, compared with what the official SDKs send for the same edit, both recorded by one
 * loopback server, and with the OpenAI OpenAPI schema (a copy of the parts used, in test/fixtures).
 */
interface Recorded {
  method: string
  path: string
  headers: IncomingMessage['headers']
  fields: Array<{ name: string; file: boolean; value?: string }>
  json?: unknown
}

let server: Server
let base: string
let png: Buffer
let files: string[]
const recorded: Recorded[] = []

async function record(req: IncomingMessage): Promise<Recorded> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const body = Buffer.concat(chunks)
  const type = req.headers['content-type'] ?? ''
  const entry: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, fields: [] }
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': type } }).formData()
    for (const [name, value] of form.entries()) entry.fields.push(typeof value === 'string' ? { name, file: false, value } : { name, file: true })
  } else if (body.length) entry.json = JSON.parse(body.toString('utf8'))
  return entry
}

/** Every path to a leaf of a JSON value, arrays as [], keys in one spelling (the Gemini API reads snake_case and camelCase alike). */
function jsonPaths(value: unknown, prefix = ''): string[] {
  const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => jsonPaths(v, `${prefix}[]`)))]
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => jsonPaths(v, `${prefix}.${camel(k)}`))
  return [`${prefix}:${typeof value}`]
}

beforeAll(async () => {
  png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#a52' } }).png().toBuffer()
  const dir = mkdtempSync(join(tmpdir(), 'pixdesk-shapes-'))
  files = ['a.png', 'b.png'].map((name) => {
    const path = join(dir, name)
    writeFileSync(path, png)
    return path
  })
  server = createServer((req, res) => {
    void record(req).then((entry) => {
      recorded.push(entry)
      const b64 = png.toString('base64')
      const body = entry.path.includes(':generateContent')
        ? { candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: b64 } }] }, finishReason: 'STOP' }] }
        : { created: 1, data: [{ b64_json: b64 }] }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((ok) => server.close(() => ok())))
beforeEach(() => {
  recorded.length = 0
})

const edit = (provider: ImageRequest['provider'], model: string, inputs: string[], params: ImageRequest['params']): ImageRequest => ({
  kind: 'edit',
  provider,
  model,
  prompt: 'warm light',
  params,
  route: 'sync',
  inputs: inputs.map((path) => ({ source: 'file', path }))
})

const fieldShape = (r: Recorded) => r.fields.map((f) => `${f.name}${f.file ? ':file' : ''}`).sort()

describe('OpenAI image edits', () => {
  it.each([1, 2])('sends the same multipart fields and path as the official SDK for %i image(s)', async (count) => {
    const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: `${base}/v1`, maxRetries: 0 })
    const images = await Promise.all(files.slice(0, count).map((f, i) => toFile(readFileSync(f), `in${i}.png`, { type: 'image/png' })))
    await sdk.images.edit({ model: 'gpt-image-1', prompt: 'warm light', image: count === 1 ? images[0]! : images, n: 1, size: '1024x1024', quality: 'low' })
    const out = await executeImageRequest(edit('openai', 'gpt-image-1', files.slice(0, count), { n: 1, size: '1024x1024', quality: 'low' }), {
      baseUrl: `${base}/v1`,
      apiKey: 'sk-test',
      retry: { maxAttempts: 1 }
    })
    expect(out.record.status).toBe('succeeded')
    const [fromSdk, ours] = recorded
    expect(ours!.path).toBe(fromSdk!.path)
    expect(ours!.path).toBe('/v1/images/edits')
    expect(fieldShape(ours!)).toEqual(fieldShape(fromSdk!))
    expect(ours!.fields.filter((f) => f.file).map((f) => f.name)).toEqual(count === 1 ? ['image'] : ['image[]', 'image[]'])
    expect(ours!.headers.authorization).toBe(fromSdk!.headers.authorization)
    expect(ours!.headers['user-agent']).toMatch(/^Pixdesk\/\d+\.\d+\.\d+/)
  })

  it('sends only fields of CreateImageEditRequest, with values of the schema types', async () => {
    type Property = { type?: string; $ref?: string; anyOf?: Property[] }
    const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/openai-image-edit-schema.json'), 'utf8')) as Record<string, Property> & {
      CreateImageEditRequest: { properties: Record<string, Property>; required: string[] }
    }
    const schema = fixture.CreateImageEditRequest
    const resolve = (p: Property): Property => (p.$ref ? fixture[p.$ref.split('/').at(-1)!]! : p)
    await executeImageRequest(
      edit('openai', 'gpt-image-1', files, { n: 2, size: '1024x1024', quality: 'high', background: 'opaque', outputFormat: 'webp', outputCompression: 80, inputFidelity: 'high' }),
      { baseUrl: base, apiKey: 'sk-test', retry: { maxAttempts: 1 } }
    )
    const sent = recorded[0]!
    const names = new Set(sent.fields.map((f) => f.name.replace(/\[\]$/, '')))
    for (const required of schema.required) expect(names, required).toContain(required)
    for (const field of sent.fields) {
      const property = schema.properties[field.name.replace(/\[\]$/, '')]
      expect(property, field.name).toBeDefined()
      const types = new Set([property!.type, ...(property!.anyOf ?? []).map((a) => resolve(a).type)].filter(Boolean))
      if (field.file) {
        expect(types.has('string') || types.has('array'), field.name).toBe(true)
        continue
      }
      if (types.has('integer')) expect(field.value, field.name).toMatch(/^\d+$/)
      else if (property!.anyOf?.[0] && 'enum' in property!.anyOf[0]) expect(types.has('string')).toBe(true)
      else if (types.size) expect(types.has('string'), `${field.name} ${[...types].join('|')}`).toBe(true)
    }
  })

  it('reads a 200 answer without data as "no images", not a bad shape', async () => {
    const empty = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"created":1}'))
    await new Promise<void>((ok) => empty.listen(0, '127.0.0.1', ok))
    try {
      const out = await executeImageRequest(edit('openai', 'gpt-image-1', files.slice(0, 1), { n: 1 }), {
        baseUrl: `http://127.0.0.1:${(empty.address() as AddressInfo).port}`,
        apiKey: 'sk-test',
        retry: { maxAttempts: 1 }
      })
      expect(out.record.error?.message).toMatch(/answered without any images/)
      expect(out.record.error?.message).not.toMatch(/expected shape/)
    } finally {
      empty.close()
    }
  })
})

describe('base URLs with a version segment of their own', () => {
  it.each([
    ['openai', '/api/v3', '/api/v3/images/edits'],
    ['openai', '/litellm/v1', '/litellm/v1/images/edits'],
    ['openai', '', '/v1/images/edits'],
    ['gemini', '/v1beta', '/v1beta/models/gemini-2.5-flash-image:generateContent'],
    ['gemini', '', '/v1beta/models/gemini-2.5-flash-image:generateContent']
  ] as const)('%s base ending in "%s" posts to %s', async (provider, prefix, path) => {
    const model = provider === 'gemini' ? 'gemini-2.5-flash-image' : 'gpt-image-1'
    await executeImageRequest(edit(provider, model, files.slice(0, 1), { n: 1 }), { baseUrl: `${base}${prefix}`, apiKey: 'k', retry: { maxAttempts: 1 } })
    expect(recorded[0]!.path).toBe(path)
  })
})

describe('Gemini generateContent', () => {
  it('sends the same path, key header and JSON paths as the official SDK', async () => {
    const sdk = new GoogleGenAI({ apiKey: 'g-test', httpOptions: { baseUrl: base } })
    await sdk.models.generateContent({
      model: 'gemini-2.5-flash-image',
      contents: [{ role: 'user', parts: [{ text: 'warm light' }, { inlineData: { mimeType: 'image/png', data: png.toString('base64') } }] }],
      config: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '1:1' } }
    })
    const out = await executeImageRequest(edit('gemini', 'gemini-2.5-flash-image', files.slice(0, 1), { n: 1, aspectRatio: '1:1' }), {
      baseUrl: `${base}/v1beta`,
      apiKey: 'g-test',
      retry: { maxAttempts: 1 }
    })
    expect(out.record.status).toBe('succeeded')
    const [fromSdk, ours] = recorded
    expect(ours!.path).toBe(fromSdk!.path)
    expect(ours!.headers['x-goog-api-key']).toBe(fromSdk!.headers['x-goog-api-key'])
    expect(ours!.path).not.toMatch(/key=/)
    expect(jsonPaths(ours!.json).sort()).toEqual(jsonPaths(fromSdk!.json).sort())
    expect(ours!.headers['user-agent']).toMatch(/^Pixdesk\//)
  })
})
