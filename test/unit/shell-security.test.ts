import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { App, BrowserWindowConstructorOptions, IpcMain, IpcMainInvokeEvent, Session, Shell, WebContents } from 'electron'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EXTERNAL_LINK_HOSTS, isAllowedExternalUrl } from '../../electron/main/external-links'
import {
  developerToolsAllowed,
  handleFromRenderer,
  installShellSecurity,
  isTrustedSender,
  openAppWindow,
  rendererEntry,
  rendererUrlMatcher
} from '../../electron/main/security'

/** Electron cannot run here: these fakes keep the parts of its objects the shell rules touch. */
class FakeWebContents extends EventEmitter {
  windowOpenHandler?: (details: { url: string }) => { action: string }
  closeDevTools = vi.fn()
  mainFrame = { url: '', parent: null as unknown }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler
  }
  /** Fires an event the way Electron does: listeners may call preventDefault on the first argument. */
  fire(name: string, extra: Record<string, unknown> = {}, ...args: unknown[]): { prevented: boolean } {
    const event = { prevented: false, preventDefault() { this.prevented = true }, ...extra }
    this.emit(name, event, ...args)
    return event
  }
  mouse(type: string) {
    this.emit('before-mouse-event', {}, { type })
  }
}

function fakeSession() {
  const calls: Record<string, unknown> = {}
  const session = {
    setPermissionRequestHandler: (h: unknown) => (calls.request = h),
    setPermissionCheckHandler: (h: unknown) => (calls.check = h),
    setDevicePermissionHandler: (h: unknown) => (calls.device = h),
    webRequest: { onHeadersReceived: (h: unknown) => (calls.headers = h) }
  }
  return { session: session as unknown as Session, calls }
}

const RENDERER = join('/opt/Pixdesk/resources/app/out/renderer/index.html')
const POLICY = "default-src 'none'; frame-ancestors 'none'"

function setUp(isPackaged: boolean, clock = { now: 0 }) {
  const app = Object.assign(new EventEmitter(), { isPackaged })
  const shell = { openExternal: vi.fn(async () => undefined) }
  const { session, calls } = fakeSession()
  const isRendererUrl = rendererUrlMatcher({ kind: 'file', path: RENDERER })
  vi.spyOn(Date, 'now').mockImplementation(() => clock.now)
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  installShellSecurity({
    app: app as unknown as App,
    session,
    shell: shell as unknown as Shell,
    contentSecurityPolicy: POLICY,
    isRendererUrl
  })
  const contents = new FakeWebContents()
  app.emit('web-contents-created', {}, contents)
  return { app, shell, calls, contents, clock }
}

afterEach(() => {
  vi.restoreAllMocks()
})

/** The preferences a window opened by the app gets, read from a fake BrowserWindow. */
function windowPreferences(isPackaged: boolean) {
  class FakeBrowserWindow {
    constructor(readonly options: BrowserWindowConstructorOptions) {}
  }
  const win = openAppWindow(FakeBrowserWindow, { isPackaged }, { width: 800, title: 'Pixdesk', preload: '/p.js' })
  expect(win.options).toMatchObject({ width: 800, title: 'Pixdesk' })
  return win.options.webPreferences!
}

const flush = () => new Promise((ok) => setTimeout(ok, 0))

describe('permissions', () => {
  it('denies every permission request, check and device request', async () => {
    const { calls } = setUp(true)
    const answers: boolean[] = []
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'fullscreen', 'openExternal', 'hid']) {
      ;(calls.request as (c: unknown, p: string, cb: (ok: boolean) => void) => void)({}, permission, (ok) => answers.push(ok))
      answers.push((calls.check as (c: unknown, p: string) => boolean)({}, permission))
    }
    answers.push((calls.device as () => boolean)())
    expect(answers).toHaveLength(15)
    expect(answers.every((a) => a === false)).toBe(true)
  })

  it('sends the policy as a header on the renderer page and leaves other responses alone', () => {
    const { calls } = setUp(true)
    const onHeaders = calls.headers as (d: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: unknown) => void) => void
    const answers: unknown[] = []
    onHeaders({ url: pathToFileURL(RENDERER).href, responseHeaders: { 'content-security-policy': ['default-src *'] } }, (r) => answers.push(r))
    onHeaders({ url: 'https://example.com/', responseHeaders: {} }, (r) => answers.push(r))
    expect(answers[0]).toEqual({ responseHeaders: { 'Content-Security-Policy': [POLICY] } })
    expect(answers[1]).toEqual({})
  })
})

