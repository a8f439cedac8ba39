import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Envelope } from '../../shared/contract'

// The Electron binary cannot run here: these fakes record what the main process registers with it.
const electron = vi.hoisted(() => {
  type InvokeHandler = (event: unknown, channel: unknown, payload: unknown) => unknown
  const handlers = new Map<string, InvokeHandler>()
  const schemes = new Map<string, (request: Request) => Promise<Response>>()
  return {
    handlers,
    schemes,
    ipcMain: {
      handle: (channel: string, handler: InvokeHandler) => handlers.set(channel, handler),
      removeHandler: (channel: string) => handlers.delete(channel)
    },
    protocol: {
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => schemes.set(scheme, handler),
      unhandle: (scheme: string) => schemes.delete(scheme)
    }
  }
})
vi.mock('electron', () => ({ ipcMain: electron.ipcMain, protocol: electron.protocol }))

const { createServices } = await import('../../electron/core/services')
const { registerIpc } = await import('../../electron/main/ipc')
import type { RendererLink } from '../../electron/main/ipc'
type Services = Awaited<ReturnType<typeof createServices>>

describe('main process IPC registration', () => {
  let home: string
  let services: Services
  let unregister: RendererLink
  const sent: Array<[string, string, unknown]> = []
  const RENDERER = 'file:///app/out/renderer/index.html'
  const mainFrame = { name: 'top', parent: null, url: RENDERER }
  const webContents = { mainFrame, send: (channel: string, event: string, payload: unknown) => sent.push([channel, event, payload]) }
  const win = { webContents }

  const invoke = (sender: unknown, senderFrame: unknown, channel: string, payload: unknown) =>
    electron.handlers.get('pixdesk:invoke')!({ sender, senderFrame }, channel, payload) as Promise<Envelope>

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pixdesk-main-ipc-'))
    services = await createServices({ paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') }, env: {}, watchFolders: false })
    unregister = registerIpc(services, () => win as never, (url) => url === RENDERER)
  })
  afterAll(async () => {
    await services.dispose()
    await rm(home, { recursive: true, force: true })
  })

  it('answers calls from the window top frame through the contract dispatcher', async () => {
    expect(await invoke(webContents, mainFrame, 'app.ping', { message: 'hello' })).toMatchObject({ ok: true, value: { echo: 'hello' } })
    expect(await invoke(webContents, mainFrame, 'app.ping', { message: 7 })).toMatchObject({ ok: false, error: { code: 'validation', field: 'message' } })
  })

  it('refuses calls from another frame or another page', async () => {
    expect(await invoke(webContents, { name: 'iframe', parent: mainFrame, url: RENDERER }, 'app.ping', { message: 'hi' })).toMatchObject({ ok: false, error: { code: 'validation' } })
    expect(await invoke({ other: true }, mainFrame, 'app.ping', { message: 'hi' })).toMatchObject({ ok: false, error: { code: 'validation' } })
  })

  it('forwards service events to the window as contract events', async () => {
    await invoke(webContents, mainFrame, 'settings.update', { patch: { jobs: { concurrency: 3 } } })
    const changed = sent.find(([, event]) => event === 'settings.changed')
    expect(changed?.[0]).toBe('pixdesk:event')
    expect(changed?.[2]).toMatchObject({ jobs: { concurrency: 3 } })
  })

  it('grants a dropped path reported by the preload from the app window, and nothing from another frame', async () => {
    const dropped = join(home, 'dropped')
    await mkdir(dropped)
    const grant = (frame: unknown, paths: unknown) => electron.handlers.get('pixdesk:grant')!({ sender: webContents, senderFrame: frame }, paths, undefined)
    expect(await invoke(webContents, mainFrame, 'library.import', { paths: [dropped] })).toMatchObject({ ok: false, error: { field: 'path' } })
    expect(await grant({ name: 'iframe', parent: mainFrame, url: RENDERER }, [dropped])).toMatchObject({ ok: false })
    expect(await invoke(webContents, mainFrame, 'library.import', { paths: [dropped] })).toMatchObject({ ok: false, error: { field: 'path' } })
    expect(await grant(mainFrame, [dropped])).toBe(1)
    expect(await invoke(webContents, mainFrame, 'library.import', { paths: [dropped] })).toMatchObject({ ok: true })
  })

  it('answers the asset scheme with the asset handler, which names assets by id only', async () => {
    const handle = electron.schemes.get('pixdesk-asset')
    expect(handle).toBeDefined()
    expect((await handle!(new Request('pixdesk-asset://local/thumb/000000000000000000000000'))).status).toBe(404)
    expect((await handle!(new Request('pixdesk-asset://local/original/..%2f..%2fetc%2fpasswd'))).status).toBe(400)
  })

  it('unregisters everything it registered, and stops forwarding events', async () => {
    unregister.close()
    expect(electron.handlers.has('pixdesk:invoke')).toBe(false)
    expect(electron.schemes.has('pixdesk-asset')).toBe(false)
    const before = sent.length
    await services.settings.update({ jobs: { concurrency: 2 } })
    expect(sent.length).toBe(before)
  })
})
