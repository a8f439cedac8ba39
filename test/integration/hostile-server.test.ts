import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { executeImageRequest, resumeAsyncTask } from '../../electron/core/providers/execute'
import { guardedLookup, refusedAddressReason } from '../../electron/core/providers/outputurl'
import type { ExecuteOptions, ImageRequest } from '../../electron/core/providers/types'
import type { FaultPlan } from '../../electron/core/sandbox/faults'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'

/**
 * A server that answers badly on purpose (the sandbox's hostile faults): whatever it does, each request
 * ends within the client's own bounds, with a reason a person can act on.
 */
const KEY = 'sk_hostile_test_key'
const fast = { retry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 20, jitterMs: 2 }, timeouts: { pollIntervalMs: 5, pollMaxIntervalMs: 20 } }
let sandbox: Sandbox
let input: string

const edit = (over: Partial<ImageRequest> = {}): ImageRequest => ({
  kind: 'edit',
  provider: 'pixapi',
  model: 'nano-banana-2',
  prompt: 'studio light',
  params: { n: 1, size: '512x512' },
  route: 'sync',
  inputs: [{ source: 'file', path: input }],
  sandbox: true,
  ...over
})
const run = (faults: FaultPlan, over: Partial<ImageRequest> = {}, opts: ExecuteOptions = {}) => {
  sandbox.setFaults(faults)
  return executeImageRequest(edit(over), { baseUrl: sandbox.url, apiKey: KEY, ...fast, ...opts, timeouts: { ...fast.timeouts, ...opts.timeouts } })
}
async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now()
  const value = await work
  return { value, ms: performance.now() - t0 }
}

beforeAll(async () => {
  input = join(mkdtempSync(join(tmpdir(), 'pixdesk-hostile-')), 'in.png')
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#28a' } }).png().toFile(input)
  sandbox = await startSandbox({ apiKey: KEY, reportCost: false })
})
afterAll(() => sandbox.close())
beforeEach(() => sandbox.reset())

describe('bounds the server cannot move', () => {
  it('keeps n outputs when 200 arrive, downloads only those, and estimates the cost of n', async () => {
    const { record, images } = await run({ queue: [{ kind: 'excess_outputs', count: 200 }] })
    expect(record.status).toBe('succeeded')
    expect(images).toHaveLength(1)
    expect(record.outputsDiscarded).toBe(199)
    expect(record.cost).toEqual({ credits: 4, estimated: true, estimate: 4 })
    expect(sandbox.stats().downloads).toBe(1)
  })

  it('ends an answer that trickles a byte at a time with the answer deadline', async () => {
    const { value, ms } = await timed(run({ queue: [{ kind: 'trickle', intervalMs: 100 }] }, {}, { timeouts: { answerMs: 1200, bodyMs: 60_000 } }))
    expect(value.record.status).toBe('failed')
    expect(value.record.error).toMatchObject({ code: 'timeout' })
    expect(value.record.error?.message).toMatch(/did not finish answering within 1\.2 s/)
    expect(ms).toBeLessThan(4000)
  })

  it('stops reading an endless answer at the size cap', async () => {
    const { value, ms } = await timed(run({ queue: [{ kind: 'endless' }] }, {}, { maxOutputBytes: 256 * 1024 }))
    expect(value.record.error?.message).toMatch(/exceeded the \d+-byte limit/)
    expect(ms).toBeLessThan(5000)
  })

  it('refuses an answer that declares a huge length before reading it', async () => {
    const { value } = await timed(run({ queue: [{ kind: 'huge' }] }))
    expect(value.record.error?.message).toMatch(/17179869184 bytes, over the \d+-byte limit/)
  })

  it('ends a trickling output download with the download deadline, as a download failure', async () => {
    const { value, ms } = await timed(run({ queue: [{ kind: 'trickle', on: 'download', intervalMs: 100 }] }, {}, { timeouts: { downloadMs: 1000, bodyMs: 60_000 } }))
    expect(value.record.error).toMatchObject({ code: 'download_failed' })
    expect(value.record.error?.message).toMatch(/did not finish within 1 s/)
    expect(ms).toBeLessThan(4000)
  })
})

describe('reported credits', () => {
  it('flags credits far above the catalog estimate in the record, keeping the figure reported', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer()
    const greedy = createServer((_, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ created: 1, data: [{ b64_json: png.toString('base64') }], costCredits: 400 }))
    )
    await new Promise<void>((ok) => greedy.listen(0, '127.0.0.1', ok))
    try {
      const { record } = await executeImageRequest(edit(), { baseUrl: `http://127.0.0.1:${(greedy.address() as AddressInfo).port}`, apiKey: KEY, ...fast })
      expect(record.status).toBe('succeeded')
      expect(record.cost).toEqual({ credits: 400, estimated: false, estimate: 4, aboveEstimate: true })
      const fair = await run({})
      expect(fair.record.cost.aboveEstimate).toBeUndefined()
    } finally {
      greedy.close()
    }
  })
})

