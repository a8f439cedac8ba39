import { join } from 'node:path'
import { app, BrowserWindow, protocol, screen, session, shell } from 'electron'
import { resourcesDir } from '../core/paths'
import { createServices, type Services } from '../core/services'
import { APP_ASSET_SCHEME } from '../ipc/asset-scheme'
import { startDesktopIntegration, startLog, type DesktopIntegration } from './desktop'
import { electronDialogs } from './dialogs'
import { registerIpc } from './ipc'
import { imagePathsFromArgv, OpenedFiles } from './open-files'
import { installShellSecurity, openAppWindow, rendererEntry, rendererUrlMatcher } from './security'
import { WindowState, type WindowPlacement } from './window-state'

/** The production policy, computed by the build (electron.vite.config.ts) from the same module. */
declare const __PIXDESK_RENDERER_CSP__: string

// Images reach the renderer only through this scheme, answered by the asset handler, which serves
// nothing outside imported folders, output folders and the thumbnail cache.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_ASSET_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
])

let mainWindow: BrowserWindow | null = null
let services: Services | null = null
let desktop: DesktopIntegration | null = null
const log = startLog()
const renderer = rendererEntry(app, process.env, join(__dirname, '../renderer/index.html'))
const isRendererUrl = rendererUrlMatcher(renderer)
// Files opened with the app ("Open with Pixdesk"): on the command line, or as macOS open-file events,
// which can arrive before the app is ready.
const openedFiles = new OpenedFiles()
openedFiles.add(imagePathsFromArgv(process.argv, process.cwd()))
app.on('open-file', (event, path) => {
  event.preventDefault()
  openedFiles.add([path])
})

function createWindow(placement: WindowPlacement): BrowserWindow {
  const win = openAppWindow(BrowserWindow, app, {
    ...placement.bounds,
    minWidth: 960,
    minHeight: 600,
    title: 'Pixdesk',
    // Windows and macOS take the icon from the installed app; Linux window managers need it here.
    ...(process.platform === 'linux' ? { icon: join(resourcesDir(), 'icons', '512x512.png') } : {}),
    backgroundColor: '#15171c',
    show: false,
    preload: join(__dirname, '../preload/index.js')
  })
  win.once('ready-to-show', () => {
    if (placement.maximized) win.maximize()
    win.show()
  })
  // Navigation, new windows and external links are ruled by security.ts for every web contents.
  if (renderer.kind === 'url') void win.loadURL(renderer.url)
  else void win.loadFile(renderer.path)
  desktop?.windowCreated(win)
  return win
}

// One window per data folder: a second launch brings the running one forward instead of competing for
// the job queue and the history.
if (!app.requestSingleInstanceLock()) app.quit()
app.on('second-instance', (_event, argv, workingDirectory) => {
  openedFiles.add(imagePathsFromArgv(argv, workingDirectory))
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
  const link = registerIpc(services, () => mainWindow, isRendererUrl)
  desktop = startDesktopIntegration(services, link, () => mainWindow, log, openedFiles)
  const windowState = await WindowState.load({ dataDir: services.paths.dataDir, screen, defaults: { width: 1360, height: 860 }, minimum: { width: 960, height: 600 } })
  mainWindow = createWindow(windowState.placement())
  windowState.track(mainWindow)
  mainWindow.on('closed', () => (mainWindow = null))
  // Open the queue at start-up so work left from the last session resumes by itself, and index the
  // history in the background so the History view answers at once (a first open reads every month).
  const ready = services
  void ready.history.query({ page: 1, pageSize: 1 }).catch(() => undefined)
  ready.jobs().catch((err: unknown) => {
    ready.events.emit('app.notice', { level: 'error', message: err instanceof Error ? err.message : String(err) })
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length > 0) return
    mainWindow = createWindow(windowState.placement())
    windowState.track(mainWindow)
  })
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('will-quit', () => {
  void services?.dispose()
})
