// @vitest-environment happy-dom
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { act, render } from '@testing-library/react'
import type { EventMap, PixdeskApi } from '@shared/contract'
import type * as MenuCommands from '../../renderer/src/app/menuCommands'
import type * as BatchFormStore from '../../renderer/src/features/batches/formStore'
import type * as UiStore from '../../renderer/src/app/uiStore'

// The stores subscribe to events when they load, so the bridge must exist before they are imported.
const listeners = new Map<string, Set<(payload: unknown) => void>>()
const invoke = vi.fn(() => Promise.resolve([]))
const bridge = {
  invoke,
  on(event: string, listener: (payload: unknown) => void) {
    if (!listeners.has(event)) listeners.set(event, new Set())
    listeners.get(event)!.add(listener)
    return () => listeners.get(event)!.delete(listener)
  }
}
const emit = <E extends keyof EventMap>(event: E, payload: EventMap[E]) => listeners.get(event)?.forEach((l) => l(payload))

let menu: typeof MenuCommands
let ui: typeof UiStore
let batchForm: typeof BatchFormStore

beforeAll(async () => {
  ;(window as unknown as { pixdesk: PixdeskApi }).pixdesk = bridge as unknown as PixdeskApi
  menu = await import('../../renderer/src/app/menuCommands')
  ui = await import('../../renderer/src/app/uiStore')
  batchForm = await import('../../renderer/src/features/batches/formStore')
})

function Listener() {
  menu.useMenuCommands()
  return null
}

describe('menu commands in the window', () => {
  it('switches views, toggles the palette and opens a batch from a notification', () => {
    const view = render(<Listener />)
    act(() => emit('app.command', { command: 'view-history' }))
    expect(ui.useUi.getState().view).toBe('history')
    act(() => emit('app.command', { command: 'command-palette' }))
    expect(ui.useUi.getState().paletteOpen).toBe(true)
    act(() => emit('app.command', { command: 'open-batch', batchId: 'b-42' }))
    expect(ui.useUi.getState().view).toBe('batches')
    expect(batchForm.useBatchForm.getState().selectedBatch).toBe('b-42')
    view.unmount()
    act(() => emit('app.command', { command: 'view-settings' }))
    expect(ui.useUi.getState().view).toBe('batches')
  })

  it('asks for a folder to import from the menu', async () => {
    invoke.mockClear()
    menu.runMenuCommand({ command: 'import-folder' })
    expect(ui.useUi.getState().view).toBe('library')
    expect(invoke).toHaveBeenCalledWith('library.pick', { kind: 'folders' })
  })
})
