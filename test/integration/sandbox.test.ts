import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { FormData, request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { executeImageRequest } from '../../electron/core/providers/execute'
import type { ImageRequest } from '../../electron/core/providers/types'
import { startSandbox, type Sandbox, type SandboxStats } from '../../electron/core/sandbox/server'
import { FaultInjector } from '../../electron/core/sandbox/faults'

const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20, jitterMs: 2 }, timeouts: { pollIntervalMs: 5, pollMaxIntervalMs: 20 } }
let sandbox: Sandbox
let input: string

const edit = (over: Partial<ImageRequest> = {}): ImageRequest => ({
  kind: 'edit',
  provider: 'pixapi',
  model: 'nano-banana-2',
  prompt: 'warm studio light',
  params: { n: 1, size: '512x512', responseFormat: 'b64_json' },
  route: 'sync',
  inputs: [{ source: 'file', path: input }],
  sandbox: true,
  ...over
})
const run = (over: Partial<ImageRequest> = {}, opts: Parameters<typeof executeImageRequest>[1] = {}) =>
  executeImageRequest(edit(over), { baseUrl: sandbox.url, ...fast, ...opts })

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixdesk-sandbox-'))
  input = join(dir, 'product.png')
  await sharp({ create: { width: 80, height: 60, channels: 3, background: '#2a8' } }).png().toFile(input)
  sandbox = await startSandbox()
})
afterAll(() => sandbox.close())
beforeEach(() => {
  sandbox.reset()
  sandbox.setFaults({})
})