describe('navigation and new windows', () => {
  it('refuses navigation, redirects, webviews and window.open', () => {
    const { contents } = setUp(true)
    expect(contents.fire('will-navigate', { url: 'https://evil.example/' }).prevented).toBe(true)
    expect(contents.fire('will-navigate', { url: 'file:///etc/passwd' }).prevented).toBe(true)
    expect(contents.fire('will-redirect', { url: 'https://evil.example/' }).prevented).toBe(true)
    expect(contents.fire('will-attach-webview', {}, { nodeIntegration: true }, { src: 'https://evil.example/' }).prevented).toBe(true)
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(contents.windowOpenHandler?.({ url: 'https://pixapi.ai/docs' })).toEqual({ action: 'deny' })
  })
})

describe('external links', () => {
  it('opens an allowed https link right after a click, once', async () => {
    const { contents, shell, clock } = setUp(true)
    clock.now = 10_000
    contents.mouse('mouseUp')
    clock.now = 10_200
    contents.windowOpenHandler?.({ url: 'https://platform.openai.com/api-keys' })
    contents.windowOpenHandler?.({ url: 'https://platform.openai.com/usage' })
    await flush()
    expect(shell.openExternal.mock.calls).toEqual([['https://platform.openai.com/api-keys']])
  })

  it('opens nothing a script asks for without a gesture, or long after one', async () => {
    const { contents, shell, clock } = setUp(true)
    contents.windowOpenHandler?.({ url: 'https://pixapi.ai/docs' })
    contents.fire('will-navigate', { url: 'https://aistudio.google.com/apikey' })
    clock.now = 1_000
    contents.mouse('mouseMove')
    contents.windowOpenHandler?.({ url: 'https://pixapi.ai/docs' })
    contents.mouse('mouseDown')
    clock.now = 5_000
    contents.windowOpenHandler?.({ url: 'https://pixapi.ai/docs' })
    await flush()
    expect(shell.openExternal).not.toHaveBeenCalled()
  })

  it('opens nothing outside the allowlist, even after a click', async () => {
    const { contents, shell } = setUp(true)
    for (const url of [
      'https://evil.example/',
      'http://pixapi.ai/',
      'https://pixapi.ai.evil.example/',
      'https://user:pw@pixapi.ai/',
      'https://pixapi.ai:8443/',
      'file:///etc/passwd',
      'smb://server/share',
      'javascript:alert(1)'
    ]) {
      contents.emit('before-input-event', {}, { type: 'keyDown' })
      contents.windowOpenHandler?.({ url })
    }
    await flush()
    expect(shell.openExternal).not.toHaveBeenCalled()
  })

  it('allows exactly the documentation and the providers\u2019 dashboards', () => {
    expect([...EXTERNAL_LINK_HOSTS].sort()).toEqual(['aistudio.google.com', 'pixapi.ai', 'platform.openai.com'])
    expect(isAllowedExternalUrl('https://aistudio.google.com/apikey')).toBe(true)
    expect(isAllowedExternalUrl('https://google.com/')).toBe(false)
    expect(isAllowedExternalUrl('not a url')).toBe(false)
  })
})

describe('developer tools', () => {
  it('are off and closed on sight in a packaged build', () => {
    const { contents } = setUp(true)
    expect(developerToolsAllowed({ isPackaged: true })).toBe(false)
    expect(windowPreferences(true).devTools).toBe(false)
    contents.emit('devtools-opened')
    expect(contents.closeDevTools).toHaveBeenCalledTimes(1)
  })

  it('stay available in development', () => {
    const { contents } = setUp(false)
    expect(developerToolsAllowed({ isPackaged: false })).toBe(true)
    expect(windowPreferences(false).devTools).toBe(true)
    contents.emit('devtools-opened')
    expect(contents.closeDevTools).not.toHaveBeenCalled()
  })

  it('window preferences keep isolation, the sandbox and web security on', () => {
    expect(windowPreferences(true)).toMatchObject({
      preload: '/p.js',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false
    })
  })
})

