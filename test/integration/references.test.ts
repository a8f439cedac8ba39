import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { executeImageRequest } from '../../electron/core/providers/execute'
import type { ImageInput, ImageRequest } from '../../electron/core/providers/types'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { startFakeGemini } from '../support/fake-gemini'
import { startFakeOpenAI } from '../support/fake-openai'

// Reference images on every route: the server receives the image edited, then each reference in the
// order given, and the roles in the prompt's first line; bad references are refused before sending.

const KEY = 'sk-test-references-0001'
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20, jitterMs: 2 }, timeouts: { pollIntervalMs: 5, pollMaxIntervalMs: 20 } }
const PREFACE = 'Image 1: the image to edit. Image 2 (style): reference. Image 3: reference. Image 4 (logo): reference.'

let dir: string
let main: string
let refs: string[]
let sandbox: Sandbox
let openai: Awaited<ReturnType<typeof startFakeOpenAI>>
let gemini: Awaited<ReturnType<typeof startFakeGemini>>

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const inputs = (): ImageInput[] => [
  { source: 'file', path: main },
  { source: 'file', path: refs[0]!, role: 'style' },
  { source: 'file', path: refs[1]! },
  { source: 'file', path: refs[2]!, role: 'logo' }
]

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pixdesk-refs-'))
  main = join(dir, 'product.png')
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2a8' } }).png().toFile(main)
  // Different sizes and colours, so a swapped order shows in the hashes and the dimensions.
  refs = []
  for (const [i, colour] of ['#c33', '#33c', '#cc3'].entries()) {
    const path = join(dir, `ref-${i + 1}.png`)
    await sharp({ create: { width: 20 + i * 10, height: 16 + i * 4, channels: 3, background: colour } }).png().toFile(path)
    refs.push(path)
  }
  sandbox = await startSandbox()
  openai = await startFakeOpenAI({ apiKey: KEY })
  gemini = await startFakeGemini({ apiKey: KEY })
})
afterAll(async () => {
  await sandbox.close()
  await openai.close()
  await gemini.close()
})
beforeEach(() => sandbox.reset())

const pixapiEdit = (over: Partial<ImageRequest> = {}): ImageRequest => ({
  kind: 'edit',
  provider: 'pixapi',
  model: 'gpt-image-2',
  prompt: 'put the logo from image 4 on the mug, in the style of image 2',
  params: { n: 1, size: '1024x1024' },
  route: 'sync',
  inputs: inputs(),
  sandbox: true,
  ...over
})

describe('references reach every route in order, with their roles', () => {
  it('Pixapi (sandbox): sync and async; the sandbox echoes count, order, sizes, hashes and roles', async () => {
    for (const route of ['sync', 'async'] as const) {
      sandbox.reset()
      const r = await executeImageRequest(pixapiEdit({ route }), { baseUrl: sandbox.url, ...fast })
      expect(r.record.status).toBe('succeeded')
      const got = sandbox.stats().submissions.at(-1)!
      expect(got.inputs.map((i) => i.sha256)).toEqual([main, ...refs].map(sha))
      // Multipart text fields carry line breaks as CRLF (the form-data encoding normalises them).
      expect(got.prompt.replace(/\r\n/g, '\n')).toBe(`${PREFACE}\n\nput the logo from image 4 on the mug, in the style of image 2`)
      expect(got.references).toEqual({
        count: 3,
        prefaced: true,
        items: [
          { image: 2, sha256: sha(refs[0]!), bytes: readFileSync(refs[0]!).length, format: 'png', width: 20, height: 16, role: 'style' },
          { image: 3, sha256: sha(refs[1]!), bytes: readFileSync(refs[1]!).length, format: 'png', width: 30, height: 20 },
          { image: 4, sha256: sha(refs[2]!), bytes: readFileSync(refs[2]!).length, format: 'png', width: 40, height: 24, role: 'logo' }
        ]
      })
      // The record keeps the prompt as written and every reference with its hash and role.
      expect(r.record.prompt).toBe('put the logo from image 4 on the mug, in the style of image 2')
      expect(r.record.inputs.map((i) => [i.path, i.sha256, i.role])).toEqual([
        [main, sha(main), undefined],
        [refs[0], sha(refs[0]!), 'style'],
        [refs[1], sha(refs[1]!), undefined],
        [refs[2], sha(refs[2]!), 'logo']
      ])
    }
  })

  it('OpenAI: repeated image[] parts in order, roles in the prompt', async () => {
    const r = await executeImageRequest({ ...pixapiEdit(), provider: 'openai', model: 'gpt-image-1.5', sandbox: false }, { baseUrl: openai.url, apiKey: KEY, ...fast })
    expect(r.record.status).toBe('succeeded')
    const got = openai.received.at(-1)!
    expect(got.files.map((f) => [f.field, f.sha256])).toEqual([main, ...refs].map((p) => ['image[]', sha(p)]))
    expect(got.fields.prompt?.replace(/\r\n/g, '\n').startsWith(`${PREFACE}\n\n`)).toBe(true)
  })

  it('Gemini: inline parts after the prompt text, in order', async () => {
    const r = await executeImageRequest({ ...pixapiEdit(), provider: 'gemini', model: 'gemini-3-pro-image', params: { n: 1 }, sandbox: false }, { baseUrl: gemini.url, apiKey: KEY, ...fast })
    expect(r.record.status).toBe('succeeded')
    const parts = gemini.received.at(-1)!.body!.contents[0]!.parts
    expect(parts[0]).toEqual({ text: `${PREFACE}\n\nput the logo from image 4 on the mug, in the style of image 2` })
    const sent = parts.slice(1).map((p) => ('inline_data' in p ? createHash('sha256').update(Buffer.from(p.inline_data.data, 'base64')).digest('hex') : null))
    expect(sent).toEqual([main, ...refs].map(sha))
  })

  it('without roles the prompt goes as written (images are numbered by order anyway)', async () => {
    const plain = inputs().map(({ role: _role, ...input }) => input as ImageInput)
    await executeImageRequest(pixapiEdit({ inputs: plain }), { baseUrl: sandbox.url, ...fast })
    const got = sandbox.stats().submissions.at(-1)!
    expect(got.prompt).toBe('put the logo from image 4 on the mug, in the style of image 2')
    expect(got.references).toMatchObject({ count: 3, prefaced: false })
  })
})