describe('error answers', () => {
  it('reads only the start of an endless error answer and reports its status', async () => {
    const flood = createServer((_, res) => {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.write('{"error":{"message":"overloaded","type":"server_error"}}')
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {
          /* until the socket pushes back */
        }
      }
      res.on('drain', pump)
      pump()
    })
    await new Promise<void>((ok) => flood.listen(0, '127.0.0.1', ok))
    try {
      const { value, ms } = await timed(
        executeImageRequest(edit(), { baseUrl: `http://127.0.0.1:${(flood.address() as AddressInfo).port}`, apiKey: KEY, ...fast, maxOutputBytes: 64 * 1024 * 1024 })
      )
      expect(value.record.error).toMatchObject({ code: 'server', status: 500 })
      expect(value.record.error?.message).toMatch(/overloaded/)
      expect(ms).toBeLessThan(3000)
    } finally {
      flood.closeAllConnections()
      flood.close()
    }
  })
})

describe('output URL policy', () => {
  it.each([
    ['https://169.254.169.254', /169\.254\.169\.254 is a loopback, link-local, private or reserved address/],
    ['https://10.1.2.3', /10\.1\.2\.3 is a loopback/],
    ['https://[fe80::1]', /fe80::1 is a loopback/],
    ['https://100.100.100.200', /100\.100\.100\.200 is a loopback/],
    ['http://cdn.example', /http:\/\/ is not accepted/]
  ])('refuses output URLs on %s without connecting', async (target, why) => {
    const { record } = await run({ queue: [{ kind: 'foreign_url', target }] })
    expect(record.error).toMatchObject({ code: 'download_failed' })
    expect(record.error?.message).toMatch(why)
    expect(record.error?.message).toMatch(/The request itself went through/)
  })

  it('refuses a redirect to a metadata address, checked on the hop', async () => {
    const { record } = await run({ queue: [{ kind: 'redirect', on: 'download', target: 'https://169.254.169.254/latest/meta-data/' }] })
    expect(record.error).toMatchObject({ code: 'download_failed' })
    expect(record.error?.message).toMatch(/169\.254\.169\.254 is a loopback, link-local/)
    expect(sandbox.stats().downloads).toBe(1)
  })

  it('checks resolved addresses: a name that resolves to loopback is refused for a remote API', async () => {
    const resolved = await new Promise<{ err: Error | null; address?: string }>((done) =>
      guardedLookup(false)('localhost', {}, (err, address) => done({ err, address: address as string }))
    )
    expect(resolved.err?.message).toMatch(/resolves only to addresses outputs may not come from/)
    const allowed = await new Promise<{ err: Error | null; address?: string }>((done) =>
      guardedLookup(true)('localhost', { family: 4 }, (err, address) => done({ err, address: address as string }))
    )
    expect(allowed.err).toBeNull()
    expect(allowed.address).toBe('127.0.0.1')
    for (const addr of ['127.0.0.1', '::1', '169.254.1.1', 'fe80::2', '10.0.0.1', '172.20.0.1', '192.168.1.1', 'fd00::1', '100.64.0.1', '::ffff:10.0.0.1', '0.0.0.0']) {
      expect(refusedAddressReason(addr), addr).toBeDefined()
    }
    for (const addr of ['8.8.8.8', '2606:4700::1111', '172.32.0.1']) expect(refusedAddressReason(addr), addr).toBeUndefined()
  })
})

describe('downloads behind the key', () => {
  let keyed: Sandbox
  let other: Sandbox
  beforeAll(async () => {
    keyed = await startSandbox({ apiKey: KEY, downloadsNeedKey: true, taskPolls: 0 })
    other = await startSandbox({ apiKey: KEY, downloadsNeedKey: true, taskPolls: 0 })
  })
  afterAll(async () => {
    await keyed.close()
    await other.close()
  })

  it('sends the key with a download from the API origin, and a completed async task is saved', async () => {
    const out = await executeImageRequest(edit({ route: 'async' }), { baseUrl: keyed.url, apiKey: KEY, ...fast })
    expect(out.record.status).toBe('succeeded')
    expect(keyed.stats().downloadsRefused).toBe(0)
  })

  it('never sends the key to another origin; the refusal is a download failure that keeps the task, and resuming downloads again without a new task', async () => {
    keyed.setFaults({ queue: [{ kind: 'foreign_url', target: other.url }] })
    const out = await executeImageRequest(edit({ route: 'async' }), { baseUrl: keyed.url, apiKey: KEY, ...fast })
    expect(other.stats().downloadsRefused).toBe(1)
    expect(out.record.error).toMatchObject({ code: 'download_failed', status: 401 })
    expect(out.record.error?.message).not.toMatch(/refused the API key/)
    expect(out.record.taskId).toBeDefined()
    const tasksBefore = keyed.stats().tasksCreated
    // The foreign URL was a one-off: the task's stored URLs still point at the other host, so resuming
    // retries that download (refused again, key still withheld) without creating a task.
    const again = await resumeAsyncTask(out.record.taskId!, edit({ route: 'async' }), { baseUrl: keyed.url, apiKey: KEY, ...fast })
    expect(again.record.error).toMatchObject({ code: 'download_failed' })
    expect(other.stats().downloadsRefused).toBe(2)
    expect(keyed.stats().tasksCreated).toBe(tasksBefore)
  })
})
