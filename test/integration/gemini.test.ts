import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executeImageRequest, testKey } from '../../electron/core/providers/execute'
import type { ImageRequest, ProgressEvent } from '../../electron/core/providers/types'
import { imageConfigFor } from '../../electron/core/providers/gemini'
import { startFakeGemini } from '../support/fake-gemini'

const KEY = 'AIza-test-gemini-0001'
let fake: Awaited<ReturnType<typeof startFakeGemini>>
let photo: string
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20, jitterMs: 2 } }
const edit = (over: Partial<ImageRequest> = {}): ImageRequest => ({
  kind: 'edit',
  provider: 'gemini',
  model: 'nano-banana-pro',
  prompt: 'studio lighting, white background',
  params: { n: 1, size: '2048x1152' },
  route: 'sync',
  inputs: [{ source: 'file', path: photo }],
  ...over
})
const run = (over: Partial<ImageRequest> = {}) => executeImageRequest(edit(over), { baseUrl: fake.url, apiKey: KEY, ...fast })

beforeAll(async () => {
  photo = join(mkdtempSync(join(tmpdir(), 'pixdesk-gemini-')), 'shoe.jpg')
  await sharp({ create: { width: 50, height: 40, channels: 3, background: '#357' } }).jpeg().toFile(photo)
  fake = await startFakeGemini({ apiKey: KEY })
})
afterAll(() => fake.close())

describe('Gemini route against a strict fake', () => {
  it('sends inline_data with the key in x-goog-api-key only; skips thoughts; keeps usageMetadata', async () => {
    const r = await run()
    expect(r.record.status).toBe('succeeded')
    const got = fake.received.at(-1)!
    expect(got.path).toBe('/v1beta/models/gemini-3-pro-image-preview:generateContent')
    expect(got.query).toBe('')
    expect(got.headers['x-goog-api-key']).toBe(KEY)
    expect(got.headers.authorization).toBeUndefined()
    expect(got.body?.contents[0]?.parts[0]).toEqual({ text: 'studio lighting, white background' })
    expect(got.body?.contents[0]?.parts[1]).toMatchObject({ inline_data: { mime_type: 'image/jpeg' } })
    expect(got.body?.generationConfig).toEqual({ responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9', imageSize: '2K' } })
    expect(r.images).toHaveLength(1)
    expect(r.images[0]).toMatchObject({ format: 'png', width: 40, height: 30 })
    expect(r.record.usage).toMatchObject({ promptTokenCount: 300, totalTokenCount: 1590 })
    expect(r.record.requestIds).toEqual(['resp_fake_1'])
    expect(r.record.endpoint).not.toContain('key=')
  })

  it('reports upload bytes for the JSON body with the inline image, restarting on a retry', async () => {
    fake.script.push({ kind: 'error', status: 503, grpc: 'UNAVAILABLE', message: 'Overloaded' })
    const events: ProgressEvent[] = []
    const r = await executeImageRequest(edit(), { baseUrl: fake.url, apiKey: KEY, ...fast, onProgress: (e) => events.push(e) })
    expect(r.record.status).toBe('succeeded')
    const [first, second] = fake.received.slice(-2)
    expect(first!.bodyBytes).toBe(second!.bodyBytes)
    const total = second!.bodyBytes
    expect(second!.headers['content-length']).toBe(String(total))
    const ups = events.filter((e) => e.stage === 'uploading')
    for (const attempt of [1, 2]) {
      const mine = ups.filter((e) => e.attempt === attempt).map((e) => e.sentBytes)
      expect(mine[0]).toBe(0)
      expect(mine.at(-1)).toBe(total)
      expect(mine).toEqual([...mine].sort((x, y) => x! - y!))
    }
  })

  it('a blocked prompt, an image-safety finish and a text-only answer are failures with the reason', async () => {
    fake.script.push({ kind: 'blocked', reason: 'PROHIBITED_CONTENT' })
    expect((await run()).record.error).toMatchObject({ code: 'prompt_rejected', providerCode: 'PROHIBITED_CONTENT' })
    fake.script.push({ kind: 'finish', reason: 'IMAGE_SAFETY' })
    const safety = await run()
    expect(safety.record.error).toMatchObject({ code: 'prompt_rejected', providerCode: 'IMAGE_SAFETY' })
    expect(safety.record.usage).toMatchObject({ totalTokenCount: 1590 })
    fake.script.push({ kind: 'text_only', text: 'I can only describe this image, not edit it.' })
    const text = await run()
    expect(text.record.error?.code).toBe('bad_response')
    expect(text.record.error?.message).toMatch(/text only.*I can only describe this image/)
  })

  it('retries RESOURCE_EXHAUSTED and maps a bad key', async () => {
    fake.script.push({ kind: 'error', status: 429, grpc: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded' })
    const r = await run()
    expect(r.record.status).toBe('succeeded')
    expect(r.record.attempts.map((a) => a.errorCode)).toEqual(['rate_limited', undefined])
    const bad = await executeImageRequest(edit(), { baseUrl: fake.url, apiKey: 'AIza-wrong', ...fast })
    expect(bad.record.error).toMatchObject({ code: 'auth', status: 400, providerCode: 'API_KEY_INVALID' })
    expect(await testKey('gemini', KEY, fake.url)).toMatchObject({ status: 'valid' })
    expect(fake.received.at(-1)).toMatchObject({ path: '/v1beta/models', query: '' })
    expect(await testKey('gemini', 'AIza-wrong', fake.url)).toMatchObject({ status: 'invalid' })
  })

  it('maps sizes to imageConfig; gemini-2.5-flash-image gets no imageSize', () => {
    expect(imageConfigFor('1024x1024', undefined, true)).toEqual({ aspectRatio: '1:1', imageSize: '1K' })
    expect(imageConfigFor('3840x2160', undefined, true)).toEqual({ aspectRatio: '16:9', imageSize: '4K' })
    expect(imageConfigFor('4K', '9:16', true)).toEqual({ aspectRatio: '9:16', imageSize: '4K' })
    expect(imageConfigFor('1024x1024', undefined, false)).toEqual({ aspectRatio: '1:1' })
    expect(imageConfigFor('auto', undefined, true)).toEqual({})
  })
})