describe('bad references are refused before anything is sent', () => {
  const refusal = async (request: ImageRequest, options: Parameters<typeof executeImageRequest>[1]) => {
    const error = await executeImageRequest(request, options).then(
      () => null,
      (e: unknown) => e as Error & { data: { field?: string } }
    )
    expect(error, 'the request should have been refused').not.toBeNull()
    return error!
  }

  it('a reference that is not an image: names the file, zero submissions', async () => {
    const broken = join(dir, 'logo-broken.png')
    writeFileSync(broken, 'this is not a picture')
    const error = await refusal(pixapiEdit({ inputs: [...inputs().slice(0, 2), { source: 'file', path: broken, role: 'logo' }] }), { baseUrl: sandbox.url, ...fast })
    expect(error.message).toMatch(/Reference image 2 \(logo-broken\.png\) is not an image that can be read/)
    expect(error.data.field).toBe('inputs[2]')
    expect(sandbox.stats().submissions).toHaveLength(0)
  })

  it('more references than the model takes: names the limit, zero submissions (GPT 16, Gemini 3 Pro 14)', async () => {
    const many = (count: number): ImageInput[] => [{ source: 'file', path: main }, ...Array.from({ length: count }, (_, i) => ({ source: 'file' as const, path: refs[i % 3]! }))]
    const gpt = await refusal(pixapiEdit({ inputs: many(16) }), { baseUrl: sandbox.url, ...fast })
    expect(gpt.message).toBe('gpt-image-2 accepts at most 16 input images (the image to edit plus at most 15 reference images); 17 were given (1 + 16 references).')
    const pro = await refusal(pixapiEdit({ model: 'gemini-3-pro-image', params: { n: 1 }, inputs: many(14) }), { baseUrl: sandbox.url, ...fast })
    expect(pro.message).toMatch(/^gemini-3-pro-image accepts at most 14 input images \(the image to edit plus at most 13 reference images\); 15 were given/)
    expect(sandbox.stats().submissions).toHaveLength(0)
    const before = gemini.received.length
    await refusal({ ...pixapiEdit({ inputs: many(14) }), provider: 'gemini', model: 'gemini-3-pro-image', params: { n: 1 }, sandbox: false }, { baseUrl: gemini.url, apiKey: KEY, ...fast })
    expect(gemini.received.length).toBe(before)
    // At the limit it goes.
    const ok = await executeImageRequest(pixapiEdit({ model: 'gemini-3-pro-image', params: { n: 1 }, inputs: many(13) }), { baseUrl: sandbox.url, ...fast })
    expect(ok.record.status).toBe('succeeded')
    expect(sandbox.stats().submissions.at(-1)!.references?.count).toBe(13)
  })

  it('references over the byte limit: names the reference and the limit, zero submissions', async () => {
    // A PNG signature then 21 MB: over Gemini's 20 MB per image (and in total).
    const big = join(dir, 'plate-huge.png')
    writeFileSync(big, Buffer.concat([readFileSync(refs[0]!).subarray(0, 64), Buffer.alloc(21 * 1024 * 1024)]))
    const before = gemini.received.length
    const error = await refusal(
      { ...pixapiEdit({ inputs: [{ source: 'file', path: main }, { source: 'file', path: big, role: 'background' }] }), provider: 'gemini', model: 'gemini-3-pro-image', params: { n: 1 }, sandbox: false },
      { baseUrl: gemini.url, apiKey: KEY, ...fast }
    )
    expect(error.message).toMatch(/^Reference image 1 \(plate-huge\.png\) is 21 MB; gemini-3-pro-image accepts at most 20 MB per image\.$/)
    expect(gemini.received.length).toBe(before)
  })
})