describe('renderer entry', () => {
  const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173/' }

  it('uses the dev server URL only in development', () => {
    expect(rendererEntry({ isPackaged: false }, env, RENDERER)).toEqual({ kind: 'url', url: env.ELECTRON_RENDERER_URL })
    expect(rendererEntry({ isPackaged: true }, env, RENDERER)).toEqual({ kind: 'file', path: RENDERER })
    expect(rendererEntry({ isPackaged: false }, {}, RENDERER)).toEqual({ kind: 'file', path: RENDERER })
    expect(rendererEntry({ isPackaged: false }, { ELECTRON_RENDERER_URL: 'file:///tmp/evil.html' }, RENDERER).kind).toBe('file')
  })

  it('recognises only the renderer page (file) or the dev server origin (url)', () => {
    const file = rendererUrlMatcher({ kind: 'file', path: RENDERER })
    expect(file(`${pathToFileURL(RENDERER).href}#/history`)).toBe(true)
    expect(file('file:///tmp/evil.html')).toBe(false)
    expect(file('https://evil.example/index.html')).toBe(false)
    const dev = rendererUrlMatcher({ kind: 'url', url: 'http://localhost:5173/' })
    expect(dev('http://localhost:5173/src/main.tsx')).toBe(true)
    expect(dev('http://localhost:5174/')).toBe(false)
    expect(dev('http://127.0.0.1:5173/')).toBe(false)
  })
})

describe('IPC sender check', () => {
  const isRendererUrl = rendererUrlMatcher({ kind: 'file', path: RENDERER })
  const page = pathToFileURL(RENDERER).href

  function registered() {
    const handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>()
    const ipcMain = {
      handle: (channel: string, fn: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown) => handlers.set(channel, fn),
      removeHandler: (channel: string) => handlers.delete(channel)
    }
    const contents = new FakeWebContents()
    const window = { webContents: contents as unknown as WebContents }
    const handler = vi.fn((...args: unknown[]) => ({ ok: true, value: args }))
    const remove = handleFromRenderer(ipcMain as unknown as IpcMain, 'pixdesk:invoke', { getWindow: () => window, isRendererUrl }, handler)
    const call = (event: Partial<IpcMainInvokeEvent>) => handlers.get('pixdesk:invoke')?.(event as IpcMainInvokeEvent, 'app.info', {})
    return { handlers, contents, window, handler, remove, call }
  }

  it('answers the top frame of the app window showing the renderer', () => {
    const { contents, call, handler } = registered()
    contents.mainFrame.url = page
    expect(call({ sender: contents as unknown as WebContents, senderFrame: contents.mainFrame as never })).toEqual({ ok: true, value: ['app.info', {}] })
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('refuses the same frame once it shows another page, subframes, other contents and vanished frames', () => {
    const { contents, call, handler } = registered()
    const sender = contents as unknown as WebContents
    contents.mainFrame.url = 'https://evil.example/'
    const refused = [
      call({ sender, senderFrame: contents.mainFrame as never }),
      call({ sender, senderFrame: { url: page, parent: contents.mainFrame } as never }),
      call({ sender: new FakeWebContents() as unknown as WebContents, senderFrame: contents.mainFrame as never }),
      call({ sender, senderFrame: null })
    ]
    contents.mainFrame.url = 'file:///tmp/evil.html'
    refused.push(call({ sender, senderFrame: contents.mainFrame as never }))
    for (const answer of refused) expect(answer).toMatchObject({ ok: false, error: { code: 'validation' } })
    expect(handler).not.toHaveBeenCalled()
  })

  it('refuses everything when there is no window, and unregisters', () => {
    const { contents, handlers, remove } = registered()
    contents.mainFrame.url = page
    expect(isTrustedSender({ sender: contents as never, senderFrame: contents.mainFrame as never }, null, isRendererUrl)).toBe(false)
    remove()
    expect(handlers.size).toBe(0)
  })
})
