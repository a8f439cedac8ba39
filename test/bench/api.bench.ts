/**
 * Image API client benchmark. Run: npx tsx test/bench/api.bench.ts
 * 1. 500 sequential small edits against the sandbox (zero latency): Pixdesk's client vs a bare
 *    undici.request loop posting the same multipart bodies (goal ≤ 1.10×) and vs the official openai
 *    SDK's images.edit (goal: Pixdesk faster).
 * 2. Peak resident memory of a child process uploading a 200 MB file through the client (goal: < 64 MB
 *    above its baseline, because uploads stream from disk).
 */
import { spawn } from 'node:child_process'
import { createReadStream, openAsBlob, readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI, { toFile } from 'openai'
import sharp from 'sharp'
import { FormData, request } from 'undici'
import { createCatalog, parseCatalog, bundledCatalogPath } from '../../electron/core/catalog'
import { executeImageRequest } from '../../electron/core/providers/execute'
import { sha256Stream } from '../../electron/core/providers/inputs'
import { startSandbox } from '../../electron/core/sandbox/server'

const EDITS = Number(process.env.BENCH_EDITS ?? 500)
const MODEL = 'gpt-image-2'
const SIZE = '256x256'
const PROMPT = 'soft shadow under the product'
const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`

type Loop = { label: string; run: () => Promise<void>; ms: number; rounds: number[] }

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/**
 * Runs the loops in interleaved rounds (rotating which goes first), so drift on a shared machine
 * (other processes, thermal changes) hits all of them alike. Besides the totals, each round gives a
 * paired ratio; their median is what a burst of load elsewhere on the machine cannot skew.
 */
async function timeLoops(loops: Loop[], rounds = 25): Promise<void> {
  for (const loop of loops) for (let i = 0; i < 10; i++) await loop.run() // warm-up: connections, JIT, sharp
  const perRound = Math.ceil(EDITS / rounds)
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < loops.length; k++) {
      const loop = loops[(r + k) % loops.length]!
      const t0 = performance.now()
      for (let i = 0; i < perRound; i++) await loop.run()
      const ms = performance.now() - t0
      loop.ms += ms
      loop.rounds.push(ms)
    }
  }
  for (const { label, ms } of loops) {
    console.log(`  ${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms total, ${(ms / (perRound * rounds)).toFixed(2)} ms/edit`)
  }
}

/** Total ratio, and the median and spread (quartiles) of the per-round paired ratios. */
function ratio(a: Loop, b: Loop): string {
  const per = a.rounds.map((ms, i) => ms / b.rounds[i]!).sort((x, y) => x - y)
  const q = (f: number) => per[Math.min(per.length - 1, Math.floor(f * per.length))]!
  return `${(a.ms / b.ms).toFixed(3)}× total, ${median(per).toFixed(3)}× median of ${per.length} rounds (quartiles ${q(0.25).toFixed(3)}–${q(0.75).toFixed(3)})`
}

async function editsBenchmark(dir: string): Promise<void> {
  const input = join(dir, 'small.png')
  await sharp({ create: { width: 96, height: 96, channels: 3, background: '#3a6' } }).png().toFile(input)
  const inputBytes = readFileSync(input)
  const sha256 = await sha256Stream(input)
  const sandbox = await startSandbox({ latencyMs: 0 })
  const fields = { model: MODEL, prompt: PROMPT, n: '1', size: SIZE, quality: 'low', response_format: 'b64_json' }
  console.log(`Edits: ${EDITS} sequential ${SIZE} edits against the sandbox (zero simulated latency)`)
  const loopsFor = (url: string): [Loop, Loop, Loop] => {
    const bare: Loop = { label: 'bare undici.request loop', ms: 0, rounds: [], run: async () => {
      const form = new FormData()
      for (const [k, v] of Object.entries(fields)) form.append(k, v)
      form.append('image', await openAsBlob(input, { type: 'image/png' }), 'small.png')
      const res = await request(`${url}/v1/images/edits`, { method: 'POST', body: form })
      const body = (await res.body.json()) as { data: Array<{ b64_json: string }> }
      if (res.statusCode !== 200 || !body.data[0]?.b64_json) throw new Error(`bare loop got ${res.statusCode}`)
    } }
    const pixdesk: Loop = { label: 'Pixdesk executeImageRequest', ms: 0, rounds: [], run: async () => {
      const r = await executeImageRequest(
        {
          kind: 'edit',
          provider: 'pixapi',
          model: MODEL,
          prompt: PROMPT,
          params: { n: 1, size: SIZE, quality: 'low', responseFormat: 'b64_json' },
          route: 'sync',
          inputs: [{ source: 'file', path: input, sha256 }],
          sandbox: true
        },
        { baseUrl: url }
      )
      if (r.record.status !== 'succeeded') throw new Error(`Pixdesk: ${r.record.error?.message}`)
    } }
    const client = new OpenAI({ apiKey: 'sandbox', baseURL: `${url}/v1`, maxRetries: 0 })
    const sdk: Loop = { label: 'openai SDK images.edit', ms: 0, rounds: [], run: async () => {
      const r = await client.images.edit({
        model: MODEL,
        prompt: PROMPT,
        n: 1,
        size: SIZE as '1024x1024',
        quality: 'low',
        response_format: 'b64_json',
        image: await toFile(createReadStream(input), 'small.png', { type: 'image/png' })
      })
      if (!r.data?.[0]?.b64_json) throw new Error('SDK got no image')
    } }
    return [bare, pixdesk, sdk]
  }
  try {
    const [bare, pixdesk, sdk] = loopsFor(sandbox.url)
    await timeLoops([bare, pixdesk, sdk])
    console.log(`  Pixdesk / bare undici: ${ratio(pixdesk, bare)}  (goal ≤ 1.10×; Pixdesk also verifies each output by decoding it)`)
    console.log(`  Pixdesk / openai SDK:  ${ratio(pixdesk, sdk)}  (goal < 1.00×)`)
    console.log(`  input ${inputBytes.length} bytes; sandbox saw ${sandbox.stats().sync} submissions`)

    // The sandbox renders every edit, which is most of each loop's time; answering one pre-rendered
    // response shows what each client itself costs.
    const form = new FormData()
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    form.append('image', await openAsBlob(input, { type: 'image/png' }), 'small.png')
    const sample = Buffer.from(await (await request(`${sandbox.url}/v1/images/edits`, { method: 'POST', body: form })).body.arrayBuffer())
    const fixed = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': sample.length, 'x-request-id': 'req_fixed' }).end(sample))
    })
    fixed.keepAliveTimeout = 60_000
    await new Promise<void>((ok) => fixed.listen(0, '127.0.0.1', ok))
    try {
      console.log(`Client only: the same loops against a server answering one pre-rendered sandbox response (${sample.length} bytes)`)
      const [cBare, cPixdesk, cSdk] = loopsFor(`http://127.0.0.1:${(fixed.address() as AddressInfo).port}`)
      await timeLoops([cBare, cPixdesk, cSdk])
      console.log(`  Pixdesk / bare undici: ${ratio(cPixdesk, cBare)}`)
      console.log(`  Pixdesk / openai SDK:  ${ratio(cPixdesk, cSdk)}`)
    } finally {
      fixed.closeAllConnections()
      fixed.close()
    }
  } finally {
    await sandbox.close()
  }
}

