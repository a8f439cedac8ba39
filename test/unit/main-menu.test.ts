import type { MenuItemConstructorOptions } from 'electron'
import { describe, expect, it, vi } from 'vitest'
import type { MenuCommand } from '../../shared/contract'
import { buildMenuTemplate, type MenuOptions } from '../../electron/main/menu'

function template(overrides: Partial<MenuOptions> = {}) {
  const actions = { command: vi.fn<(c: MenuCommand) => void>(), copyDiagnostics: vi.fn(), openLogsFolder: vi.fn() }
  const menu = buildMenuTemplate({ platform: 'linux', development: false, appName: 'Pixdesk', actions, ...overrides })
  return { menu, actions }
}

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])])
}

const byLabel = (items: MenuItemConstructorOptions[], label: string) => {
  const found = flatten(items).find((i) => i.label === label && i.click)
  if (!found) throw new Error(`no menu item "${label}"`)
  return found
}

const click = (item: MenuItemConstructorOptions) => (item.click as () => void)()

describe('application menu', () => {
  it('has the standard edit, view, window and help menus', () => {
    const { menu } = template()
    const roles = menu.map((m) => m.role ?? m.label)
    expect(roles).toEqual(['File', 'editMenu', 'View', 'Run', 'windowMenu', 'help'])
    expect(template({ platform: 'darwin' }).menu[0]).toMatchObject({ label: 'Pixdesk' })
    expect(flatten(template({ platform: 'darwin' }).menu).some((i) => i.role === 'quit')).toBe(true)
  })

  it.each([
    ['Import Folder…', 'CmdOrCtrl+O', 'import-folder'],
    ['Import Images…', 'CmdOrCtrl+Shift+O', 'import-files'],
    ['Run', 'CmdOrCtrl+Enter', 'run'],
    ['Run Comparison', 'CmdOrCtrl+Shift+Enter', 'run-compare'],
    ['New Batch from Selection', 'CmdOrCtrl+B', 'new-batch'],
    ['Library', 'CmdOrCtrl+1', 'view-library'],
    ['Edit', 'CmdOrCtrl+2', 'view-editor'],
    ['Compare', 'CmdOrCtrl+3', 'view-compare'],
    ['Batches', 'CmdOrCtrl+4', 'view-batches'],
    ['History', 'CmdOrCtrl+5', 'view-history'],
    ['Settings', 'CmdOrCtrl+6', 'view-settings'],
    ['Templates', 'CmdOrCtrl+7', 'view-templates'],
    ['Packs', 'CmdOrCtrl+8', 'view-packs'],
    ['Watch', 'CmdOrCtrl+9', 'view-watch'],
    ['Brand Kits', 'CmdOrCtrl+Shift+B', 'view-kits'],
    ['Settings…', 'CmdOrCtrl+,', 'view-settings'],
    ['Command Palette…', 'CmdOrCtrl+K', 'command-palette']
  ] as const)('%s (%s) sends %s to the window', (label, accelerator, command) => {
    const { menu, actions } = template()
    const item = byLabel(menu, label)
    expect(item.accelerator).toBe(accelerator)
    click(item)
    expect(actions.command).toHaveBeenCalledExactlyOnceWith(command)
  })

  it('leaves the shortcuts the window already answers to the window, so one key press acts once', () => {
    const { menu } = template()
    for (const label of ['Run', 'Library', 'History', 'Command Palette…', 'Copy Request Id']) expect(byLabel(menu, label).registerAccelerator).toBe(false)
    for (const label of ['Import Folder…', 'Run Comparison', 'Settings…']) expect(byLabel(menu, label).registerAccelerator).toBeUndefined()
  })

  it('offers Copy Diagnostics and Open Logs Folder under Help', () => {
    const { menu, actions } = template()
    const help = menu.find((m) => m.role === 'help')!
    expect((help.submenu as MenuItemConstructorOptions[]).map((i) => i.label)).toEqual(['Copy Diagnostics', 'Open Logs Folder', undefined, 'Copy Request Id', 'Copy Support Bundle'])
    click(byLabel(menu, 'Copy Diagnostics'))
    click(byLabel(menu, 'Open Logs Folder'))
    expect(actions.copyDiagnostics).toHaveBeenCalledOnce()
    expect(actions.openLogsFolder).toHaveBeenCalledOnce()
    // The window copies: it knows which request is in focus.
    click(byLabel(menu, 'Copy Request Id'))
    click(byLabel(menu, 'Copy Support Bundle'))
    expect(actions.command.mock.calls).toEqual([['copy-request-id'], ['copy-support-bundle']])
  })

  it('shows developer items only in development', () => {
    const developerRoles = (menu: MenuItemConstructorOptions[]) => flatten(menu).filter((i) => i.role === 'toggleDevTools' || i.role === 'reload' || i.role === 'forceReload')
    expect(developerRoles(template().menu)).toEqual([])
    expect(developerRoles(template({ development: true }).menu)).toHaveLength(3)
  })
})
