import { EventEmitter } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { layoutKey, placeOnScreen, WINDOW_STATE_FILE, WindowState, type Rect, type ScreenLike } from '../../electron/main/window-state'

const laptop = { id: 1, bounds: { x: 0, y: 0, width: 1440, height: 900 }, workArea: { x: 0, y: 25, width: 1440, height: 875 } }
const monitorRight = { id: 2, bounds: { x: 1440, y: 0, width: 2560, height: 1440 }, workArea: { x: 1440, y: 0, width: 2560, height: 1400 } }

function fakeScreen(displays: Array<typeof laptop>): ScreenLike {
  return { getAllDisplays: () => displays, getPrimaryDisplay: () => displays[0]! }
}

/** A stand-in for BrowserWindow: bounds, maximised and full-screen state, and its events. */
class FakeWindow extends EventEmitter {
  constructor(
    public bounds: Rect,
    public maximized = false,
    public fullScreen = false
  ) {
    super()
  }
  getNormalBounds = () => this.bounds
  isMaximized = () => this.maximized
  isFullScreen = () => this.fullScreen
}

let dataDir: string
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-window-'))
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

const options = (screen: ScreenLike) => ({ dataDir, screen, defaults: { width: 1360, height: 860 }, minimum: { width: 960, height: 600 }, debounceMs: 10 })

describe('window state', () => {
  it('opens at the default size, centred, the first time', async () => {
    const state = await WindowState.load(options(fakeScreen([laptop])))
    expect(state.placement()).toEqual({ bounds: { width: 1360, height: 860 }, maximized: false })
  })

  it('restores size, position and maximised state after a restart', async () => {
    const screen = fakeScreen([laptop, monitorRight])
    const first = await WindowState.load(options(screen))
    const win = new FakeWindow({ x: 1600, y: 100, width: 1800, height: 1100 })
    first.track(win)
    win.maximized = true
    win.emit('maximize')
    win.emit('close')
    await first.save()
    const second = await WindowState.load(options(screen))
    expect(second.placement()).toEqual({ bounds: { x: 1600, y: 100, width: 1800, height: 1100 }, maximized: true })
  })

  it('remembers a placement per arrangement of displays', async () => {
    const docked = fakeScreen([laptop, monitorRight])
    const undocked = fakeScreen([laptop])
    const state = await WindowState.load(options(docked))
    const onMonitor = new FakeWindow({ x: 2000, y: 200, width: 1600, height: 1000 })
    state.track(onMonitor)
    onMonitor.emit('close')
    await state.save()
    const away = await WindowState.load(options(undocked))
    const onLaptop = new FakeWindow({ x: 40, y: 60, width: 1200, height: 800 })
    away.track(onLaptop)
    onLaptop.emit('close')
    await away.save()
    expect((await WindowState.load(options(docked))).placement().bounds).toEqual({ x: 2000, y: 200, width: 1600, height: 1000 })
    expect((await WindowState.load(options(undocked))).placement().bounds).toEqual({ x: 40, y: 60, width: 1200, height: 800 })
    expect(layoutKey(docked)).not.toBe(layoutKey(undocked))
  })

  it('brings back on screen a window whose display was removed', async () => {
    // Saved on the right-hand monitor; only the laptop's own display is known to this layout's file.
    await writeFile(
      join(dataDir, WINDOW_STATE_FILE),
      JSON.stringify({ version: 1, last: layoutKey(fakeScreen([laptop, monitorRight])), layouts: { [layoutKey(fakeScreen([laptop, monitorRight]))]: { bounds: { x: 2400, y: 300, width: 1800, height: 1200 }, maximized: false } } })
    )
    const state = await WindowState.load(options(fakeScreen([laptop])))
    const { bounds } = state.placement()
    expect(bounds).toEqual({ x: 0, y: 25, width: 1440, height: 875 })
  })

  it('keeps a window that is only slightly past a screen edge where it was', () => {
    const screen = fakeScreen([laptop])
    expect(placeOnScreen({ x: 200, y: 100, width: 1300, height: 700 }, screen, { width: 960, height: 600 })).toEqual({ x: 200, y: 100, width: 1300, height: 700 })
    // Its title bar above the top of the screen cannot be grabbed: moved down into the work area.
    expect(placeOnScreen({ x: 200, y: -300, width: 1000, height: 700 }, screen, { width: 960, height: 600 })).toEqual({ x: 200, y: 25, width: 1000, height: 700 })
  })

  it('ignores a damaged file and does not save full-screen as a placement', async () => {
    await writeFile(join(dataDir, WINDOW_STATE_FILE), '{"version":1,"layouts":')
    const screen = fakeScreen([laptop])
    const state = await WindowState.load(options(screen))
    expect(state.placement().maximized).toBe(false)
    const win = new FakeWindow({ x: 10, y: 30, width: 1000, height: 700 })
    state.track(win)
    win.emit('move')
    win.fullScreen = true
    win.bounds = { x: 0, y: 0, width: 1440, height: 900 }
    win.emit('resize')
    win.emit('close')
    await state.save()
    const saved = JSON.parse(await readFile(join(dataDir, WINDOW_STATE_FILE), 'utf8')) as { layouts: Record<string, { bounds: Rect }> }
    expect(Object.values(saved.layouts)[0]?.bounds).toEqual({ x: 10, y: 30, width: 1000, height: 700 })
  })
})
