import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Channel, Payload, Result } from '../../shared/contract'
import type { RequestRecord } from '../../shared/records'
import type { AssetView, LibraryChange } from '../../shared/views'
import { createKeychain } from '../../electron/core/keychain'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'
import type { Dispatch } from '../../electron/ipc/dispatch'
import { startFakeOpenAI } from '../support/fake-openai'
import { requirePrivateSecretService } from '../support/keyring'

/** The IPC handlers end to end: the same calls the renderer makes, against the real services. */
describe('services behind the IPC contract', () => {
  let home: string
  let services: Services
  let renderer: RendererConnection
  let dispatch: Dispatch
  const saves: (string | null)[] = []
  const testKey = `sk_live_services_test_${process.pid}_abcdefgh1234`

  async function call<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>> {
    const envelope = await dispatch(channel, payload)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as Result<C>
  }

  beforeAll(async () => {
    requirePrivateSecretService()
    home = await mkdtemp(join(tmpdir(), 'pixdesk-services-'))
    services = await createServices({
      paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') },
      env: { HOME: process.env.HOME, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS },
      // Its own keychain entries: the CLI's tests use the app's "Pixdesk" ones in the same test keyring.
      keychain: createKeychain({ env: {}, service: 'Pixdesk tests (services)' }),
      dialogs: {
        openDirectories: async () => [],
        openFiles: async () => [],
        saveFile: async () => saves.shift() ?? null,
        reveal: async () => undefined,
        confirm: async () => false,
        copyText: async () => undefined
      }
    })
    renderer = connectRenderer(services)
    dispatch = renderer.dispatch
  })

  afterAll(async () => {
    await dispatch('keys.delete', { provider: 'openai' })
    await services.dispose()
    // No file the app wrote may contain the key, whatever the test did.
    for (const file of await walk(join(home, 'data'))) {
      expect(await readFile(file, 'utf8'), file).not.toContain(testKey)
    }
    await rm(home, { recursive: true, force: true })
  })

  it('stores a key in the keychain and tells the renderer only that it is set and its last four characters', async () => {
    const status = await call('keys.set', { provider: 'openai', key: testKey })
    expect(status).toMatchObject({ provider: 'openai', set: true, source: 'keychain', last4: testKey.slice(-4) })
    expect(JSON.stringify(await call('keys.status', {}))).not.toContain(testKey.slice(0, -4))
    expect(await services.keychain.getKey('openai')).toBe(testKey)
    const deleted = await call('keys.delete', { provider: 'openai' })
    expect(deleted).toMatchObject({ set: false, source: null })
  })

  it('tests a stored key against the provider without ever sending it anywhere else', async () => {
    const fake = await startFakeOpenAI({ apiKey: testKey })
    try {
      await call('settings.update', { patch: { provider: { baseUrls: { openai: fake.url } } } })
      await call('keys.set', { provider: 'openai', key: 'sk-wrong-key-0123456789' })
      expect(await call('keys.test', { provider: 'openai' })).toMatchObject({ ok: false, checked: true })
      await call('keys.set', { provider: 'openai', key: testKey })
      expect(await call('keys.test', { provider: 'openai' })).toMatchObject({ ok: true, checked: true })
      const pixapi = await call('keys.test', { provider: 'pixapi' })
      expect(pixapi).toMatchObject({ ok: false, checked: false })
    } finally {
      await fake.close()
      await call('keys.delete', { provider: 'openai' })
    }
  })

  it('starts the built-in sandbox when the user switches to it', async () => {
    expect(await call('sandbox.status', {})).toEqual({ running: false })
    await call('settings.update', { patch: { provider: { sandbox: true } } })
    await expect.poll(async () => (await call('sandbox.status', {})).running).toBe(true)
    const { url } = await call('sandbox.status', {})
    const health = await fetch(`${url}/__sandbox/health`)
    expect(health.ok).toBe(true)
    expect((await call('templates.list', {})).length).toBeGreaterThan(3)
  })

  it('persists a settings change and refuses an invalid one, naming the field', async () => {
    const updated = await call('settings.update', { patch: { jobs: { concurrency: 4 } } })
    expect(updated.jobs.concurrency).toBe(4)
    const onDisk = JSON.parse(await readFile(join(home, 'data', 'settings.json'), 'utf8'))
    expect(onDisk.jobs.concurrency).toBe(4)
    const refused = await dispatch('settings.update', { patch: { jobs: { concurrency: 99 } } })
    expect(refused.ok).toBe(false)
    if (!refused.ok) expect(refused.error).toMatchObject({ code: 'settings_invalid', field: 'jobs.concurrency' })
    expect((await call('settings.get', {})).settings.jobs.concurrency).toBe(4)
  })

  it('keeps a custom model id across restarts and refuses a malformed one', async () => {
    const added = await call('catalog.addCustom', { id: 'gemini-3.5-flash-image', provider: 'pixapi', basedOn: 'gemini-3-pro-image-preview' })
    expect(added).toMatchObject({ id: 'gemini-3.5-flash-image', custom: true })
    const again = await createServices({ paths: services.paths, env: {} })
    expect(again.catalog.get('gemini-3.5-flash-image')).toBeDefined()
    await again.dispose()
    const bad = await dispatch('catalog.addCustom', { id: 'bad id with spaces', provider: 'pixapi' })
    expect(bad.ok).toBe(false)
  })

  it('imports a folder through IPC, streams the assets, serves thumbnails and names each problem', async () => {
    const folder = join(home, 'shoot')
    await mkdir(folder, { recursive: true })
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c04020' } }).jpeg().toFile(join(folder, 'red.jpg'))
    await sharp({ create: { width: 300, height: 500, channels: 4, background: '#2040c0aa' } }).png().toFile(join(folder, 'blue.png'))
    await writeFile(join(folder, 'notes.jpg'), 'not an image at all')
    const seen = new Map<string, AssetView>()
    const stop = renderer.onEvent((event, payload) => {
      if (event === 'library.changed') for (const a of (payload as LibraryChange).upserted) seen.set(a.name, a)
    })
    // As the preload reports a drop: only then may the window name the folder.
    await renderer.grantDropped([folder])
    const roots = await call('library.import', { paths: [folder] })
    expect(roots.find((r) => r.path === folder)).toMatchObject({ kind: 'folder', name: 'shoot' })
    await expect.poll(() => seen.size, { timeout: 20_000 }).toBe(3)
    stop()

    expect(seen.get('red.jpg')).toMatchObject({ ok: true, format: 'jpeg', width: 640, height: 480 })
    expect(seen.get('notes.jpg')).toMatchObject({ ok: false, error: { code: 'unsupported_format' } })
    const thumb = await renderer.handleAsset(new Request(seen.get('blue.png')!.thumbUrl!))
    expect(thumb.status).toBe(200)
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(256)
    const escape = await renderer.handleAsset(new Request(`${renderer.assetBaseUrl}original/..%2f..%2fetc%2fpasswd`))
    expect(escape.status).toBeGreaterThanOrEqual(400)

    const listed = await call('library.assets', { filter: 'problems' })
    expect(listed.map((a) => a.name)).toEqual(['notes.jpg'])
  })

  it('forgets a file imported on its own when the user removes it', async () => {
    const file = join(home, 'single.png')
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#101010' } }).png().toFile(file)
    await renderer.grantDropped([file])
    const roots = await call('library.import', { paths: [file] })
    const root = roots.find((r) => r.path === file)
    expect(root).toMatchObject({ kind: 'file' })
    await vi.waitFor(async () => expect((await call('library.assets', {})).some((a) => a.name === 'single.png')).toBe(true))
    const after = await call('library.removeRoot', { rootId: root!.id })
    expect(after.some((r) => r.path === file)).toBe(false)
    expect((await call('library.assets', {})).some((a) => a.name === 'single.png')).toBe(false)
  })

  it('imports a pasted image and refuses pasted text without writing anything', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#30a050' } }).png().toBuffer()
    const asset = await call('library.paste', { base64: png.toString('base64'), name: 'clipboard.png' })
    expect(asset).toMatchObject({ ok: true, format: 'png', width: 64, height: 48 })
    const refused = await dispatch('library.paste', { base64: Buffer.from('hello').toString('base64') })
    expect(refused.ok).toBe(false)
    if (!refused.ok) expect(refused.error.code).toBe('unsupported_format')
  })

  it('answers history queries and writes a support export where the user chose to save it', async () => {
    await services.history.append(sampleRecord('rec-1', 'failed'))
    await services.history.append(sampleRecord('rec-2', 'succeeded'))
    const page = await call('history.query', { status: 'failed' })
    expect(page.items.map((i) => i.id)).toEqual(['rec-1'])
    expect(page.items[0]).toMatchObject({ requestIds: ['req_rec-1'], error: { code: 'rate_limited' } })

    const target = join(home, 'support.csv')
    saves.push(target)
    const exported = await call('history.export', { format: 'csv', filter: {} })
    expect(exported).toEqual({ path: target, count: 2 })
    const csv = await readFile(target, 'utf8')
    expect(csv).toContain('req_rec-1')
    expect(csv).toContain('gpt-image-1.5')

    const cancelled = await call('history.export', { format: 'json' })
    expect(cancelled).toEqual({ path: null, count: 0 })

    const totals = await call('history.totals', { by: 'model' })
    expect(totals.rows.find((r) => r.key === 'gpt-image-1.5')).toMatchObject({ count: 2, failed: 1 })
  })
})

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(path)))
    else if ((await stat(path)).isFile()) out.push(path)
  }
  return out
}

function sampleRecord(id: string, status: 'failed' | 'succeeded'): RequestRecord {
  const now = new Date().toISOString()
  return {
    id,
    kind: 'edit',
    provider: 'pixapi',
    sandbox: true,
    route: 'sync',
    endpoint: 'http://127.0.0.1:9/v1/images/edits',
    model: 'gpt-image-1.5',
    params: { n: 1, size: '1024x1024' },
    prompt: 'Replace the background with warm grey',
    inputs: [{ source: 'file', path: '/photos/shoe.jpg', sha256: 'ab'.repeat(32), bytes: 1000, width: 800, height: 600, format: 'jpeg' }],
    requestIds: [`req_${id}`],
    attempts: [{ startedAt: now, durationMs: 120, status: status === 'failed' ? 429 : 200 }],
    startedAt: now,
    finishedAt: now,
    latencyMs: 120,
    status,
    error: status === 'failed' ? { code: 'rate_limited', message: 'Too many requests', status: 429 } : undefined,
    cost: { credits: status === 'failed' ? 0 : 2, estimated: true, estimate: 2 },
    outputs: []
  }
}
