import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { executeImageRequest, resumeAsyncTask, testKey } from '../../electron/core/providers/execute'
import type { ImageRequest, ProgressEvent } from '../../electron/core/providers/types'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { AppError } from '../../shared/errors'
import { requestRecordSchema } from '../../shared/records'

const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20, jitterMs: 2 }, timeouts: { pollIntervalMs: 5, pollMaxIntervalMs: 20 } }
let sandbox: Sandbox
let dir: string
let input: string
let pngBytes: Buffer

const edit = (over: Partial<ImageRequest> = {}): ImageRequest => ({
  kind: 'edit',
  provider: 'pixapi',
  model: 'nano-banana-2',
  prompt: 'place on a marble table',
  params: { n: 1, size: '512x512', responseFormat: 'b64_json' },
  route: 'sync',
  inputs: [{ source: 'file', path: input }],
  ...over
})

function listen(server: Server): Promise<string> {
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pixdesk-pixapi-'))
  input = join(dir, 'bag.png')
  await sharp({ create: { width: 90, height: 70, channels: 3, background: '#c84' } }).png().toFile(input)
  pngBytes = readFileSync(input)
  sandbox = await startSandbox()
})
afterAll(() => sandbox.close())
beforeEach(() => {
  sandbox.reset()
  sandbox.setFaults({})
})

describe('Pixapi contract against the sandbox', () => {
  it('sync edit: multipart with repeated image parts; the record is complete and valid', async () => {
    const second = join(dir, 'second.png')
    await sharp({ create: { width: 30, height: 30, channels: 3, background: '#148' } }).png().toFile(second)
    const r = await executeImageRequest(edit({ inputs: [{ source: 'file', path: input }, { source: 'file', path: second }], batchId: 'b1', jobItemId: 'j1' }), { baseUrl: sandbox.url, ...fast })
    expect(r.record.status).toBe('succeeded')
    expect(() => requestRecordSchema.parse(r.record)).not.toThrow()
    expect(r.record).toMatchObject({ provider: 'pixapi', route: 'sync', endpoint: `${sandbox.url}/v1/images/edits`, model: 'gemini-3.1-flash-image-preview', batchId: 'b1', jobItemId: 'j1', outputs: [] })
    expect(r.record.inputs.map((i) => i.bytes)).toEqual([pngBytes.length, readFileSync(second).length])
    const sub = sandbox.stats().submissions[0]!
    expect(sub.inputs).toHaveLength(2)
    expect(sub.inputs.map((i) => i.sha256)).toEqual(r.record.inputs.map((i) => i.sha256))
  })

  it("sends a Gemini model's aspect ratio beside its size tier, on both body forms, and gets that frame back", async () => {
    const r = await executeImageRequest(edit({ params: { n: 1, size: '2K', aspectRatio: '4:5', responseFormat: 'b64_json' } }), { baseUrl: sandbox.url, ...fast })
    expect(r.record.status).toBe('succeeded')
    const gen = await executeImageRequest(edit({ kind: 'generate', inputs: [], params: { n: 1, size: '1K', aspectRatio: '16:9' } }), { baseUrl: sandbox.url, ...fast })
    expect(sandbox.stats().submissions.map((s) => [s.size, s.aspectRatio])).toEqual([
      ['2K', '4:5'],
      ['1K', '16:9']
    ])
    // The price is the tier's, whatever the shape: 6 credits at 2K, 4 at 1K for this model.
    expect([r.record.cost?.credits, gen.record.cost?.credits]).toEqual([6, 4])
    expect([r, gen].map((x) => `${x.images[0]!.width}x${x.images[0]!.height}`)).toEqual(['1856x2304', '1376x768'])
  })

  it('takes image URLs and data URLs (JSON `image` field), and generations', async () => {
    const files = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(pngBytes)
    })
    const origin = await listen(files)
    try {
      const viaUrl = await executeImageRequest(edit({ inputs: [{ source: 'url', url: `${origin}/bag.png` }] }), { baseUrl: sandbox.url, ...fast })
      expect(viaUrl.record.status).toBe('succeeded')
      expect(viaUrl.record.inputs[0]).toMatchObject({ source: 'url', url: `${origin}/bag.png` })
    } finally {
      files.close()
    }
    const dataUrl = `data:image/png;base64,${pngBytes.toString('base64')}`
    const viaData = await executeImageRequest(edit({ inputs: [{ source: 'data', dataUrl }] }), { baseUrl: sandbox.url, ...fast })
    expect(viaData.record.status).toBe('succeeded')
    const gen = await executeImageRequest(edit({ kind: 'generate', inputs: [], params: { n: 2, size: '1024x1024' } }), { baseUrl: sandbox.url, ...fast })
    expect(gen.images).toHaveLength(2)
    expect(gen.record.endpoint).toMatch(/\/v1\/images\/generations$/)
    const subs = sandbox.stats().submissions
    expect(subs.map((s) => s.inputs[0]?.sha256)).toEqual([viaData.record.inputs[0]!.sha256, viaData.record.inputs[0]!.sha256, undefined])
  })

  it('falls back to the catalog estimate, marked estimated, when the response has no cost', async () => {
    const quiet = await startSandbox({ reportCost: false })
    try {
      const r = await executeImageRequest(edit({ params: { n: 2, size: '1024x1024' } }), { baseUrl: quiet.url, ...fast })
      expect(r.record.cost).toEqual({ credits: 8, estimated: true, estimate: 8 })
    } finally {
      await quiet.close()
    }
  })

  it('refuses invalid requests before sending anything', async () => {
    const attempts = [
      edit({ model: 'no-such-model' }),
      edit({ params: { n: 9, size: '512x512' } }),
      edit({ params: { n: 1, size: '640x480' } }),
      edit({ prompt: '' }),
      edit({ inputs: [{ source: 'file', path: join(dir, 'missing.png') }] }),
      edit({ inputs: [{ source: 'data', dataUrl: 'data:text/plain,hello' }] })
    ]
    for (const req of attempts) {
      const err = await executeImageRequest(req, { baseUrl: sandbox.url }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AppError)
      expect((err as AppError).code).toBe('validation')
      expect((err as AppError).data.field).toBeTruthy()
    }
    const heic = join(dir, 'phone.heic')
    writeFileSync(heic, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(64)]))
    await expect(executeImageRequest(edit({ inputs: [{ source: 'file', path: heic }] }), { baseUrl: sandbox.url })).rejects.toThrow(/HEIC/)
    await expect(executeImageRequest(edit(), { baseUrl: 'http://example.com' })).rejects.toThrow(/https/)
    expect(sandbox.stats().sync + sandbox.stats().async).toBe(0)
  })
})

