import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Channel, Envelope, Payload, Result } from '../../shared/contract'
import type { RecordOutput } from '../../shared/records'
import type { AssetView, LibraryChange } from '../../shared/views'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'
import { makeRecord } from '../support/history-fixtures'

/** What the window may name on disk: only what the user handed over, and nothing a link leads out to. */
describe('paths from the window are grants', () => {
  let home: string
  let shoot: string
  let outside: string
  let exports: string
  let services: Services
  let renderer: RendererConnection
  const assets = new Map<string, AssetView>()

  const send = (channel: Channel, payload: unknown): Promise<Envelope> => renderer.dispatch(channel, payload)
  async function call<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>> {
    const envelope = await send(channel, payload)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as Result<C>
  }
  const refusedPath = { ok: false, error: { code: 'validation', field: 'path' } }
  const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex')

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pixdesk-authority-paths-'))
    shoot = join(home, 'shoot')
    outside = join(home, 'outside')
    exports = join(shoot, 'exports')
    await mkdir(exports, { recursive: true })
    await mkdir(outside)
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c04020' } }).png().toFile(join(shoot, 'red.png'))
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2040c0' } }).png().toFile(join(outside, 'secret.png'))
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#20c040' } }).png().toFile(join(shoot, 'swap.png'))
    await symlink(outside, join(shoot, 'escape'))
    await symlink(join(outside, 'secret.png'), join(shoot, 'leak.png'))
    services = await createServices({ paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') }, env: {}, watchFolders: false })
    renderer = connectRenderer(services)
    renderer.onEvent((event, payload) => {
      if (event === 'library.changed') for (const a of (payload as LibraryChange).upserted) assets.set(a.name, a)
    })
  })

  afterAll(async () => {
    await services.dispose()
    await rm(home, { recursive: true, force: true })
  })

  it('imports only what the user handed over, never a raw, relative, traversing or linked-out path', async () => {
    for (const path of [outside, join(outside, 'secret.png'), '/etc/passwd', 'shoot', './shoot', '../outside']) {
      expect(await send('library.import', { paths: [path] }), path).toMatchObject(refusedPath)
    }
    await renderer.grantDropped([shoot])
    const roots = await call('library.import', { paths: [shoot] })
    expect(roots.map((r) => r.path)).toContain(shoot)
    await expect.poll(() => assets.has('red.png') && assets.has('swap.png'), { timeout: 20_000 }).toBe(true)
    // Inside the imported folder is fine; out of it by `..` or by a link is not.
    expect(await send('library.import', { paths: [join(shoot, 'red.png')] })).toMatchObject({ ok: true })
    for (const path of [join(shoot, '..', 'outside'), join(shoot, 'escape'), join(shoot, 'escape', 'secret.png'), join(shoot, 'leak.png')]) {
      expect(await send('library.import', { paths: [path] }), path).toMatchObject(refusedPath)
    }
  })

  it('never serves a file a link leads out of the library to', async () => {
    // A link inside the imported folder is not listed; a file swapped for a link afterwards is not served.
    expect(assets.has('leak.png')).toBe(false)
    const swap = assets.get('swap.png')!
    expect((await renderer.handleAsset(new Request(swap.originalUrl!))).status).toBe(200)
    await rm(join(shoot, 'swap.png'))
    await symlink(join(outside, 'secret.png'), join(shoot, 'swap.png'))
    expect((await renderer.handleAsset(new Request(swap.originalUrl!))).status).toBeGreaterThanOrEqual(400)
    const probe = await renderer.handleAsset(new Request(`${renderer.assetBaseUrl}original/..%2f..%2foutside%2fsecret.png`))
    expect(probe.status).toBeGreaterThanOrEqual(400)
    const record = makeRecord({ id: 'served-outside', outputs: [await outputAt(join(outside, 'secret.png'))] })
    await services.history.append(record)
    expect((await renderer.handleAsset(new Request(`${renderer.assetBaseUrl}output/served-outside/0`))).status).toBeGreaterThanOrEqual(400)
  })

  it('writes outputs only into a folder inside the library or chosen by the user', async () => {
    const red = assets.get('red.png')!
    const spec = { assetIds: [red.id], prompt: 'Brighter', models: ['gemini-2.5-flash-image'] }
    for (const outputDir of [join(home, 'elsewhere'), 'out', './out', join(shoot, '..', 'outside'), join(shoot, 'escape', 'sub'), '/tmp']) {
      expect(await send('jobs.estimate', { ...spec, outputDir }), outputDir).toMatchObject(refusedPath)
      expect(await send('jobs.start', { ...spec, outputDir }), outputDir).toMatchObject(refusedPath)
      expect(await send('settings.update', { patch: { output: { folderMode: 'custom', customFolder: outputDir } } }), outputDir).toMatchObject(refusedPath)
    }
    await expect(stat(join(home, 'elsewhere'))).rejects.toThrow(/ENOENT/)
    expect(await send('jobs.estimate', { ...spec, outputDir: join(shoot, 'new-exports') })).toMatchObject({ ok: true })
    const settings = await call('settings.update', { patch: { output: { folderMode: 'custom', customFolder: exports } } })
    expect(settings.output.customFolder).toBe(exports)
  })

  it('deletes only outputs still inside an output folder with their recorded hash, and says why it left the rest', async () => {
    const good = join(exports, 'good.png')
    const changed = join(exports, 'changed.png')
    const link = join(exports, 'link.png')
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).png().toFile(good)
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0000ff' } }).png().toFile(changed)
    await symlink(join(outside, 'secret.png'), link)
    const secret = join(outside, 'secret.png')
    const records = {
      good: [await outputAt(good)],
      outside: [await outputAt(secret)],
      changed: [{ ...(await outputAt(changed)), sha256: 'f'.repeat(64) }],
      link: [await outputAt(link)],
      relative: [{ ...(await outputAt(secret)), path: 'outside/secret.png' }],
      traversal: [{ ...(await outputAt(secret)), path: join(exports, '..', '..', 'outside', 'secret.png') }]
    }
    for (const [id, outputs] of Object.entries(records)) await services.history.append(makeRecord({ id, outputs }))

    expect(await call('history.delete', { id: 'good', deleteFiles: true })).toMatchObject({ filesDeleted: [good], filesFailed: [] })
    await expect(stat(good)).rejects.toThrow(/ENOENT/)
    const reasons: Record<string, RegExp> = {
      outside: /not inside an output folder/,
      changed: /contents changed/,
      link: /link/,
      relative: /relative path/,
      traversal: /not inside an output folder/
    }
    for (const [id, reason] of Object.entries(reasons)) {
      const result = await call('history.delete', { id, deleteFiles: true })
      expect(result.filesDeleted, id).toEqual([])
      expect(result.filesFailed[0]?.reason, id).toMatch(reason)
    }
    for (const path of [secret, changed, link]) await expect(stat(path), path).resolves.toBeTruthy()
  })

  async function outputAt(path: string): Promise<RecordOutput> {
    return { path, sha256: await sha256(path), bytes: 1, width: 8, height: 8, format: 'png' }
  }
})
