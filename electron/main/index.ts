import { join } from 'node:path'
import { app, BrowserWindow, protocol, screen, shell } from 'electron'
import { resourcesDir } from '../core/paths'
import { createServices, type Services } from '../core/services'
import { startDesktopIntegration, startLog, type DesktopIntegration } from './desktop'
import { electronDialogs } from './dialogs'
import { registerIpc } from './ipc'
import { imagePathsFromArgv, OpenedFiles } from './open-files'
import { WindowState, type WindowPlacement } from './window-state'

// Images reach the renderer only through this scheme, answered by the core asset handler, which serves
// nothing outside imported folders, output folders and the thumbnail cache.
const ASSET_SCHEME = 'pixdesk-asset'
protocol.registerSchemesAsPrivileged([
  { scheme: ASSET_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
])

let mainWindow: BrowserWindow | null = null
let services: Services | null = null
let desktop: DesktopIntegration | null = null
const log = startLog()
// Files opened with the app ("Open with Pixdesk"): on the command line, or as macOS open-file events,
// which can arrive before the app is ready.
const openedFiles = new OpenedFiles()
openedFiles.add(imagePathsFromArgv(process.argv, process.cwd()))
app.on('open-file', (event, path) => {
  event.preventDefault()
  openedFiles.add([path])
})

function createWindow(placement: WindowPlacement): BrowserWindow {
  const win = new BrowserWindow({
    ...placement.bounds,
    minWidth: 960,
    minHeight: 600,
    title: 'Pixdesk',
    // Windows and macOS take the icon from the installed app; Linux window managers need it here.
    ...(process.platform === 'linux' ? { icon: join(resourcesDir(), 'icons', '512x512.png') } : {}),
    backgroundColor: '#15171c',
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false
    }
  })
  win.once('ready-to-show', () => {
    if (placement.maximized) win.maximize()
    win.show()
  })
  // Links open in the user's browser; the app window never navigates away from the renderer.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event) => event.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(join(__dirname, '../renderer/index.html'))
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
  services = await createServices({
    version: app.getVersion(),
    dialogs: electronDialogs(() => mainWindow),
    assetBaseUrl: `${ASSET_SCHEME}://local/`
  })
  const handleAsset = services.handleAsset
  protocol.handle(ASSET_SCHEME, (request) =>
    handleAsset ? handleAsset(request) : Promise.resolve(new Response('Not found', { status: 404 }))
  )
  registerIpc(services, () => mainWindow)
  desktop = startDesktopIntegration(services, () => mainWindow, log, openedFiles)
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
