import { app, clipboard, Menu, Notification, shell, type BrowserWindow } from 'electron'
import { providerIds } from '../../shared/records'
import type { MenuCommand } from '../../shared/contract'
import { collectDiagnostics, formatDiagnostics } from '../core/diagnostics'
import type { Services } from '../core/services'
import { createAppLog, type AppLog } from './log'
import { developerToolsAllowed } from './security'
import { buildMenuTemplate } from './menu'
import { BatchFeedback } from './notifications'
import type { RendererLink } from './ipc'
import type { OpenedFiles } from './open-files'

/**
 * The desktop integration around the window, wired once the services exist: the log, the menu,
 * batch feedback outside the window and files opened with the app. Each piece lives in its own module
 * and takes Electron as parameters; this is the one place that hands Electron to them.
 */
export interface DesktopIntegration {
  log: AppLog
  /** Call when the main window is (re)created. */
  windowCreated(win: BrowserWindow): void
}

// The keys configured now, so the log scrubs them even in shapes no pattern recognises.
let knownKeys: string[] = []
const KEY_REFRESH_MS = 10 * 60 * 1000

/** The main-process log, started before anything else so start-up failures are recorded. */
export function startLog(): AppLog {
  const log = createAppLog({ logsDir: app.getPath('logs'), console: !app.isPackaged, secrets: () => knownKeys })
  log.info(`Pixdesk ${app.getVersion()} starting (Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}, ${process.platform} ${process.arch})`)
  return log
}

export function startDesktopIntegration(
  services: Services,
  renderer: RendererLink,
  getWindow: () => BrowserWindow | null,
  log: AppLog,
  opened: OpenedFiles
): DesktopIntegration {
  void refreshKnownKeys(services)
  setInterval(() => void refreshKnownKeys(services), KEY_REFRESH_MS).unref()
  const send = (command: MenuCommand, batchId?: string) => renderer.emit('app.command', batchId ? { command, batchId } : { command })
  const focus = () => {
    const win = getWindow()
    if (!win) return
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }
  const logsDir = app.getPath('logs')

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      buildMenuTemplate({
        platform: process.platform,
        development: developerToolsAllowed(app),
        appName: app.getName(),
        actions: {
          command: (command) => send(command),
          copyDiagnostics: () => void copyDiagnostics(services, logsDir, log),
          openLogsFolder: () => void shell.openPath(logsDir)
        }
      })
    )
  )

  const feedback = new BatchFeedback({
    notifications: { isSupported: () => Notification.isSupported(), create: (options) => new Notification(options) },
    setProgress: (fraction, mode) => getWindow()?.setProgressBar(fraction, { mode }),
    ...(process.platform === 'darwin' ? { setBadgeCount: (count: number) => void app.setBadgeCount(count) } : {}),
    openBatch: (batchId) => {
      focus()
      send('open-batch', batchId)
    },
    enabled: () => services.settings.get().notifications.batchFinished
  })
  feedback.watch({ onAny: (listener) => renderer.onEvent(listener) })

  services.events.on('app.notice', (notice) => {
    if (notice.level === 'error') log.error(notice.message)
    else if (notice.level === 'warning') log.warn(notice.message)
  })

  opened.attach((paths) => {
    log.info(`opened with Pixdesk: ${paths.length} file(s)`)
    focus()
    send('view-library')
    services.library.importPaths(paths).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err)
      log.error(`importing opened files failed: ${message}`)
      services.events.emit('app.notice', { level: 'error', message: `The opened files could not be added to the library: ${message}` })
    })
  })

  return {
    log,
    windowCreated(win) {
      win.on('focus', () => feedback.windowFocused())
      win.webContents.on('render-process-gone', (_event, details) => log.error(`renderer gone: ${details.reason} (exit code ${details.exitCode})`))
    }
  }
}

async function refreshKnownKeys(services: Services): Promise<void> {
  const keys: string[] = []
  for (const provider of providerIds) {
    const key = await services.keychain.getKey(provider).catch(() => null)
    if (key) keys.push(key)
  }
  knownKeys = keys
}

async function copyDiagnostics(services: Services, logsDir: string, log: AppLog): Promise<void> {
  try {
    const report = await collectDiagnostics({
      version: services.version,
      paths: services.paths,
      settings: () => services.settings.get(),
      keychain: services.keychain,
      history: services.history,
      logsDir
    })
    clipboard.writeText(formatDiagnostics(report))
    services.events.emit('app.notice', { level: 'info', message: 'Diagnostics copied to the clipboard: paste them into your message to support.' })
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    log.error(`diagnostics failed: ${message}`)
    services.events.emit('app.notice', { level: 'error', message: `Diagnostics could not be collected: ${message}` })
  }
}
