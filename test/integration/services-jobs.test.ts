import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Channel, Payload, Result } from '../../shared/contract'
import type { AssetView, BatchView, ItemView, LibraryChange } from '../../shared/views'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'
import type { Dispatch } from '../../electron/ipc/dispatch'

/** Batches and comparisons through the IPC contract, against the built-in sandbox. */
describe('jobs behind the IPC contract (sandbox)', () => {
  let home: string
  let services: Services
  let renderer: RendererConnection
  let dispatch: Dispatch
  const assets = new Map<string, AssetView>()
  const batches = new Map<string, BatchView>()
  const items = new Map<string, ItemView>()
  const originals = new Map<string, Buffer>()

  async function call<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>> {
    const envelope = await dispatch(channel, payload)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as Result<C>
  }

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pixdesk-services-jobs-'))
    services = await createServices({ paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') }, env: {}, watchFolders: false })
    renderer = connectRenderer(services)
    dispatch = renderer.dispatch
    renderer.onEvent((event, payload) => {
      if (event === 'library.changed') for (const a of (payload as LibraryChange).upserted) assets.set(a.name, a)
      if (event === 'jobs.batch') batches.set((payload as BatchView).id, payload as BatchView)
      if (event === 'jobs.item') items.set((payload as ItemView).id, payload as ItemView)
    })
    await call('settings.update', { patch: { provider: { sandbox: true } } })

    const folder = join(home, 'shoot')
    await mkdir(folder)
    const colours = ['#c04020', '#20a040', '#2040c0']
    for (const [i, colour] of colours.entries()) {
      const file = join(folder, `product-${i}.jpg`)
      await sharp({ create: { width: 800, height: 600, channels: 3, background: colour } }).jpeg().toFile(file)
      originals.set(file, await readFile(file))
    }
    await renderer.grantDropped([folder])
    await call('library.import', { paths: [folder] })
    await vi.waitFor(() => expect(assets.size).toBe(3), { timeout: 20_000, interval: 50 })
  })

  afterAll(async () => {
    await services.dispose()
    await rm(home, { recursive: true, force: true })
  })

  it('estimates, runs a batch to the end, records every request and leaves originals untouched', async () => {
    const assetIds = [...assets.values()].map((a) => a.id)
    const spec = { assetIds, prompt: 'Replace the background with soft studio grey', models: ['gemini-2.5-flash-image'] }
    const estimate = await call('jobs.estimate', spec)
    expect(estimate).toMatchObject({ items: 3, total: 6, unpriced: [] })

    const started = await call('jobs.start', spec)
    expect(started.items).toHaveLength(3)
    await expect.poll(() => batches.get(started.id)?.state, { timeout: 60_000 }).toBe('done')
    const detail = await call('jobs.get', { batchId: started.id })
    expect(detail.counts).toMatchObject({ total: 3, done: 3, failed: 0 })
    for (const item of detail.items) {
      expect(item.state).toBe('done')
      expect(item.requestId).toBeTruthy()
      const output = await renderer.handleAsset(new Request(item.outputs[0]!.url!))
      expect(output.status).toBe(200)
      expect((await sharp(Buffer.from(await output.arrayBuffer())).metadata()).format).toBeDefined()
    }
    const history = await call('history.query', { batchId: started.id })
    expect(history.total).toBe(3)
    expect(history.items.every((h) => h.status === 'succeeded' && h.sandbox)).toBe(true)
    for (const [file, bytes] of originals) expect((await readFile(file)).equals(bytes)).toBe(true)

    // Running the same thing again is flagged before anything is spent.
    const again = await call('jobs.estimate', spec)
    expect(again.duplicates).toHaveLength(3)
  })

  it('compares two models on one image, each with its own params, and stores the verdict in the history', async () => {
    const asset = [...assets.values()][0]!
    const spec = {
      assetIds: [asset.id],
      prompt: 'Relight as a warm sunset packshot',
      models: ['gemini-3-pro-image-preview', 'gpt-image-1.5'],
      params: { n: 1, size: '1024x1024' },
      // GPT alone takes a quality; without it the GPT arm would be priced (and run) at high.
      paramsByModel: { 'gpt-image-1.5': { quality: 'low' }, 'gemini-3-pro-image-preview': { aspectRatio: '4:5' } },
      compare: true,
      duplicates: 'run' as const
    }
    const estimate = await call('jobs.estimate', spec)
    expect(estimate.perModel).toEqual([
      expect.objectContaining({ model: 'gemini-3-pro-image-preview', perItem: 8 }),
      expect.objectContaining({ model: 'gpt-image-1.5', perItem: 1 })
    ])
    const started = await call('jobs.start', spec)
    expect(started.kind).toBe('compare')
    expect(started.items.map((i) => [i.model, i.estimate])).toEqual([
      ['gemini-3-pro-image-preview', 8],
      ['gpt-image-1.5', 1]
    ])
    expect(started.compareGroup).toBeTruthy()
    await expect.poll(() => batches.get(started.id)?.state, { timeout: 60_000 }).toBe('done')
    const detail = await call('jobs.get', { batchId: started.id })
    const [a, b] = detail.items
    expect(a!.latencyMs).toBeGreaterThan(0)
    expect(b!.charged).not.toBeNull()

    await call('compare.verdict', { compareGroup: started.compareGroup!, verdict: 'pick', pickedRecordId: b!.recordId })
    const entries = await call('history.query', { compareGroup: started.compareGroup! })
    expect(entries.items).toHaveLength(2)
    const records = await Promise.all(entries.items.map((e) => services.history.get(e.id)))
    const byModel = Object.fromEntries(records.map((r) => [r!.model, r!.params]))
    expect(byModel['gpt-image-1.5']).toEqual({ n: 1, size: '1024x1024', quality: 'low' })
    expect(byModel['gemini-3-pro-image-preview']).toEqual({ n: 1, size: '1024x1024', aspectRatio: '4:5' })
    expect(entries.items.find((e) => e.id === b!.recordId)).toMatchObject({ verdict: 'pick', picked: true })
  })

  it('refuses a batch over an image that cannot be sent, before queuing anything', async () => {
    const result = await dispatch('jobs.start', { assetIds: ['no-such-asset'], prompt: 'x', models: ['gpt-image-1.5'] })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatchObject({ code: 'validation', field: 'assetIds.0' })
  })
})
