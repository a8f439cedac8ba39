import { pathToFileURL } from 'node:url'
import type { App, BrowserWindowConstructorOptions, IpcMain, IpcMainInvokeEvent, Session, Shell, WebContents } from 'electron'
import { isAllowedExternalUrl } from './external-links'

/**
 * The renderer is treated as untrusted (a script injected into it, or a compromised UI dependency, must
 * gain nothing beyond what the IPC contract allows): this module closes every other door the shell has.
 * It takes its Electron objects as parameters so the rules are tested with fakes.
 */

/** Developer tools and developer menu items exist only in development builds. */
export function developerToolsAllowed(app: Pick<App, 'isPackaged'>): boolean {
  return !app.isPackaged
}

type WindowOptions = Omit<BrowserWindowConstructorOptions, 'webPreferences'> & { preload: string }

/**
 * Opens an app window whose preferences keep isolation, the sandbox and web security on, with nothing
 * experimental and DevTools only in development. The preferences are written out here, as a literal,
 * so a static scanner (and a reader) sees every one of them at the place the window is made.
 */
export function openAppWindow<W>(
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => W,
  app: Pick<App, 'isPackaged'>,
  { preload, ...options }: WindowOptions
): W {
  return new BrowserWindow({
    ...options,
    webPreferences: {
      preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      devTools: developerToolsAllowed(app),
      // Middle clicks open links in new windows by a path of their own: the page gets no auxclick at all.
      disableBlinkFeatures: 'Auxclick'
    }
  })
}

export type RendererEntry = { kind: 'url'; url: string } | { kind: 'file'; path: string }

/**
 * Where the window loads the UI from. ELECTRON_RENDERER_URL (the dev server) is honoured only in a
 * development build: in a packaged app, an environment variable must not be able to swap the UI for
 * any page while it keeps the preload bridge.
 */