describe('sandbox simulated edits', () => {
  it('returns real images, marked, that differ by prompt, and accounts credits from the catalog', async () => {
    const a = await run({ prompt: 'make it blue' })
    const b = await run({ prompt: 'make it vintage' })
    expect(a.record.status).toBe('succeeded')
    expect(a.images[0]).toMatchObject({ format: 'png', width: 512, height: 512 })
    expect(a.images[0]!.bytes.equals(b.images[0]!.bytes)).toBe(false)
    const [sa, sb] = await Promise.all([sharp(a.images[0]!.bytes).stats(), sharp(b.images[0]!.bytes).stats()])
    expect(sa.channels.map((c) => Math.round(c.mean))).not.toEqual(sb.channels.map((c) => Math.round(c.mean)))
    // The SIMULATED banner: a dark band with white glyph pixels along the bottom edge.
    const band = await sharp(a.images[0]!.bytes).extract({ left: 0, top: 470, width: 512, height: 42 }).greyscale().raw().toBuffer()
    expect(band.some((v) => v > 240)).toBe(true)
    expect(band.filter((v) => v < 80).length).toBeGreaterThan(band.length / 3)
    expect(a.record.cost).toEqual({ credits: 4, estimated: false, estimate: 4 })
    expect(a.record.sandbox).toBe(true)
    expect(sandbox.stats().creditsCharged).toBe(8)
  })

  it('validates multipart requests per model, like the real API', async () => {
    const form = new FormData()
    form.append('model', 'nano-banana')
    form.append('prompt', 'x')
    form.append('size', '4K')
    form.append('image', new Blob([await sharp(input).toBuffer()], { type: 'image/png' }), 'a.png')
    const res = await request(`${sandbox.url}/v1/images/edits`, { method: 'POST', body: form })
    expect(res.statusCode).toBe(400)
    const body = (await res.body.json()) as { error: { param: string; message: string; type: string } }
    expect(body.error).toMatchObject({ param: 'size', type: 'invalid_request_error' })
    const unknown = await request(`${sandbox.url}/v1/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', prompt: 'x' }) })
    expect(unknown.statusCode).toBe(404)
    expect(((await unknown.body.json()) as { error: { code: string } }).error.code).toBe('model_not_found')
  })

  it('records every submission with endpoint, model, prompt, input hashes and ids', async () => {
    const a = await run({ route: 'async' })
    const s = sandbox.stats()
    expect(s.async).toBe(1)
    expect(s.sync).toBe(0)
    expect(s.submissions[0]).toMatchObject({ route: 'async', endpoint: '/v1/async/images/edits', model: 'gemini-3.1-flash-image-preview', prompt: 'warm studio light', taskId: a.record.taskId, requestId: a.record.requestIds[0] })
    expect(s.submissions[0]!.inputs[0]!.sha256).toBe(a.record.inputs[0]!.sha256)
  })
})

describe('sandbox render reuse', () => {
  it('answers a repeated submission with the same output and never mixes up different ones', async () => {
    const reusing = await startSandbox({ reuseRenders: true })
    try {
      const send = (over: Partial<ImageRequest>) => executeImageRequest(edit(over), { baseUrl: reusing.url, ...fast })
      const [a, again, other, larger] = [await send({}), await send({}), await send({ prompt: 'make it vintage' }), await send({ params: { n: 1, size: '1024x1024', responseFormat: 'b64_json' } })]
      expect(again.images[0]!.bytes.equals(a.images[0]!.bytes)).toBe(true)
      expect(other.images[0]!.bytes.equals(a.images[0]!.bytes)).toBe(false)
      expect(larger.images[0]).toMatchObject({ width: 1024, height: 1024 })
      // Every submission is still a request of its own: ids, accounting and stats as without reuse.
      expect(new Set([a, again, other, larger].map((r) => r.record.requestIds[0])).size).toBe(4)
      expect(reusing.stats().sync).toBe(4)
    } finally {
      await reusing.close()
    }
  })
})

describe('fault injection', () => {
  it('429 with Retry-After, 500 and 503 are retried and then succeed', async () => {
    sandbox.setFaults({ queue: [{ kind: 'rate_limited', retryAfterMs: 10 }, { kind: 'server_error' }, { kind: 'unavailable' }] })
    const r = await run({}, { retry: { ...fast.retry, maxAttempts: 4 } })
    expect(r.record.status).toBe('succeeded')
    expect(r.record.attempts.map((a) => a.status)).toEqual([429, 500, 503, 200])
    expect(r.record.attempts.map((a) => a.errorCode)).toEqual(['rate_limited', 'server', 'unavailable', undefined])
    expect(sandbox.stats().sync).toBe(4)
  })

  it('gives up after max attempts with the last error, its request id and Retry-After', async () => {
    sandbox.setFaults({ queue: [{ kind: 'rate_limited', retryAfterS: 0 }, { kind: 'rate_limited', retryAfterS: 0 }] })
    const r = await run({}, { retry: { ...fast.retry, maxAttempts: 2 } })
    expect(r.record.status).toBe('failed')
    expect(r.record.error).toMatchObject({ code: 'rate_limited', status: 429, retryable: true, retryAfterMs: 0, providerCode: 'rate_limited' })
    expect(r.record.error?.requestId).toMatch(/^req_/)
    expect(r.record.cost.credits).toBe(0)
  })

  it('never retries 402 or 422', async () => {
    for (const [kind, code, status] of [['insufficient_credits', 'insufficient_credits', 402], ['prompt_rejected', 'prompt_rejected', 422]] as const) {
      sandbox.reset()
      sandbox.setFaults({ queue: [{ kind }] })
      const r = await run()
      expect(r.record.error).toMatchObject({ code, status })
      expect(r.record.attempts).toHaveLength(1)
      expect(sandbox.stats().sync).toBe(1)
    }
  })

  it('a connection reset mid-body is a network failure (retried on sync)', async () => {
    sandbox.setFaults({ queue: [{ kind: 'reset' }, { kind: 'reset' }] })
    const r = await run({}, { retry: { ...fast.retry, maxAttempts: 2 } })
    expect(r.record.error?.code).toBe('network')
    expect(sandbox.stats().sync).toBe(2)
  })

  it('malformed JSON and a non-image payload are bad responses', async () => {
    sandbox.setFaults({ queue: [{ kind: 'malformed_json' }] })
    expect((await run()).record.error).toMatchObject({ code: 'bad_response' })
    sandbox.setFaults({ queue: [{ kind: 'non_image' }] })
    const r = await run()
    expect(r.record.error?.code).toBe('bad_response')
    expect(r.record.error?.message).toMatch(/not an image/)
    expect(r.images).toEqual([])
    sandbox.setFaults({ queue: [{ kind: 'non_image', on: 'download' }] })
    const viaUrl = await run({ params: { n: 1, size: '512x512', responseFormat: 'url' } })
    expect(viaUrl.record.error?.message).toMatch(/not an image/)
  })

  it('a slow response past the headers timeout is a timeout', async () => {
    sandbox.setFaults({ queue: [{ kind: 'slow', delayMs: 2000 }] })
    const r = await run({}, { retry: { maxAttempts: 1 }, timeouts: { headersMs: 150 } })
    expect(r.record.error).toMatchObject({ code: 'timeout' })
  })

  it('a task that never finishes hits the task timeout, keeping its id for a later resume', async () => {
    sandbox.setFaults({ queue: [{ kind: 'stuck_task' }] })
    const r = await run({ route: 'async' }, { timeouts: { ...fast.timeouts, taskMs: 200 } })
    expect(r.record.status).toBe('failed')
    expect(r.record.error?.code).toBe('timeout')
    expect(r.record.taskId).toMatch(/^task_/)
    expect(sandbox.stats().polls).toBeGreaterThan(1)
  })

  it('is deterministic for a seed', () => {
    const draw = () => {
      const f = new FaultInjector({ seed: 42, probabilities: { server_error: 0.3, rate_limited: 0.2 }, latencyMs: [0, 100] })
      return Array.from({ length: 30 }, () => [f.next('submit')?.kind ?? '-', Math.round(f.latency())].join(':'))
    }
    const a = draw()
    expect(draw()).toEqual(a)
    expect(a.some((x) => x.startsWith('server_error'))).toBe(true)
    expect(a.some((x) => x.startsWith('-'))).toBe(true)
  })
})

describe('control from another process', () => {
  it('runs standalone and takes fault plans and stats requests over HTTP', async () => {
    const root = resolve(__dirname, '..', '..')
    const child = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'electron', 'core', 'sandbox', 'server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
          if (m) ok(m[1]!)
        })
        child.once('exit', (code) => fail(new Error(`sandbox exited ${code}`)))
      })
      const set = await request(`${url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ queue: [{ kind: 'insufficient_credits' }] }) })
      expect(set.statusCode).toBe(200)
      await set.body.dump()
      const bad = await request(`${url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ queue: [{ kind: 'meteor' }] }) })
      expect(bad.statusCode).toBe(400)
      await bad.body.dump()
      const r = await executeImageRequest(edit(), { baseUrl: url, ...fast })
      expect(r.record.error?.code).toBe('insufficient_credits')
      const ok = await executeImageRequest(edit({ route: 'async' }), { baseUrl: url, ...fast })
      expect(ok.record.status).toBe('succeeded')
      const stats = (await (await request(`${url}/__sandbox/stats`)).body.json()) as SandboxStats
      expect(stats).toMatchObject({ sync: 1, async: 1, tasksCreated: 1 })
      expect(stats.faults[0]).toMatchObject({ kind: 'insufficient_credits', stage: 'submit' })
    } finally {
      child.kill('SIGTERM')
    }
  })
})
