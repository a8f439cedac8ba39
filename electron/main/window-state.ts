import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { writeJsonAtomic } from '../core/atomic'

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** What the module needs of Electron's `screen`. */
export interface ScreenLike {
  getAllDisplays(): Array<{ id: number; bounds: Rect; workArea: Rect }>
  getPrimaryDisplay(): { id: number; bounds: Rect; workArea: Rect }
}

/** What the module needs of a BrowserWindow. */
export interface TrackedWindow {
  getNormalBounds(): Rect
  isMaximized(): boolean
  isFullScreen(): boolean
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown
}

const rectSchema = z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().positive(), height: z.number().int().positive() })
const savedSchema = z.object({ bounds: rectSchema, maximized: z.boolean() })
const fileSchema = z.object({
  version: z.literal(1),
  /** The layout seen last, used when the current one has never been seen. */
  last: z.string().optional(),
  /** Per arrangement of displays: the window goes back where it was on that set of screens. */
  layouts: z.record(z.string(), savedSchema)
})
type SavedState = z.infer<typeof savedSchema>
type StateFile = z.infer<typeof fileSchema>

export interface WindowPlacement {
  /** Undefined x/y: let the OS centre the window. */
  bounds: Partial<Rect> & { width: number; height: number }
  maximized: boolean
}

export interface WindowStateOptions {
  dataDir: string
  screen: ScreenLike
  defaults: { width: number; height: number }
  minimum: { width: number; height: number }
  /** Saves this long after the last move or resize. */
  debounceMs?: number
}

export const WINDOW_STATE_FILE = 'window-state.json'

/** The arrangement of displays, as a key: the same monitors in the same places give the same key. */
export function layoutKey(screen: ScreenLike): string {
  return screen
    .getAllDisplays()
    .map((d) => `${d.bounds.x},${d.bounds.y},${d.bounds.width}x${d.bounds.height}`)
    .sort()
    .join(';')
}

function intersection(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  return w > 0 && h > 0 ? w * h : 0
}

/**
 * Where a saved window may open: as saved when its title bar is on a display and most of it is visible;
 * otherwise (its display was removed or moved) on the display it overlaps most, or the primary one,
 * resized to fit that display's work area and kept at least at the minimum size.
 */
export function placeOnScreen(saved: Rect, screen: ScreenLike, minimum: { width: number; height: number }): Rect {
  const displays = screen.getAllDisplays()
  const titleBar: Rect = { x: saved.x, y: saved.y, width: saved.width, height: Math.min(40, saved.height) }
  const visible = displays.reduce((sum, d) => sum + intersection(saved, d.workArea), 0)
  const titleBarReachable = displays.some((d) => intersection(titleBar, d.workArea) >= Math.min(titleBar.width, 100) * Math.min(titleBar.height, 20))
  if (titleBarReachable && visible >= 0.5 * saved.width * saved.height) return saved
  const target = displays.reduce<{ area: number; workArea: Rect } | null>((best, d) => {
    const area = intersection(saved, d.workArea)
    return area > (best?.area ?? 0) ? { area, workArea: d.workArea } : best
  }, null)?.workArea ?? screen.getPrimaryDisplay().workArea
  const width = Math.max(Math.min(saved.width, target.width), Math.min(minimum.width, target.width))
  const height = Math.max(Math.min(saved.height, target.height), Math.min(minimum.height, target.height))
  const x = Math.min(Math.max(saved.x, target.x), target.x + target.width - width)
  const y = Math.min(Math.max(saved.y, target.y), target.y + target.height - height)
  return { x, y, width, height }
}

/**
 * Remembers the main window's size, position and maximised state in the data folder, per arrangement of
 * displays, and restores them at start-up, bringing back on screen a window that would open off-screen.
 */
export class WindowState {
  private file: StateFile = { version: 1, layouts: {} }
  private timer: NodeJS.Timeout | undefined
  private saving: Promise<void> = Promise.resolve()

  private constructor(private readonly options: WindowStateOptions) {}

  static async load(options: WindowStateOptions): Promise<WindowState> {
    const state = new WindowState(options)
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(join(options.dataDir, WINDOW_STATE_FILE), 'utf8')))
      // A missing or damaged file only costs the remembered placement: the window opens at its default.
      if (parsed.success) state.file = parsed.data
    } catch {
      // as above
    }
    return state
  }

  /** Where the window should open now, on the displays connected now. */
  placement(): WindowPlacement {
    const { screen, defaults, minimum } = this.options
    const saved: SavedState | undefined = this.file.layouts[layoutKey(screen)] ?? (this.file.last ? this.file.layouts[this.file.last] : undefined)
    if (!saved) return { bounds: { ...defaults }, maximized: false }
    return { bounds: placeOnScreen(saved.bounds, screen, minimum), maximized: saved.maximized }
  }

  /** Follows the window's moves and resizes; saves shortly after each, and at once when it closes. */
  track(win: TrackedWindow): void {
    const capture = () => {
      // Full screen is a mode, not a place: keep the placement from before it.
      if (win.isFullScreen()) return
      const key = layoutKey(this.options.screen)
      this.file = { ...this.file, last: key, layouts: { ...this.file.layouts, [key]: { bounds: roundRect(win.getNormalBounds()), maximized: win.isMaximized() } } }
    }
    const later = () => {
      capture()
      clearTimeout(this.timer)
      this.timer = setTimeout(() => void this.save(), this.options.debounceMs ?? 400)
    }
    for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event, later)
    win.on('close', () => {
      capture()
      clearTimeout(this.timer)
      void this.save()
    })
  }

  /** Writes the file (one write at a time; the latest state wins). */
  save(): Promise<void> {
    this.saving = this.saving
      .catch(() => undefined)
      .then(() => writeJsonAtomic(join(this.options.dataDir, WINDOW_STATE_FILE), this.file))
    return this.saving
  }
}

function roundRect(r: Rect): Rect {
  return { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) }
}
