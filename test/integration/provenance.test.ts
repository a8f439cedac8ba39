import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Channel, Payload, Result } from '../../shared/contract'
import type { HistoryItem } from '../../shared/history'
import type { SettingsPatch } from '../../shared/settings'
import type { AssetView, BatchView } from '../../shared/views'
import { createServices, type Services } from '../../electron/core/services'
import { readContentCredentials, type C2paFormat } from '../../electron/core/provenance/c2pa'
import type { FaultPlan } from '../../electron/core/sandbox/faults'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'

const run = promisify(execFile)
const EDITED = 'http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia'
const GENERATED = 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia'

/** Every tag ExifTool reads from a file, by group and name ("XMP-iptcExt:DigitalSourceType"). */
async function exiftool(path: string): Promise<Record<string, unknown>> {
  const { stdout } = await run('exiftool', ['-j', '-a', '-G1', path])
  return (JSON.parse(stdout) as Array<Record<string, unknown>>)[0] ?? {}
}

/**
 * What every output carries, read back from files made through the real jobs path against the sandbox:
 * the AI label (XMP), Content Credentials, the source's EXIF when asked for, and the size check.
 */
describe('provenance and delivered size of outputs (sandbox, real jobs path)', () => {
  let home: string
  let services: Services
  let renderer: RendererConnection
  let source: string
  let sourceBytes: Buffer
  const assets = new Map<string, AssetView>()
  const batches = new Map<string, BatchView>()

  async function call<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>> {
    const envelope = await renderer.dispatch(channel, payload)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as Result<C>
  }

  async function sandboxFaults(plan: FaultPlan): Promise<void> {
    const url = services.sandbox.url()
    if (!url) throw new Error('the sandbox is not running')
    const res = await fetch(`${url}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(plan) })
    expect(res.status).toBe(200)
  }

  async function settings(patch: SettingsPatch): Promise<void> {
    await call('settings.update', { patch })
  }

  /** Runs one batch to its end and returns its history record. */
  async function runOne(spec: Payload<'jobs.start'>): Promise<HistoryItem> {
    const started = await call('jobs.start', { duplicates: 'run', ...spec })
    await expect.poll(() => batches.get(started.id)?.state, { timeout: 60_000 }).toBe('done')
    const page = await services.history.query({ batchId: started.id })
    expect(page.items).toHaveLength(1)
    const record = page.items[0]!
    expect(record.status).toBe('succeeded')
    return record
  }

  const edit = (prompt: string, extra: Partial<Payload<'jobs.start'>> = {}) =>
    runOne({ assetIds: [assets.get('client-shoot.jpg')!.id], prompt, models: ['gemini-3-pro-image'], ...extra })

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pixdesk-provenance-'))
    services = await createServices({ paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') }, env: {}, watchFolders: false })
    renderer = connectRenderer(services)
    renderer.onEvent((event, payload) => {
      if (event === 'library.changed') for (const a of (payload as { upserted: AssetView[] }).upserted) assets.set(a.name, a)
      if (event === 'jobs.batch') batches.set((payload as BatchView).id, payload as BatchView)
    })
    await settings({ provider: { sandbox: true } })
    const folder = join(home, 'shoot')
    await mkdir(folder)
    source = join(folder, 'client-shoot.jpg')
    await sharp({ create: { width: 900, height: 600, channels: 3, background: '#b05a30' } })
      .withExif({
        IFD0: { Make: 'Canon', Model: 'EOS R5', Copyright: '(c) Studio North', ImageDescription: 'Mug on oak table', Orientation: '1' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '59/1 54/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '10/1 45/1 0/1' }
      })
      .jpeg()
      .toFile(source)
    sourceBytes = await readFile(source)
    await renderer.grantDropped([folder])
    await call('library.import', { paths: [folder] })
    await vi.waitFor(() => expect(assets.get('client-shoot.jpg')).toBeDefined(), { timeout: 20_000, interval: 50 })
  }, 60_000)

  afterAll(async () => {
    await services.dispose()
    await rm(home, { recursive: true, force: true })
  })

  for (const format of ['png', 'jpeg', 'webp'] as const) {
    it(`labels a ${format.toUpperCase()} edit as AI-made in XMP and signs Content Credentials with the source as ingredient`, async () => {
      await sandboxFaults({ answerFormat: format })
      const record = await edit(`Warm studio light, ${format} answer`)
      const output = record.outputs[0]!
      expect(output.format).toBe(format)
      expect(output.contentCredentials).toEqual({ signed: true })
      const tags = await exiftool(output.path)
      expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(EDITED)
      expect(tags['XMP-pixdesk:Model']).toBe('gemini-3-pro-image')
      expect(tags['XMP-pixdesk:Provider']).toBe('pixapi')
      expect(tags['XMP-pixdesk:RequestId']).toBe(record.requestIds.at(-1))
      expect(tags['XMP-pixdesk:RecordId']).toBe(record.id)
      expect(tags.Warning).toBeUndefined()

      const credentials = await readContentCredentials(await readFile(output.path), format as C2paFormat)
      expect(credentials?.failures).toEqual([])
      const manifest = credentials!.manifest as { ingredients: Array<{ title: string; relationship: string }>; assertions: Array<{ label: string; data: unknown }> }
      expect(manifest.ingredients).toEqual([expect.objectContaining({ title: 'client-shoot.jpg', relationship: 'parentOf' })])
      const actions = (manifest.assertions.find((a) => a.label === 'c2pa.actions.v2')?.data as { actions: Array<Record<string, unknown>> }).actions
      expect(actions).toContainEqual(expect.objectContaining({ action: 'c2pa.edited', digitalSourceType: EDITED, softwareAgent: expect.objectContaining({ name: 'gemini-3-pro-image' }) }))
      expect(await readFile(source)).toEqual(sourceBytes)
    }, 60_000)
  }

  it('labels a generation as trainedAlgorithmicMedia, and an edit of a version with its parent request', async () => {
    await sandboxFaults({})
    const generated = await runOne({ kind: 'generate', prompt: 'A ceramic mug on white', models: ['gemini-3-pro-image'] })
    const tags = await exiftool(generated.outputs[0]!.path)
    expect(tags['XMP-iptcExt:DigitalSourceType']).toBe(GENERATED)
    expect(tags['XMP-pixdesk:Kind']).toBe('generate')

    const started = await call('jobs.continueFrom', { recordId: generated.id, outputIndex: 0, prompt: 'Now on oak', model: 'gemini-3-pro-image' })
    await expect.poll(() => batches.get(started.id)?.state, { timeout: 60_000 }).toBe('done')
    const child = (await services.history.query({ batchId: started.id })).items[0]!
    const childTags = await exiftool(child.outputs[0]!.path)
    expect(childTags['XMP-iptcExt:DigitalSourceType']).toBe(EDITED)
    expect(childTags['XMP-pixdesk:ParentRequestId']).toBe(generated.requestIds.at(-1))
  }, 90_000)

  it("copies the source's camera, copyright and caption only when asked, and its GPS position only when allowed", async () => {
    await sandboxFaults({ answerFormat: 'jpeg' })
    const off = await exiftool((await edit('EXIF off')).outputs[0]!.path)
    expect(off['IFD0:Make']).toBeUndefined()
    expect(off['IFD0:Copyright']).toBeUndefined()

    await settings({ output: { copySourceExif: true } })
    const on = await edit('EXIF on')
    expect(on.outputs[0]!.sourceExifCopied).toBe(true)
    const copied = await exiftool(on.outputs[0]!.path)
    expect(copied).toMatchObject({ 'IFD0:Make': 'Canon', 'IFD0:Model': 'EOS R5', 'IFD0:Copyright': '(c) Studio North', 'IFD0:ImageDescription': 'Mug on oak table' })
    expect(Object.keys(copied).filter((k) => k.startsWith('GPS:'))).toEqual([])
    expect(copied['IFD0:Orientation']).toBeUndefined()
    expect(copied['XMP-iptcExt:DigitalSourceType']).toBe(EDITED)

    await settings({ output: { copySourceGps: true } })
    const withGps = await exiftool((await edit('EXIF with GPS')).outputs[0]!.path)
    expect(withGps['GPS:GPSLatitudeRef']).toBe('North')
    expect(String(withGps['GPS:GPSLatitude'])).toContain('59 deg 54')
    await settings({ output: { copySourceExif: false, copySourceGps: false } })
  }, 90_000)

  it('still labels every output in XMP when Content Credentials are turned off', async () => {
    await sandboxFaults({ answerFormat: 'webp' })
    await settings({ output: { contentCredentials: false } })
    const record = await edit('No credentials')
    expect(record.outputs[0]!.contentCredentials).toBeUndefined()
    const bytes = await readFile(record.outputs[0]!.path)
    expect(await readContentCredentials(bytes, 'webp')).toBeNull()
    expect((await exiftool(record.outputs[0]!.path))['XMP-iptcExt:DigitalSourceType']).toBe(EDITED)
    await settings({ output: { contentCredentials: true } })
  }, 60_000)

  it('records a smaller result than asked, counts it per model, and finishes it to the exact size when set to', async () => {
    await sandboxFaults({ queue: [{ kind: 'small_output', scale: 0.5 }] })
    const kept = await edit('Asked 2K square', { params: { n: 1, size: '2048x2048' } })
    expect(kept.outputs[0]).toMatchObject({ width: 1024, height: 1024, sizeMismatch: { asked: '2048×2048 (2K, 1:1)', got: '1024×1024', delivered: { width: 1024, height: 1024 }, finished: false } })

    await sandboxFaults({})
    const matching = await edit('Asked 2K square, delivered', { params: { n: 1, size: '2048x2048' } })
    expect(matching.outputs[0]).toMatchObject({ width: 2048, height: 2048 })
    expect(matching.outputs[0]!.sizeMismatch).toBeUndefined()

    await settings({ output: { sizeMismatch: 'finish' } })
    await sandboxFaults({ queue: [{ kind: 'small_output', scale: 0.5 }], answerFormat: 'jpeg' })
    const finished = await edit('Asked 2K square, finished', { params: { n: 1, size: '2048x2048' } })
    const output = finished.outputs[0]!
    expect(output).toMatchObject({ width: 2048, height: 2048, sizeMismatch: { got: '1024×1024', finished: true } })
    const onDisk = await sharp(output.path).metadata()
    expect([onDisk.width, onDisk.height]).toEqual([2048, 2048])
    expect((await exiftool(output.path))['XMP-iptcExt:DigitalSourceType']).toBe(EDITED)
    await settings({ output: { sizeMismatch: 'keep' } })

    const other = await runOne({ assetIds: [assets.get('client-shoot.jpg')!.id], prompt: 'Other model', models: ['gpt-image-2'], params: { n: 1, size: '1024x1024' } })
    expect(other.outputs[0]!.sizeMismatch).toBeUndefined()
    const totals = await call('history.totals', { by: 'model' })
    const row = (model: string) => totals.rows.find((r) => r.key === model)
    expect(row('gemini-3-pro-image')?.sizeMismatches).toBe(2)
    expect(row('gpt-image-2')?.sizeMismatches).toBe(0)
    expect(totals.overall.sizeMismatches).toBe(2)

    const view = await call('history.query', { batchId: finished.batchId })
    expect(view.items[0]!.outputs[0]!.sizeMismatch).toEqual({ asked: '2048×2048 (2K, 1:1)', got: '1024×1024', finished: true })
  }, 120_000)
})
