import { randomBytes } from 'node:crypto'
import { mkdtempSync, openAsBlob, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { httpError, scrubSecret, taskFailure } from '../../electron/core/providers/errors'
import { retryAfterMs, requestIdFrom } from '../../electron/core/providers/http'
import { collectOutputs, verifyImage } from '../../electron/core/providers/images'
import { checkOutputUrl } from '../../electron/core/providers/outputurl'
import { normaliseBaseUrl } from '../../electron/core/providers/execute'
import type { ProgressEvent } from '../../electron/core/providers/types'
import { checkPng, PNG_INLINE_MAX_BYTES, pngHeader } from '../../electron/core/providers/png'
import { bytesBody, multipartUpload, UPLOAD_CHUNK, uploadMeter } from '../../electron/core/providers/upload'
import { defaultRetry, defaultTimeouts } from '../../electron/core/providers/http'

describe('Retry-After and request ids', () => {
  it('reads retry-after-ms, seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250)
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000)
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000)
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined()
    expect(retryAfterMs({}, now)).toBeUndefined()
  })
  it('finds request ids in headers or body fields', () => {
    expect(requestIdFrom({ 'x-request-id': 'a' })).toBe('a')
    expect(requestIdFrom({ 'request-id': 'b' })).toBe('b')
    expect(requestIdFrom({}, { request_id: 'c' })).toBe('c')
    expect(requestIdFrom({}, { responseId: 'd' })).toBe('d')
  })
})