export function rendererEntry(app: Pick<App, 'isPackaged'>, env: NodeJS.ProcessEnv, indexHtml: string): RendererEntry {
  const devUrl = env.ELECTRON_RENDERER_URL
  if (!app.isPackaged && devUrl && /^https?:\/\//.test(devUrl) && URL.canParse(devUrl)) return { kind: 'url', url: devUrl }
  return { kind: 'file', path: indexHtml }
}

/** A predicate for "this URL is a page of the app's own renderer", given where the renderer is loaded from. */
export function rendererUrlMatcher(entry: RendererEntry): (url: string) => boolean {
  if (entry.kind === 'url') {
    const origin = new URL(entry.url).origin
    return (url) => URL.canParse(url) && new URL(url).origin === origin
  }
  // file: URLs have no usable origin, so the page itself is compared (without query or fragment).
  const page = pathToFileURL(entry.path)
  return (url) => {
    if (!URL.canParse(url)) return false
    const parsed = new URL(url)
    return parsed.protocol === 'file:' && parsed.host === page.host && parsed.pathname === page.pathname
  }
}

type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>

/**
 * True when an IPC call comes from the top frame of the app's window showing the app's own renderer.
 * The frame's URL is checked, not just its identity: after a navigation or in a frame that was swapped
 * the object may be the same while the page is not.
 */
export function isTrustedSender(event: SenderEvent, window: { webContents: WebContents } | null, isRendererUrl: (url: string) => boolean): boolean {
  if (!window || event.sender !== window.webContents) return false
  const frame = event.senderFrame
  if (!frame || frame.parent !== null || frame !== window.webContents.mainFrame) return false
  return isRendererUrl(frame.url)
}

/**
 * Registers an invoke handler that answers only trusted senders; any other caller gets a typed refusal
 * and the handler never runs. Returns the function that removes it.
 */
export function handleFromRenderer(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  channel: string,
  trust: { getWindow: () => { webContents: WebContents } | null; isRendererUrl: (url: string) => boolean },
  handler: (...args: unknown[]) => unknown
): () => void {
  ipcMain.handle(channel, (event, ...args: unknown[]) => {
    if (!isTrustedSender(event, trust.getWindow(), trust.isRendererUrl)) {
      return { ok: false, error: { code: 'validation', message: 'Request from an unknown frame was refused.' } }
    }
    return handler(...args)
  })
  return () => ipcMain.removeHandler(channel)
}

/**
 * Remembers when the user last pressed a key or a mouse button in a page. These events come from the
 * OS through the main process, so a script cannot forge them; one gesture permits one external link.
 */
function trackUserGestures(contents: WebContents, now: () => number = Date.now, windowMs = 1000): { consume(): boolean } {
  let last = Number.NEGATIVE_INFINITY
  contents.on('before-mouse-event', (_event, mouse) => {
    if (mouse.type === 'mouseDown' || mouse.type === 'mouseUp') last = now()
  })
  contents.on('before-input-event', (_event, input) => {
    if (input.type === 'keyDown') last = now()
  })
  return {
    consume() {
      const fresh = now() - last <= windowMs
      last = Number.NEGATIVE_INFINITY
      return fresh
    }
  }
}

export type ExternalOpener = (url: string, fromGesture: boolean) => Promise<boolean>

/** Opens a URL in the user's browser only when it is on the allowlist and the user just asked for it. */
function createExternalOpener(shell: Pick<Shell, 'openExternal'>, report: (message: string) => void = console.warn): ExternalOpener {
  return async (url, fromGesture) => {
    if (!fromGesture) {
      report(`Refused to open ${JSON.stringify(url.slice(0, 200))}: not started by the user.`)
      return false
    }
    if (!isAllowedExternalUrl(url)) {
      report(`Refused to open ${JSON.stringify(url.slice(0, 200))}: not an allowed https address.`)
      return false
    }
    await shell.openExternal(url)
    return true
  }
}

interface ContentsRules {
  packaged: boolean
  openExternal: ExternalOpener
  now?: () => number
}

/**
 * Every page stays where it was loaded: navigations, redirects, <webview> and new windows are refused.
 * A link the user clicks to an allowed host opens in their browser instead.
 */
function hardenWebContents(contents: WebContents, rules: ContentsRules): void {
  const gestures = trackUserGestures(contents, rules.now)
  const openOutside = (url: string) => void rules.openExternal(url, gestures.consume()).catch(() => undefined)
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
  contents.on('will-navigate', (event) => {
    event.preventDefault()
    if (/^https:/i.test(event.url)) openOutside(event.url)
  })
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  if (rules.packaged) {
    // webPreferences.devTools is false in a packaged build; closing them here covers any window whose
    // preferences did not say so.
    contents.on('devtools-opened', () => contents.closeDevTools())
  }
}

/**
 * Denies every permission (camera, microphone, geolocation, notifications, clipboard reads, HID, serial,
 * USB…): the renderer uses none of them. Desktop notifications are shown by the main process, which needs
 * no web permission. Sends the CSP as a header on the renderer's own responses, where frame-ancestors
 * takes effect (a <meta> policy cannot carry it).
 */
function hardenSession(session: Session, options: { contentSecurityPolicy: string; isRendererUrl: (url: string) => boolean }): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!options.isRendererUrl(details.url)) return callback({})
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy')
    )
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [options.contentSecurityPolicy] } })
  })
}

export interface ShellSecurityOptions {
  app: Pick<App, 'isPackaged' | 'on'>
  session: Session
  shell: Pick<Shell, 'openExternal'>
  contentSecurityPolicy: string
  isRendererUrl: (url: string) => boolean
}

/** Applies the session rules now and the page rules to every web contents the app creates from here on. */
export function installShellSecurity(options: ShellSecurityOptions): ExternalOpener {
  const openExternal = createExternalOpener(options.shell)
  hardenSession(options.session, options)
  options.app.on('web-contents-created', (_event, contents) =>
    hardenWebContents(contents, { packaged: options.app.isPackaged, openExternal })
  )
  return openExternal
}
