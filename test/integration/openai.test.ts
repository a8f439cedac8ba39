import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeImageRequest, testKey } from '../../electron/core/providers/execute'
import type { ImageRequest, ProgressEvent } from '../../electron/core/providers/types'
import { startFakeOpenAI } from '../support/fake-openai'

const KEY = 'sk-test-openai-0001'
let fake: Awaited<ReturnType<typeof startFakeOpenAI>>
let a: string
let b: string
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20, jitterMs: 2 } }
const edit = (over: Partial<ImageRequest> = {}): ImageRequest => ({
  kind: 'edit',
  provider: 'openai',
  model: 'gpt-image-1.5',
  prompt: 'put the mug on a wooden desk',
  params: { n: 1, size: '1024x1024', quality: 'low', background: 'opaque', outputFormat: 'webp', outputCompression: 80, inputFidelity: 'high' },
  route: 'sync',
  inputs: [{ source: 'file', path: a }],
  ...over
})

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixdesk-openai-'))
  a = join(dir, 'mug.png')
  b = join(dir, 'desk.jpg')
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#888' } }).png().toFile(a)
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#630' } }).jpeg().toFile(b)
  fake = await startFakeOpenAI({ apiKey: KEY })
})
afterAll(() => fake.close())

describe('OpenAI route against a strict fake', () => {
  it('sends image[] parts and the GPT image fields; records usage and the x-request-id', async () => {
    const r = await executeImageRequest(edit({ inputs: [{ source: 'file', path: a }, { source: 'file', path: b }] }), { baseUrl: `${fake.url}/v1`, apiKey: KEY, ...fast })
    expect(r.record.status).toBe('succeeded')
    const got = fake.received.at(-1)!
    expect(got.path).toBe('/v1/images/edits')
    expect(got.files.map((f) => [f.field, f.type])).toEqual([['image[]', 'image/png'], ['image[]', 'image/jpeg']])
    expect(got.fields).toEqual({ model: 'gpt-image-1.5', prompt: 'put the mug on a wooden desk', n: '1', size: '1024x1024', quality: 'low', background: 'opaque', output_format: 'webp', output_compression: '80', input_fidelity: 'high' })
    expect(got.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(r.images[0]).toMatchObject({ format: 'webp', width: 32, height: 32 })
    expect(r.record.usage).toMatchObject({ input_tokens: 50, output_tokens: 1056, total_tokens: 1106 })
    expect(r.record.requestIds).toEqual([expect.stringMatching(/^req_fake_/)])
    expect(r.record.cost).toEqual({ credits: 0, estimated: false, estimate: 0 })
    expect(JSON.stringify(r.record)).not.toContain(KEY)
  })

  it('reports upload bytes that add up to the body the server received, multipart and JSON alike', async () => {
    for (const req of [edit({ inputs: [{ source: 'file', path: a }, { source: 'file', path: b }] }), edit({ inputs: [{ source: 'url', url: 'https://images.example/mug.png' }] })]) {
      const events: ProgressEvent[] = []
      const r = await executeImageRequest(req, { baseUrl: fake.url, apiKey: KEY, ...fast, onProgress: (e) => events.push(e) })
      expect(r.record.status).toBe('succeeded')
      const ups = events.filter((e) => e.stage === 'uploading')
      expect(ups[0]).toMatchObject({ attempt: 1, sentBytes: 0 })
      const got = fake.received.at(-1)!
      expect(ups.at(-1)).toEqual({ stage: 'uploading', attempt: 1, sentBytes: got.bodyBytes, totalBytes: got.bodyBytes })
      expect(got.headers['content-length']).toBe(String(got.bodyBytes))
      expect(got.headers['transfer-encoding']).toBeUndefined()
    }
  })

  it('uses the JSON form with images[].image_url for URL inputs, and JSON generations', async () => {
    const r = await executeImageRequest(edit({ inputs: [{ source: 'url', url: 'https://images.example/mug.png' }] }), { baseUrl: fake.url, apiKey: KEY, ...fast })
    expect(r.record.status).toBe('succeeded')
    expect(fake.received.at(-1)!.json?.images).toEqual([{ image_url: 'https://images.example/mug.png' }])
    const gen = await executeImageRequest(edit({ kind: 'generate', inputs: [], params: { n: 3, size: '1536x1024', quality: 'medium' } }), { baseUrl: fake.url, apiKey: KEY, ...fast })
    expect(gen.images).toHaveLength(3)
    expect(fake.received.at(-1)!.path).toBe('/v1/images/generations')
  })

  it('maps moderation_blocked to prompt_rejected without retrying, and retries 429 honouring retry-after-ms', async () => {
    fake.script.push({ kind: 'error', status: 400, code: 'moderation_blocked', type: 'image_generation_user_error', message: 'Your request was rejected by the safety system.' })
    const before = fake.received.length
    const blocked = await executeImageRequest(edit(), { baseUrl: fake.url, apiKey: KEY, ...fast })
    expect(blocked.record.error).toMatchObject({ code: 'prompt_rejected', status: 400, providerCode: 'moderation_blocked' })
    expect(fake.received.length - before).toBe(1)

    fake.script.push({ kind: 'error', status: 429, code: 'rate_limit_exceeded', type: 'requests', message: 'Rate limit reached', headers: { 'retry-after-ms': '15' } })
    const retried = await executeImageRequest(edit(), { baseUrl: fake.url, apiKey: KEY, ...fast })
    expect(retried.record.status).toBe('succeeded')
    expect(retried.record.attempts.map((x) => x.status)).toEqual([429, 200])
  })

  it('maps a bad key to auth, and testKey uses GET /v1/models', async () => {
    const r = await executeImageRequest(edit(), { baseUrl: fake.url, apiKey: 'sk-wrong', ...fast })
    expect(r.record.error).toMatchObject({ code: 'auth', status: 401, providerCode: 'invalid_api_key' })
    expect(await testKey('openai', KEY, fake.url)).toMatchObject({ status: 'valid' })
    expect(fake.received.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' })
    expect(await testKey('openai', 'sk-wrong', fake.url)).toMatchObject({ status: 'invalid' })
  })

  it('refuses fields the model does not take before sending (dall-e-2 takes one png)', async () => {
    const before = fake.received.length
    await expect(executeImageRequest(edit({ model: 'dall-e-2', params: { n: 1, size: '512x512', quality: 'high' } }), { baseUrl: fake.url, apiKey: KEY })).rejects.toMatchObject({ code: 'validation', data: { field: 'quality' } })
    await expect(executeImageRequest(edit({ model: 'dall-e-2', params: { n: 1 }, inputs: [{ source: 'file', path: b }] }), { baseUrl: fake.url, apiKey: KEY })).rejects.toThrow(/JPEG/)
    expect(fake.received.length).toBe(before)
  })
})