describe('error taxonomy', () => {
  const cases: Array<[number, unknown, string, boolean]> = [
    [400, { error: { code: 400, message: 'bad size', type: 'invalid_request_error' } }, 'validation', false],
    [401, { error: { code: 'unauthorized', message: 'no' } }, 'auth', false],
    [402, { error: { code: 'insufficient_credits', message: 'top up' } }, 'insufficient_credits', false],
    [404, { error: { code: 'model_not_found', message: 'x' } }, 'not_found', false],
    [422, { error: { code: 'prompt_rejected', message: 'policy' } }, 'prompt_rejected', false],
    [429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota' } }, 'rate_limited', true],
    [500, { error: { code: 'internal_error', message: 'x' } }, 'server', true],
    [502, '<html>bad gateway</html>', 'server', true],
    [503, { error: { code: 'model_unavailable', message: 'x' } }, 'unavailable', true],
    [504, { error: { code: 504, status: 'DEADLINE_EXCEEDED' } }, 'timeout', true],
    [403, { error: { code: 403, status: 'PERMISSION_DENIED', message: 'x' } }, 'auth', false]
  ]
  it.each(cases)('HTTP %i maps by status and body code', (status, body, code, retryable) => {
    const e = httpError('pixapi', status, body, 'req_1', undefined)
    expect(e).toMatchObject({ code, status, retryable, requestId: 'req_1' })
    expect(e.message).toMatch(/\(HTTP \d+\)$/)
  })
  it.each(['toString', '__proto__', 'constructor', 'hasOwnProperty'])('a server code named like an object member (%s) is an unknown code, not a crash', (name) => {
    const e = httpError('openai', 400, { error: { message: 'no', code: name, type: name, status: name, details: [{ reason: name }] } }, undefined, undefined)
    expect(e).toMatchObject({ code: 'validation', status: 400, providerCode: name })
    expect(e.message).toMatch(/^OpenAI refused the request as invalid\. OpenAI said: "no" \(HTTP 400\)$/)
  })
  it('a failed task whose code is named like an object member is a server failure', () => {
    expect(taskFailure('pixapi', { code: 'toString', message: 'gone' }, 'task_1', undefined)).toMatchObject({ code: 'server', retryable: true, providerCode: 'toString' })
  })
  it('keeps server text short and plain', () => {
    const e = httpError('openai', 400, { error: { message: `<script>alert(1)</script>\u0000${'x'.repeat(1000)}` } }, undefined, undefined)
    expect(e.message.length).toBeLessThan(400)
    expect(e.message).not.toContain('\u0000')
  })
  it('scrubs the key from messages', () => {
    expect(scrubSecret({ code: 'auth', message: 'bad key sk_abc123' }, 'sk_abc123').message).toBe('bad key [api key]')
  })
})

describe('base URLs and output URLs', () => {
  it('normalises base URLs and refuses clear-text ones off this computer', () => {
    expect(normaliseBaseUrl(undefined, 'pixapi')).toBe('https://api.pixapi.ai')
    expect(normaliseBaseUrl('http://localhost:4000/v1/', 'openai')).toBe('http://localhost:4000')
    expect(normaliseBaseUrl('https://proxy.example/litellm/v1', 'openai')).toBe('https://proxy.example/litellm')
    expect(normaliseBaseUrl('https://generativelanguage.googleapis.com/v1beta/', 'gemini')).toBe('https://generativelanguage.googleapis.com')
    expect(normaliseBaseUrl('https://gw.example/api/v3', 'openai')).toBe('https://gw.example/api/v3')
    expect(() => normaliseBaseUrl('http://10.0.0.5', 'openai')).toThrow(/https/)
    expect(() => normaliseBaseUrl('https://u:p@x.example', 'openai')).toThrow(/credentials/)
    expect(() => normaliseBaseUrl('https://x.example?key=1', 'gemini')).toThrow(/query/)
  })
  it('accepts https to public hosts, and loopback http only when the API itself is local', () => {
    const pub = { allowLoopback: false }
    const local = { allowLoopback: true }
    expect(checkOutputUrl('https://cdn.example/a.png', 'pixapi', pub).host).toBe('cdn.example')
    expect(checkOutputUrl('http://127.0.0.1:9/a.png', 'pixapi', local).port).toBe('9')
    expect(() => checkOutputUrl('http://127.0.0.1:9/a.png', 'pixapi', pub)).toThrow(/only https/)
    expect(() => checkOutputUrl('https://127.0.0.1/a.png', 'pixapi', pub)).toThrow(/loopback, link-local, private/)
    expect(() => checkOutputUrl('http://cdn.example/a.png', 'pixapi', pub)).toThrow(/only https/)
    expect(() => checkOutputUrl('file:///etc/passwd', 'pixapi', pub)).toThrow(/file:\/\/ is not accepted/)
    expect(() => checkOutputUrl('http://127.0.0.1/a', 'pixapi', local, new URL('https://cdn.example/'))).toThrow(/redirect from https/)
  })
  it('follows a same-scheme redirect and refuses one that leaves for another host scheme', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer()
    const server = createServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/img.png' }).end()
      else if (req.url === '/away') res.writeHead(302, { location: 'ftp://files.example/a.png' }).end()
      else res.writeHead(200, { 'content-type': 'image/png' }).end(png)
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const ctx = { retry: { ...defaultRetry, maxAttempts: 1 }, timeouts: defaultTimeouts, attempts: [] }
    const downloads = { policy: { allowLoopback: true } }
    try {
      const [img] = await collectOutputs({ outputs: [{ url: `${base}/moved` }], requestIds: [] }, 'pixapi', ctx, 1 << 20, downloads)
      expect(img).toMatchObject({ format: 'png', width: 8, height: 8 })
      await expect(collectOutputs({ outputs: [{ url: `${base}/away` }], requestIds: [] }, 'pixapi', ctx, 1 << 20, downloads)).rejects.toThrow(/ftp:\/\/ is not accepted/)
      await expect(collectOutputs({ outputs: [{ url: `${base}/img.png` }], requestIds: [] }, 'pixapi', ctx, 10, downloads)).rejects.toThrow(/limit/)
    } finally {
      server.close()
    }
  })
})

describe('output verification', () => {
  it('decodes real images and refuses truncated or disguised ones', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 100, sigma: 40 } } }).jpeg().toBuffer()
    expect(await verifyImage(jpeg, 'openai', 0, 1 << 20)).toMatchObject({ format: 'jpeg', mime: 'image/jpeg', width: 64, height: 48 })
    await expect(verifyImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'openai', 0, 1 << 20)).rejects.toThrow(/damaged JPEG/)
    await expect(verifyImage(Buffer.from('{"error":"nope"}'), 'openai', 1, 1 << 20)).rejects.toThrow(/Output 2 is not an image/)
    await expect(verifyImage(jpeg, 'openai', 0, 100)).rejects.toThrow(/over the 100-byte limit/)
  })
})

