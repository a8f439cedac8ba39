import { join } from 'node:path'
import { app, BrowserWindow, protocol, session, shell } from 'electron'
import { createServices, type Services } from '../core/services'
import { APP_ASSET_SCHEME } from '../ipc/asset-scheme'
import { electronDialogs } from './dialogs'
import { registerIpc } from './ipc'
import { installShellSecurity, openAppWindow, rendererEntry, rendererUrlMatcher } from './security'

/** The production policy, computed by the build (electron.vite.config.ts) from the same module. */
declare const __PIXDESK_RENDERER_CSP__: string

// Images reach the renderer only through this scheme, answered by the asset handler, which serves
// nothing outside imported folders, output folders and the thumbnail cache.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_ASSET_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
])

let mainWindow: BrowserWindow | null = null
let services: Services | null = null
const renderer = rendererEntry(app, process.env, join(__dirname, '../renderer/index.html'))
const isRendererUrl = rendererUrlMatcher(renderer)

function createWindow(): BrowserWindow {
  const win = openAppWindow(BrowserWindow, app, {
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    title: 'Pixdesk',
    backgroundColor: '#15171c',
    show: false,
    preload: join(__dirname, '../preload/index.js')
  })
  win.once('ready-to-show', () => win.show())
  // Navigation, new windows and external links are ruled by security.ts for every web contents.
  if (renderer.kind === 'url') void win.loadURL(renderer.url)
  else void win.loadFile(renderer.path)
  return win
}

// One window per data folder: a second launch brings the running one forward instead of competing for
// the job queue and the history.
if (!app.requestSingleInstanceLock()) app.quit()
app.on('second-instance', () => {
  if (!mainWindow) return
  if (mainWindow.isMinimized()) mainWindow.restore()
  mainWindow.focus()
})

app.whenReady().then(async () => {
  installShellSecurity({ app, session: session.defaultSession, shell, contentSecurityPolicy: __PIXDESK_RENDERER_CSP__, isRendererUrl })
  services = await createServices({
    version: app.getVersion(),
    dialogs: electronDialogs(() => mainWindow)
  })
  registerIpc(services, () => mainWindow, isRendererUrl)
  mainWindow = createWindow()
  mainWindow.on('closed', () => (mainWindow = null))
  // Open the queue at start-up so work left from the last session resumes by itself, and index the
  // history in the background so the History view answers at once (a first open reads every month).
  const ready = services
  void ready.history.query({ page: 1, pageSize: 1 }).catch(() => undefined)
  ready.jobs().catch((err: unknown) => {
    ready.events.emit('app.notice', { level: 'error', message: err instanceof Error ? err.message : String(err) })
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow()
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('will-quit', () => {
  void services?.dispose()
})
