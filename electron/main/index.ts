import { join } from 'node:path'
import { app, BrowserWindow, protocol, shell } from 'electron'
import { createServices, type Services } from '../core/services'
import { APP_ASSET_SCHEME as ASSET_SCHEME } from '../ipc/connection'
import { electronDialogs } from './dialogs'
import { registerIpc } from './ipc'

// Images reach the renderer only through this scheme, answered by the asset handler, which serves
// nothing outside imported folders, output folders and the thumbnail cache.
protocol.registerSchemesAsPrivileged([
  { scheme: ASSET_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }
])

let mainWindow: BrowserWindow | null = null
let services: Services | null = null

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    title: 'Pixdesk',
    backgroundColor: '#15171c',
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false
    }
  })
  win.once('ready-to-show', () => win.show())
  // Links open in the user's browser; the app window never navigates away from the renderer.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event) => event.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(join(__dirname, '../renderer/index.html'))
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
  services = await createServices({
    version: app.getVersion(),
    dialogs: electronDialogs(() => mainWindow)
  })
  registerIpc(services, () => mainWindow)
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