describe('upload bodies and byte progress', () => {
  const drain = async (body: ReturnType<typeof multipartUpload>) => {
    const seen: number[] = []
    const chunks: Uint8Array[] = []
    for await (const chunk of body.stream((n) => seen.push(n))) chunks.push(chunk)
    return { bytes: Buffer.concat(chunks), seen }
  }

  it('builds a multipart body whose declared length is what it streams, and that a form parser reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pixdesk-upload-'))
    const path = join(dir, 'big.bin')
    const content = randomBytes(200 * 1024 + 7)
    writeFileSync(path, content)
    const blob = await openAsBlob(path)
    const head = content.subarray(0, 1000)
    const body = multipartUpload({ model: 'm', prompt: 'two\nlines "quoted"', n: 2, skipped: undefined }, [
      { field: 'image[]', fileName: 'a "b".png', type: 'image/png', parts: [head, { blob: blob.slice(head.length), label: 'big.bin' }] },
      { field: 'image[]', fileName: 'c.png', type: 'image/png', parts: [Buffer.from('tiny')] }
    ])
    const { bytes, seen } = await drain(body)
    expect(bytes.length).toBe(body.length)
    expect(seen.at(-1)).toBe(body.length)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': body.contentType }, body: bytes }).formData()
    expect(form.get('model')).toBe('m')
    expect(form.get('prompt')).toBe('two\r\nlines "quoted"')
    expect(form.get('n')).toBe('2')
    expect(form.has('skipped')).toBe(false)
    const files = form.getAll('image[]') as File[]
    expect(files.map((f) => [f.name, f.type, f.size])).toEqual([['a "b".png', 'image/png', content.length], ['c.png', 'image/png', 4]])
    expect(Buffer.from(await files[0]!.arrayBuffer()).equals(content)).toBe(true)
  })

  it('reports 0 at the start, at most one event per 64 KiB and 100 ms, and always the last byte', () => {
    const events: ProgressEvent[] = []
    let clock = 0
    const meter = uploadMeter((e) => events.push(e), 2, 1_000_000, () => clock)
    meter(100_000) // enough bytes, too soon
    clock = 150
    meter(120_000) // enough bytes and time
    clock = 400
    meter(150_000) // time but only 30 000 bytes since the last event
    meter(1_000_000) // the last byte always counts
    expect(events).toEqual([
      { stage: 'uploading', attempt: 2, sentBytes: 0, totalBytes: 1_000_000 },
      { stage: 'uploading', attempt: 2, sentBytes: 120_000, totalBytes: 1_000_000 },
      { stage: 'uploading', attempt: 2, sentBytes: 1_000_000, totalBytes: 1_000_000 }
    ])
  })

  it('sends a small body held in memory as one chunk, and joins the pieces around a file without changing a byte', async () => {
    const small = multipartUpload({ model: 'm', prompt: 'p' }, [{ field: 'image', fileName: 'a.png', type: 'image/png', parts: [Buffer.alloc(900, 7)] }])
    const one = await drain(small)
    expect(one.seen).toEqual([small.length])
    expect(one.bytes.length).toBe(small.length)

    const dir = mkdtempSync(join(tmpdir(), 'pixdesk-upload-'))
    const path = join(dir, 'rest.bin')
    const rest = randomBytes(3000)
    writeFileSync(path, rest)
    const head = randomBytes(UPLOAD_CHUNK - 10)
    const mixed = multipartUpload({ model: 'm' }, [
      { field: 'image', fileName: 'a.png', type: 'image/png', parts: [head, { blob: (await openAsBlob(path)).slice(0), label: 'rest.bin' }] },
      { field: 'image', fileName: 'b.png', type: 'image/png', parts: [Buffer.from('tiny')] }
    ])
    const joined = await drain(mixed)
    // Fields and the head fill one chunk (the rest of the head follows before the file), then the file, then the last part and closing boundary together.
    expect(joined.seen).toHaveLength(4)
    expect(joined.seen[0]).toBe(UPLOAD_CHUNK)
    expect(joined.seen.at(-1)).toBe(mixed.length)
    const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': mixed.contentType }, body: joined.bytes }).formData()
    const files = form.getAll('image') as File[]
    expect(Buffer.from(await files[0]!.arrayBuffer()).equals(Buffer.concat([head, rest]))).toBe(true)
    expect(Buffer.from(await files[1]!.arrayBuffer()).toString()).toBe('tiny')
  })

  it('slices large in-memory bodies so progress moves while they go out', async () => {
    const body = bytesBody(Buffer.alloc(3 * UPLOAD_CHUNK + 5, 1), 'application/json')
    const { bytes, seen } = await drain(body)
    expect(bytes.length).toBe(body.length)
    expect(seen).toEqual([UPLOAD_CHUNK, 2 * UPLOAD_CHUNK, 3 * UPLOAD_CHUNK, 3 * UPLOAD_CHUNK + 5])
  })
})

