import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bundledCatalog } from '../../electron/core/catalog'
import { openHistory, type History } from '../../electron/core/history/history'
import type { JobEngine } from '../../electron/core/jobs/engine'
import { openJobEngine, type OpenJobsOptions } from '../../electron/core/jobs/pipeline'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import type { BatchSpec } from '../../electron/core/jobs/model'
import { defaultSettings, type Settings } from '../../shared/settings'
import { makeImages, waitFor } from '../support/jobs-fixtures'

/**
 * The shared pipeline's inputs and routing as commands use them: web and data inputs sent as such,
 * a base URL and key given for the run only, and a folder for outputs that have no source file.
 */

const NANO = { model: 'gemini-2.5-flash-image', provider: 'pixapi' as const }

let dir: string
let sandbox: Sandbox
let images: Server | undefined
const opened: Array<{ engine: JobEngine; history: History }> = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-jobs-inputs-'))
  sandbox = await startSandbox()
})
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.engine.close()
    await o.history.close()
  }
  await sandbox.close()
  await new Promise<void>((r) => (images ? images.close(() => r()) : r()))
  images = undefined
  await rm(dir, { recursive: true, force: true })
})

async function open(settings: Settings, extra: Partial<OpenJobsOptions> = {}) {
  const dataDir = join(dir, 'data')
  const history = openHistory(dataDir)
  const { engine } = await openJobEngine({
    dataDir,
    catalog: bundledCatalog(),
    history,
    getKey: async () => null,
    settings: () => settings,
    sandboxUrl: () => undefined,
    backoff: { baseMs: 20, maxMs: 200, jitterMs: 10 },
    probe: { baseMs: 50, maxMs: 400 },
    timeouts: { pollIntervalMs: 20, pollMaxIntervalMs: 50, connectMs: 2000 },
    ...extra
  })
  opened.push({ engine, history })
  return { engine, history }
}

async function run(engine: JobEngine, spec: BatchSpec) {
  const { id } = await engine.createBatch(spec)
  await waitFor(engine, () => ['done', 'cancelled'].includes(engine.get(id).state))
  return engine.get(id)
}

/** Serves one file over loopback http, as a studio's local image server would. */
async function serve(bytes: Buffer): Promise<string> {
  images = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length })
    res.end(bytes)
  })
  await new Promise<void>((r) => images!.listen(0, '127.0.0.1', () => r()))
  return `http://127.0.0.1:${(images.address() as AddressInfo).port}/shots/red.png`
}

const sandboxSettings = (output: Partial<Settings['output']> = {}): Settings => ({
  ...defaultSettings,
  provider: { ...defaultSettings.provider, sandbox: true },
  output: { ...defaultSettings.output, ...output }
})

