import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Channel, Envelope, Payload, Result } from '../../shared/contract'
import type { AssetView, BatchView, LibraryChange } from '../../shared/views'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'

/** Version chains through the IPC contract: continue from a version, read the chain, refuse what cannot run. */
describe('history.lineage and jobs.continueFrom (sandbox)', () => {
  let home: string
  let services: Services
  let renderer: RendererConnection
  const assets = new Map<string, AssetView>()
  const batches = new Map<string, BatchView>()

  async function call<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>> {
    const envelope = await renderer.dispatch(channel, payload)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as Result<C>
  }
  const refusal = async (channel: Channel, payload: unknown) => {
    const envelope: Envelope = await renderer.dispatch(channel, payload)
    if (envelope.ok) throw new Error(`${channel} was accepted`)
    return envelope.error
  }
  /** Runs a batch to its end and gives back its one item's record id. */
  async function finished(batch: { id: string }): Promise<string> {
    await expect.poll(() => batches.get(batch.id)?.state, { timeout: 60_000 }).toBe('done')
    const detail = await call('jobs.get', { batchId: batch.id })
    expect(detail.items[0]?.state).toBe('done')
    return detail.items[0]!.recordId!
  }

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pixdesk-ipc-lineage-'))
    services = await createServices({ paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') }, env: {}, watchFolders: false })
    renderer = connectRenderer(services)
    renderer.onEvent((event, payload) => {
      if (event === 'library.changed') for (const a of (payload as LibraryChange).upserted) assets.set(a.name, a)
      if (event === 'jobs.batch') batches.set((payload as BatchView).id, payload as BatchView)
    })
    await call('settings.update', { patch: { provider: { sandbox: true } } })
    const folder = join(home, 'shoot')
    await mkdir(folder)
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c04020' } }).jpeg().toFile(join(folder, 'product.jpg'))
    await renderer.grantDropped([folder])
    await call('library.import', { paths: [folder] })
    await vi.waitFor(() => expect(assets.size).toBe(1), { timeout: 20_000, interval: 50 })
  })

  afterAll(async () => {
    await services.dispose()
    await rm(home, { recursive: true, force: true })
  })

  it('continues from versions, branches, reads the chain back with its cost, and refuses unknown records and missing files without sending', async () => {
    const model = 'gemini-2.5-flash-image'
    const first = await finished(await call('jobs.start', { assetIds: [assets.get('product.jpg')!.id], prompt: 'white background', models: [model], duplicates: 'run' }))
    const second = await finished(await call('jobs.continueFrom', { recordId: first, outputIndex: 0, prompt: 'add a soft shadow', model }))
    const third = await finished(await call('jobs.continueFrom', { recordId: second, outputIndex: 0, prompt: 'warmer light', model }))
    const branch = await finished(await call('jobs.continueFrom', { recordId: first, outputIndex: 0, prompt: 'grey background', model }))

    const lineage = await call('history.lineage', { recordId: third })
    expect(lineage.focusId).toBe(third)
    expect(lineage.versions.map((v) => [v.recordId, v.depth, v.parent?.recordId])).toEqual([
      [first, 0, undefined],
      [second, 1, first],
      [third, 2, second],
      [branch, 1, first]
    ])
    expect(lineage.credits).toBe(lineage.versions.reduce((sum, v) => sum + v.credits, 0))
    expect(lineage.credits).toBeGreaterThan(0)
    expect(lineage.versions[0]!.input.url).toMatch(/original\//)
    expect(lineage.versions[2]!.input.url).toBe(lineage.versions[1]!.outputs[0]!.url)
    const served = await renderer.handleAsset(new Request(lineage.versions[2]!.outputs[0]!.url!))
    expect(served.status).toBe(200)

    const batchesBefore = (await call('jobs.list', {})).length
    const recordsBefore = (await call('history.query', {})).total

    const unknown = await refusal('jobs.continueFrom', { recordId: 'no-such-record', outputIndex: 0, prompt: 'again', model })
    expect(unknown).toMatchObject({ code: 'not_found', field: 'recordId' })
    const outOfRange = await refusal('jobs.continueFrom', { recordId: first, outputIndex: 3, prompt: 'again', model })
    expect(outOfRange).toMatchObject({ code: 'validation', field: 'parent' })
    // The window names versions, never files.
    const withPath = await refusal('jobs.continueFrom', { recordId: first, outputIndex: 0, prompt: 'again', model, path: '/etc/passwd' })
    expect(withPath.code).toBe('validation')
    expect((await refusal('jobs.continueFrom', { recordId: first, outputIndex: -1, prompt: 'again', model })).field).toBe('outputIndex')
    expect((await refusal('jobs.continueFrom', { recordId: first, outputIndex: 0, prompt: ' ', model })).field).toBe('prompt')

    // A version whose file is gone stays in the chain, flagged, and cannot be continued from.
    const secondRecord = await services.history.get(second)
    await rm(secondRecord!.outputs[0]!.path)
    const missing = await refusal('jobs.continueFrom', { recordId: second, outputIndex: 0, prompt: 'again', model })
    expect(missing.code).toBe('not_found_file')
    expect(missing.message).toContain(secondRecord!.requestIds.at(-1)!)
    const after = await call('history.lineage', { recordId: branch })
    expect(after.versions).toHaveLength(4)
    expect(after.versions.find((v) => v.recordId === second)!.outputs[0]).toMatchObject({ missing: true, url: null })
    expect(after.versions.find((v) => v.recordId === third)!.input.url).toBeNull()

    expect((await call('jobs.list', {})).length).toBe(batchesBefore)
    expect((await call('history.query', {})).total).toBe(recordsBefore)
    expect((await refusal('history.lineage', { recordId: 'no-such-record' })).code).toBe('not_found')
  }, 120_000)
})
