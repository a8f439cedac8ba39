import type { MenuItemConstructorOptions } from 'electron'
import type { MenuCommand } from '../../shared/contract'

interface MenuActions {
  /** Asks the window to carry out an app command (the renderer owns the views and their state). */
  command(command: MenuCommand): void
  copyDiagnostics(): void
  openLogsFolder(): void
}

export interface MenuOptions {
  platform: NodeJS.Platform
  /** Developer items (reload, DevTools) appear only in development builds. */
  development: boolean
  appName: string
  actions: MenuActions
}

interface CommandItem {
  label: string
  command: MenuCommand
  accelerator: string
  /**
   * The renderer already answers this shortcut itself (Ctrl+K, Ctrl+1…6, Ctrl+Enter): the menu shows it
   * but must not also trigger it, or one key press would act twice.
   */
  rendererHandlesKey?: boolean
}

const fileCommands: CommandItem[] = [
  { label: 'Import Folder…', command: 'import-folder', accelerator: 'CmdOrCtrl+O' },
  { label: 'Import Images…', command: 'import-files', accelerator: 'CmdOrCtrl+Shift+O' },
  { label: 'New Batch from Selection', command: 'new-batch', accelerator: 'CmdOrCtrl+B' }
]

const runCommands: CommandItem[] = [
  { label: 'Run', command: 'run', accelerator: 'CmdOrCtrl+Enter', rendererHandlesKey: true },
  { label: 'Run Comparison', command: 'run-compare', accelerator: 'CmdOrCtrl+Shift+Enter' }
]

const viewCommands: CommandItem[] = [
  { label: 'Library', command: 'view-library', accelerator: 'CmdOrCtrl+1', rendererHandlesKey: true },
  { label: 'Edit', command: 'view-editor', accelerator: 'CmdOrCtrl+2', rendererHandlesKey: true },
  { label: 'Compare', command: 'view-compare', accelerator: 'CmdOrCtrl+3', rendererHandlesKey: true },
  { label: 'Batches', command: 'view-batches', accelerator: 'CmdOrCtrl+4', rendererHandlesKey: true },
  { label: 'History', command: 'view-history', accelerator: 'CmdOrCtrl+5', rendererHandlesKey: true },
  { label: 'Settings', command: 'view-settings', accelerator: 'CmdOrCtrl+6', rendererHandlesKey: true },
  { label: 'Templates', command: 'view-templates', accelerator: 'CmdOrCtrl+7', rendererHandlesKey: true },
  { label: 'Packs', command: 'view-packs', accelerator: 'CmdOrCtrl+8', rendererHandlesKey: true },
  { label: 'Watch', command: 'view-watch', accelerator: 'CmdOrCtrl+9', rendererHandlesKey: true },
  { label: 'Brand Kits', command: 'view-kits', accelerator: 'CmdOrCtrl+Shift+B', rendererHandlesKey: true }
]

const paletteCommand: CommandItem = { label: 'Command Palette…', command: 'command-palette', accelerator: 'CmdOrCtrl+K', rendererHandlesKey: true }
const settingsCommand: CommandItem = { label: 'Settings…', command: 'view-settings', accelerator: 'CmdOrCtrl+,' }
const copyRequestIdCommand: CommandItem = { label: 'Copy Request Id', command: 'copy-request-id', accelerator: 'CmdOrCtrl+Shift+C', rendererHandlesKey: true }

/** The application menu: the platform's standard roles plus Pixdesk's own commands and their shortcuts. */
export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const { actions } = options
  const mac = options.platform === 'darwin'
  const item = (c: CommandItem): MenuItemConstructorOptions => ({
    label: c.label,
    accelerator: c.accelerator,
    ...(c.rendererHandlesKey ? { registerAccelerator: false } : {}),
    click: () => actions.command(c.command)
  })

  const appMenu: MenuItemConstructorOptions = {
    label: options.appName,
    submenu: [
      { role: 'about' },
      { type: 'separator' },
      item(settingsCommand),
      { type: 'separator' },
      { role: 'services' },
      { type: 'separator' },
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      { type: 'separator' },
      { role: 'quit' }
    ]
  }
  const fileMenu: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      ...fileCommands.map(item),
      ...(mac ? [] : [{ type: 'separator' } as const, item(settingsCommand), { type: 'separator' } as const, { role: 'quit' } as const])
    ]
  }
  const runMenu: MenuItemConstructorOptions = { label: 'Run', submenu: runCommands.map(item) }
  const developer: MenuItemConstructorOptions[] = options.development
    ? [{ type: 'separator' }, { role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }]
    : []
  const viewMenu: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      ...viewCommands.map(item),
      { type: 'separator' },
      item(paletteCommand),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...developer
    ]
  }
  const helpMenu: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [
      { label: 'Copy Diagnostics', click: () => actions.copyDiagnostics() },
      { label: 'Open Logs Folder', click: () => actions.openLogsFolder() },
      { type: 'separator' },
      item(copyRequestIdCommand),
      { label: 'Copy Support Bundle', click: () => actions.command('copy-support-bundle') }
    ]
  }
  return [...(mac ? [appMenu] : []), fileMenu, { role: 'editMenu' }, viewMenu, runMenu, { role: 'windowMenu' }, helpMenu]
}