describe('web and data inputs', () => {
  it('sends them as a URL and as data, writes outputs to the fallback folder, and guards against repeats by address and by content', async () => {
    const [file] = await makeImages(join(dir, 'in'), 1)
    const bytes = await readFile(file!)
    const url = await serve(bytes)
    const dataUrl = `data:image/png;base64,${bytes.toString('base64')}`
    const fallback = join(dir, 'generated')
    const { engine, history } = await open(sandboxSettings({ namingTemplate: '{batch}_{provider}_{index}' }), {
      baseUrl: () => sandbox.url,
      fallbackOutputDir: fallback
    })

    const done = await run(engine, { name: 'web shots', files: [{ url }, { dataUrl }], prompt: 'White background', models: [NANO], sandbox: true })
    expect(done.counts).toMatchObject({ total: 2, done: 2, failed: 0 })
    const submitted = sandbox.stats().submissions
    expect(submitted).toHaveLength(2)

    const [byUrl, byData] = done.items
    // Labels people can read; the data itself is not repeated in lists.
    expect(byUrl!.snapshot.inputs[0]!.path).toBe(url)
    expect(byData!.snapshot.inputs[0]!.path).toMatch(/^data:image\/png \(\d+ KB\)$/)
    for (const item of [byUrl!, byData!]) {
      const output = item.outputs[0]!.path
      expect(dirname(output)).toBe(fallback)
      expect(basename(output)).toMatch(/^web shots_pixapi_1\.png$|^web shots_pixapi_1-\d+\.png$/)
    }
    expect((await readdir(fallback)).filter((f) => f.endsWith('.png'))).toHaveLength(2)

    const urlRecord = await history.get(byUrl!.recordIds.at(-1)!)
    expect(urlRecord?.inputs[0]).toMatchObject({ source: 'url', url })
    const dataRecord = await history.get(byData!.recordIds.at(-1)!)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    expect(dataRecord?.inputs[0]).toMatchObject({ source: 'data', sha256 })

    // The same address, and the same picture given as a file, are the requests already paid for.
    const again = await run(engine, { files: [{ url }, { path: file! }], prompt: 'White background', models: [NANO], sandbox: true, duplicates: 'skip' })
    expect(again.items.map((i) => i.duplicateOf?.recordId)).toEqual([urlRecord!.id, dataRecord!.id])
    expect(sandbox.stats().submissions).toHaveLength(2)
  })

  it('refuses plain http to another computer and reads web inputs saved by older versions as web inputs', async () => {
    const { engine } = await open(sandboxSettings(), { baseUrl: () => sandbox.url })
    await expect(engine.createBatch({ files: [{ url: 'http://images.example.com/a.png' }], prompt: 'x', models: [NANO], sandbox: true })).rejects.toThrow(
      /https URL/
    )
    const { itemSnapshotSchema } = await import('../../electron/core/jobs/model')
    const old = itemSnapshotSchema.parse({
      kind: 'edit',
      inputs: [{ path: 'https://cdn.example.com/a.png' }, { path: 'data:image/png;base64,iVBORw0KGgo=' }, { path: '/photos/a.png' }],
      model: NANO.model,
      provider: 'pixapi',
      route: 'sync',
      prompt: 'x',
      params: { n: 1 }
    })
    expect(old.inputs).toEqual([
      { url: 'https://cdn.example.com/a.png', path: 'https://cdn.example.com/a.png' },
      { dataUrl: 'data:image/png;base64,iVBORw0KGgo=', path: 'data:image/png (1 KB)' },
      { path: '/photos/a.png' }
    ])
  })
})

describe('per-run routing', () => {
  it('sends real (non-sandbox) items to the base URL and with the key given for the run, leaving the settings alone', async () => {
    const keyed = await startSandbox({ apiKey: 'sk_run_only_key_000000' })
    try {
      const settings: Settings = { ...defaultSettings, provider: { ...defaultSettings.provider, baseUrls: { ...defaultSettings.provider.baseUrls, pixapi: 'https://api.invalid' } } }
      const before = JSON.stringify(settings)
      const [file] = await makeImages(join(dir, 'in'), 1)
      const { engine } = await open(settings, {
        baseUrl: (provider) => (provider === 'pixapi' ? keyed.url : undefined),
        apiKey: (provider) => (provider === 'pixapi' ? { value: 'sk_run_only_key_000000', origin: new URL(keyed.url).origin } : undefined)
      })
      const done = await run(engine, { files: [{ path: file! }], prompt: 'Soft shadow', models: [NANO], duplicates: 'run' })
      expect(done.counts, JSON.stringify(done.items[0]?.error)).toMatchObject({ done: 1 })
      expect(keyed.stats().submissions.map((s) => s.status)).toEqual([200])
      expect(JSON.stringify(settings)).toBe(before)
      // Beside the source file, as always when there is one.
      expect(dirname(done.items[0]!.outputs[0]!.path)).toBe(join(dir, 'in', 'pixdesk'))
    } finally {
      await keyed.close()
    }
  })
})