describe('async tasks', () => {
  it('reports the task id on submission and polls to completion through unknown states', async () => {
    const seen: string[] = []
    const states: string[] = []
    const r = await executeImageRequest(edit({ route: 'async' }), { baseUrl: sandbox.url, ...fast, onTaskSubmitted: (id) => seen.push(id), onProgress: (e) => e.taskState && states.push(e.taskState) })
    expect(r.record.status).toBe('succeeded')
    expect(seen).toEqual([r.record.taskId])
    expect(states).toContain('processing')
    expect(r.record.endpoint).toMatch(/\/v1\/async\/images\/edits$/)
  })

  it('a task that ends in "failed" is a failure with the task\'s own error', async () => {
    const broken = join(dir, 'broken.png')
    writeFileSync(broken, Buffer.concat([pngBytes.subarray(0, 16), Buffer.alloc(200, 7)]))
    const r = await executeImageRequest(edit({ route: 'async', inputs: [{ source: 'file', path: broken }] }), { baseUrl: sandbox.url, ...fast })
    expect(r.record.status).toBe('failed')
    expect(r.record.error).toMatchObject({ code: 'validation', providerCode: 'invalid_request' })
    expect(r.record.error?.message).toMatch(/task task_\w+ failed/)
    expect(r.record.cost.credits).toBe(0)
  })

  it('never re-sends an async submit that reached the server', async () => {
    sandbox.setFaults({ queue: [{ kind: 'unavailable' }] })
    const a = await executeImageRequest(edit({ route: 'async' }), { baseUrl: sandbox.url, ...fast })
    expect(a.record.error?.code).toBe('unavailable')
    sandbox.setFaults({ queue: [{ kind: 'reset' }] })
    const b = await executeImageRequest(edit({ route: 'async' }), { baseUrl: sandbox.url, ...fast })
    expect(b.record.error?.code).toBe('network')
    expect(sandbox.stats().async).toBe(2)
  })

  it('re-sends an async submit that never reached the server', async () => {
    const closed = createServer()
    const url = await listen(closed)
    await new Promise((ok) => closed.close(ok))
    const r = await executeImageRequest(edit({ route: 'async' }), { baseUrl: url, ...fast, retry: { ...fast.retry, maxAttempts: 3 } })
    expect(r.record.error?.code).toBe('network')
    expect(r.record.attempts).toHaveLength(3)
  })

  it('poll errors are retried without resubmitting', async () => {
    sandbox.setFaults({ queue: [{ kind: 'server_error', on: 'poll' }, { kind: 'reset', on: 'poll' }] })
    const r = await executeImageRequest(edit({ route: 'async' }), { baseUrl: sandbox.url, ...fast })
    expect(r.record.status).toBe('succeeded')
    expect(sandbox.stats().async).toBe(1)
    expect(r.record.attempts.map((a) => a.errorCode)).toEqual([undefined, 'server', 'network'])
  })

  it('cancels mid-poll, then resumes from the task id alone without submitting again', async () => {
    const paused = await startSandbox({ taskPolls: 1_000_000 })
    try {
      const ac = new AbortController()
      let taskId = ''
      const first = await executeImageRequest(edit({ route: 'async' }), {
        baseUrl: paused.url,
        ...fast,
        signal: ac.signal,
        onTaskSubmitted: (id) => (taskId = id),
        onProgress: (e) => e.stage === 'polling' && ac.abort()
      })
      expect(first.record.status).toBe('cancelled')
      expect(first.record.error?.code).toBe('cancelled')
      expect(first.record.taskId).toBe(taskId)
      expect(paused.stats().polls).toBeGreaterThanOrEqual(1)
    } finally {
      await paused.close()
    }
    // The same task id on a sandbox that finishes tasks: resume only polls.
    const submitted = await executeImageRequest(edit({ route: 'async' }), { baseUrl: sandbox.url, ...fast, timeouts: { ...fast.timeouts, taskMs: 1 } })
    expect(submitted.record.error?.code).toBe('timeout')
    const resumed = await resumeAsyncTask(submitted.record.taskId!, edit({ route: 'async' }), { baseUrl: sandbox.url, ...fast })
    expect(resumed.record.status).toBe('succeeded')
    expect(resumed.record.taskId).toBe(submitted.record.taskId)
    expect(resumed.images).toHaveLength(1)
    expect(sandbox.stats().async).toBe(1)
    expect(sandbox.stats().tasksCreated).toBe(1)
  })
})