/** Child side: upload `file` through the client to `url`, sampling RSS; print one JSON line. */
async function uploadChild(url: string, file: string): Promise<void> {
  const data = JSON.parse(readFileSync(bundledCatalogPath(), 'utf8')) as { models: Array<{ id: string; capabilities: { maxInputBytes: number } }> }
  for (const m of data.models) m.capabilities.maxInputBytes = 512 * 1024 * 1024
  const catalog = createCatalog(parseCatalog(data, 'bench'))
  global.gc?.()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  const r = await executeImageRequest(
    { kind: 'edit', provider: 'openai', model: 'gpt-image-1.5', prompt: 'x', params: { n: 1 }, route: 'sync', inputs: [{ source: 'file', path: file, sha256: 'given' }] },
    { baseUrl: url, apiKey: 'bench', catalog }
  )
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  console.log(JSON.stringify({ baseline, peak, status: r.record.status, error: r.record.error?.message }))
}

async function memoryBenchmark(dir: string): Promise<void> {
  const size = 200 * 1024 * 1024
  const file = join(dir, 'huge.png')
  const handle = await open(file, 'w')
  const header = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer()
  await handle.write(header)
  const chunk = Buffer.alloc(4 * 1024 * 1024, 0x5a)
  for (let written = header.length; written < size; written += chunk.length) await handle.write(chunk)
  await handle.close()
  const png = (await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer()).toString('base64')
  let received = 0
  const sink = createServer((req, res) => {
    req.on('data', (c: Buffer) => (received += c.length))
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ created: 1, data: [{ b64_json: png }] }))
    })
  })
  await new Promise<void>((ok) => sink.listen(0, '127.0.0.1', ok))
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`
  try {
    const out = await new Promise<string>((ok, fail) => {
      const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, '--upload-child', url, file], { stdio: ['ignore', 'pipe', 'inherit'] })
      let text = ''
      child.stdout.on('data', (d: Buffer) => (text += d.toString()))
      child.on('exit', (code) => (code === 0 ? ok(text) : fail(new Error(`upload child exited ${code}`))))
    })
    const m = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { baseline: number; peak: number; status: string; error?: string }
    console.log(`Upload memory: ${mb(size)} file streamed to a loopback sink (${mb(received)} received, status ${m.status}${m.error ? `: ${m.error}` : ''})`)
    console.log(`  child RSS baseline ${mb(m.baseline)}, peak ${mb(m.peak)}, rise ${mb(m.peak - m.baseline)}  (goal ≤ 64 MB; file/rise ratio ${(size / Math.max(1, m.peak - m.baseline)).toFixed(1)}×)`)
  } finally {
    sink.close()
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const childAt = args.indexOf('--upload-child')
  if (childAt >= 0) return uploadChild(args[childAt + 1]!, args[childAt + 2]!)
  const dir = mkdtempSync(join(tmpdir(), 'pixdesk-bench-'))
  try {
    await editsBenchmark(dir)
    await memoryBenchmark(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  }
)