describe('PNG decode check', () => {
  const noise = (width: number, height: number, channels: 1 | 3 | 4) =>
    sharp({ create: { width, height, channels: channels === 1 ? 3 : channels, background: '#000', noise: { type: 'gaussian', mean: 120, sigma: 50 } } }).toColourspace(channels === 1 ? 'b-w' : 'srgb')
  /** Rewrites a chunk's CRC so only the deeper checks can catch the damage. */
  const fixCrcs = (png: Buffer) => {
    const out = Buffer.from(png)
    for (let o = 8; o + 12 <= out.length; ) {
      const len = out.readUInt32BE(o)
      out.writeUInt32BE(crc32(out.subarray(o + 4, o + 8 + len)), o + 8 + len)
      o += 12 + len
    }
    return out
  }

  it('accepts what libvips decodes, with the same dimensions: RGB, RGBA, grey, 16-bit, palette, interlaced', async () => {
    const samples = [
      await noise(37, 21, 3).png().toBuffer(),
      await noise(64, 64, 4).png().toBuffer(),
      await noise(33, 9, 1).png().toBuffer(),
      await noise(20, 20, 3).png().toColourspace('rgb16').toBuffer(),
      await noise(50, 30, 3).png({ palette: true, colours: 16 }).toBuffer(),
      await noise(45, 19, 4).png({ progressive: true }).toBuffer(),
      await noise(1, 1, 3).png({ progressive: true }).toBuffer()
    ]
    for (const png of samples) {
      const { info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
      expect(checkPng(png)).toEqual({ width: info.width, height: info.height })
      expect(await verifyImage(png, 'pixapi', 0, 1 << 20)).toMatchObject({ format: 'png', width: info.width, height: info.height })
    }
  })

  it('refuses truncated, corrupted and inconsistent PNGs, as libvips does', async () => {
    const png = await noise(40, 40, 3).png().toBuffer()
    const idat = png.indexOf('IDAT')
    const flipped = Buffer.from(png)
    flipped[idat + 20] = flipped[idat + 20]! ^ 0xff
    const taller = Buffer.from(png)
    taller.writeUInt32BE(41, 20)
    const broken = [
      [png.subarray(0, png.length - 30), /truncated|no IEND/],
      [png.subarray(0, idat + 40), /truncated/],
      [flipped, /bad CRC in IDAT/],
      [fixCrcs(flipped), /does not inflate|bad filter|bytes/],
      [fixCrcs(taller), /bytes, \d+ expected/],
      [Buffer.concat([png.subarray(0, 33), png.subarray(png.length - 12)]), /no image data/]
    ] as const
    for (const [bytes, why] of broken) {
      expect(() => checkPng(bytes)).toThrow(why)
      await expect(verifyImage(bytes, 'pixapi', 0, 1 << 20)).rejects.toThrow(/damaged PNG/)
    }
    // libvips agrees these are not decodable (the data or its length no longer fits the header).
    await expect(sharp(png.subarray(0, png.length - 30), { failOn: 'truncated' }).raw().toBuffer()).rejects.toThrow()
    await expect(sharp(fixCrcs(taller), { failOn: 'truncated' }).raw().toBuffer()).rejects.toThrow()
  })

  it('leaves large PNGs to libvips', async () => {
    const big = await noise(700, 700, 4).png({ compressionLevel: 1 }).toBuffer()
    expect(pngHeader(big).dataBytes).toBeGreaterThan(PNG_INLINE_MAX_BYTES)
    expect(await verifyImage(big, 'pixapi', 0, 1 << 26)).toMatchObject({ width: 700, height: 700 })
    await expect(verifyImage(big.subarray(0, big.length >> 1), 'pixapi', 0, 1 << 26)).rejects.toThrow(/damaged PNG/)
  })
})