describe('upload byte progress', () => {
  const uploads = (events: ProgressEvent[]) => events.filter((e) => e.stage === 'uploading')
  /** Each attempt starts at 0, never goes back, and ends at its total. */
  const expectCompleteAttempts = (events: ProgressEvent[], attempts: number) => {
    const ups = uploads(events)
    for (let a = 1; a <= attempts; a++) {
      const mine = ups.filter((e) => e.attempt === a)
      expect(mine[0]?.sentBytes).toBe(0)
      const sent = mine.map((e) => e.sentBytes!)
      expect(sent).toEqual([...sent].sort((x, y) => x - y))
      expect(mine.at(-1)?.sentBytes).toBe(mine[0]?.totalBytes)
      expect(new Set(mine.map((e) => e.totalBytes)).size).toBe(1)
    }
    expect(new Set(ups.map((e) => e.attempt))).toEqual(new Set(Array.from({ length: attempts }, (_, i) => i + 1)))
    return ups.at(-1)!.totalBytes!
  }

  it('streams a large file with Content-Length, and the last event is the byte count the server received', async () => {
    const large = join(dir, 'large.png')
    await sharp({ create: { width: 700, height: 700, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png({ compressionLevel: 0 }).toFile(large)
    const events: ProgressEvent[] = []
    const r = await executeImageRequest(edit({ inputs: [{ source: 'file', path: large }, { source: 'file', path: input }] }), { baseUrl: sandbox.url, ...fast, onProgress: (e) => events.push(e) })
    expect(r.record.status).toBe('succeeded')
    const total = expectCompleteAttempts(events, 1)
    const sub = sandbox.stats().submissions[0]!
    expect(sub.bodyBytes).toBe(total)
    expect(sub.contentLength).toBe(total)
    expect(total).toBeGreaterThan(readFileSync(large).length + pngBytes.length)
    // The file went out whole and in order: its first chunk from memory, the rest from disk.
    expect(sub.inputs.map((i) => i.sha256)).toEqual(r.record.inputs.map((i) => i.sha256))
    expect(sub.inputs[0]!.bytes).toBe(readFileSync(large).length)
    // Uploading comes before anything about outputs.
    const stages = events.map((e) => e.stage)
    expect(stages.lastIndexOf('uploading')).toBeLessThan(stages.indexOf('downloading'))
  })

  it('restarts the count on a retry, and every attempt delivered its whole body', async () => {
    sandbox.setFaults({ queue: [{ kind: 'server_error' }] })
    const events: ProgressEvent[] = []
    const r = await executeImageRequest(edit(), { baseUrl: sandbox.url, ...fast, onProgress: (e) => events.push(e) })
    expect(r.record.status).toBe('succeeded')
    const total = expectCompleteAttempts(events, 2)
    const retryAt = events.findIndex((e) => e.stage === 'retrying')
    expect(events[retryAt + 1]).toEqual({ stage: 'uploading', attempt: 2, sentBytes: 0, totalBytes: total })
    expect(sandbox.stats().submissions.map((s) => s.bodyBytes)).toEqual([total, total])
  })

  it('counts JSON bodies too: generations, and edits with inline data URLs', async () => {
    const files = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(pngBytes))
    const origin = await listen(files)
    try {
      for (const req of [
        edit({ kind: 'generate', inputs: [], params: { n: 1, size: '512x512' } }),
        edit({ inputs: [{ source: 'url', url: `${origin}/a.png` }, { source: 'file', path: input }] })
      ]) {
        sandbox.reset()
        const events: ProgressEvent[] = []
        const r = await executeImageRequest(req, { baseUrl: sandbox.url, ...fast, onProgress: (e) => events.push(e) })
        expect(r.record.status).toBe('succeeded')
        const total = expectCompleteAttempts(events, 1)
        expect(sandbox.stats().submissions[0]).toMatchObject({ bodyBytes: total, contentLength: total })
      }
    } finally {
      files.close()
    }
  })

  it('stops with a clear error when the file changes after it was checked', async () => {
    const changing = join(dir, 'changing.png')
    await sharp({ create: { width: 400, height: 400, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png({ compressionLevel: 0 }).toFile(changing)
    const r = await executeImageRequest(edit({ inputs: [{ source: 'file', path: changing }] }), {
      baseUrl: sandbox.url,
      ...fast,
      // The first event comes before the file's bytes are read: rewrite it then.
      onProgress: (e) => e.stage === 'uploading' && e.sentBytes === 0 && writeFileSync(changing, pngBytes)
    })
    expect(r.record.status).toBe('failed')
    expect(r.record.error).toMatchObject({ code: 'validation' })
    expect(r.record.error?.message).toMatch(/changing\.png changed or became unreadable/)
    expect(r.record.attempts).toHaveLength(1)
  })
})

describe('cancellation and secrets', () => {
  it('cancels mid-upload', async () => {
    const big = join(dir, 'big.png')
    await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png({ compressionLevel: 0 }).toFile(big)
    let received = 0
    const ac = new AbortController()
    const stalling = createServer((req) => {
      req.on('data', (c: Buffer) => {
        received += c.length
        // Stop reading once the upload is under way, so the client is stuck mid-body; then cancel.
        req.pause()
        ac.abort()
      })
    })
    const url = await listen(stalling)
    try {
      const r = await executeImageRequest(edit({ model: 'gpt-image-2', params: { n: 1 }, inputs: [{ source: 'file', path: big }] }), { baseUrl: url, signal: ac.signal, ...fast })
      expect(r.record.status).toBe('cancelled')
      expect(received).toBeGreaterThan(0)
      expect(received).toBeLessThan(readFileSync(big).length)
    } finally {
      stalling.closeAllConnections()
      stalling.close()
    }
  })

  it('keeps the API key out of records and messages, even when a server echoes it', async () => {
    const key = 'sk_live_secret_1234567890'
    const echo = createServer((req, res) => {
      req.resume()
      res.writeHead(401, { 'content-type': 'application/json', 'x-request-id': 'req_echo' })
      res.end(JSON.stringify({ error: { code: 401, message: `Bad key ${req.headers.authorization}`, type: 'unauthorized' } }))
    })
    const url = await listen(echo)
    try {
      const r = await executeImageRequest(edit(), { baseUrl: url, apiKey: key, ...fast })
      expect(r.record.error).toMatchObject({ code: 'auth', status: 401, requestId: 'req_echo' })
      expect(r.record.attempts).toHaveLength(1)
      expect(JSON.stringify(r.record)).not.toContain(key)
      expect(r.record.error?.message).toContain('[api key]')
    } finally {
      echo.close()
    }
    const guarded = await startSandbox({ apiKey: key })
    try {
      expect((await executeImageRequest(edit(), { baseUrl: guarded.url, apiKey: key, ...fast })).record.status).toBe('succeeded')
      expect((await executeImageRequest(edit(), { baseUrl: guarded.url, apiKey: 'wrong', ...fast })).record.error?.code).toBe('auth')
    } finally {
      await guarded.close()
    }
    expect((await testKey('pixapi', key)).status).toBe('unknown')
  })
})
