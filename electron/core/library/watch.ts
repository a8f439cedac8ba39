import { basename, relative, sep } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import { isHidden } from './scan'

export type FolderChange = { path: string; kind: 'upsert' | 'remove' }

export interface FolderWatchOptions {
  /** Quiet time before a burst of changes is handed over (a copy of 500 files is one batch). */
  debounceMs?: number
  skipFolderNames?: readonly string[]
  skipFolders?: () => readonly string[]
}

/**
 * Watches imported folders and reports changed files in debounced batches; the last event for a path
 * wins, so a file written then deleted inside one window is reported once, as removed.
 */
export class FolderWatcher {
  private readonly watchers = new Map<string, FSWatcher>()
  /** Callers of add() still waiting for 'ready', which a watcher closed first never emits. */
  private readonly starting = new Map<FSWatcher, () => void>()
  private pending = new Map<string, FolderChange['kind']>()
  private timer: NodeJS.Timeout | undefined
  private readonly debounceMs: number
  private readonly skipNames: Set<string>

  constructor(
    private readonly onChanges: (changes: FolderChange[]) => void,
    private readonly options: FolderWatchOptions = {}
  ) {
    this.debounceMs = options.debounceMs ?? 300
    this.skipNames = new Set(options.skipFolderNames ?? ['pixdesk'])
  }

  /** Resolves once the folder is being watched, or once it is removed or the watcher closed before that. */
  async add(root: string): Promise<void> {
    if (this.watchers.has(root)) return
    const watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 50 },
      ignored: (path, stats) => this.ignored(root, path, stats?.isFile() ?? false)
    })
    this.watchers.set(root, watcher)
    watcher.on('add', (p) => this.queue(p, 'upsert'))
    watcher.on('change', (p) => this.queue(p, 'upsert'))
    watcher.on('unlink', (p) => this.queue(p, 'remove'))
    watcher.on('unlinkDir', (p) => this.queue(p, 'remove'))
    // A watcher error (e.g. a folder made unreadable) must not take the app down; the next import catches up.
    watcher.on('error', () => undefined)
    await new Promise<void>((resolve) => {
      this.starting.set(watcher, resolve)
      watcher.once('ready', () => this.releaseAdd(watcher))
    })
  }

  async remove(root: string): Promise<void> {
    const watcher = this.watchers.get(root)
    this.watchers.delete(root)
    if (watcher) await this.stop(watcher)
  }

  private releaseAdd(watcher: FSWatcher): void {
    this.starting.get(watcher)?.()
    this.starting.delete(watcher)
  }

  private async stop(watcher: FSWatcher): Promise<void> {
    await watcher.close()
    this.releaseAdd(watcher)
  }

  private ignored(root: string, path: string, isFile: boolean): boolean {
    if (path === root) return false
    const parts = relative(root, path).split(sep)
    if (parts.some(isHidden)) return true
    const dirParts = isFile ? parts.slice(0, -1) : parts
    if (dirParts.some((p) => this.skipNames.has(p.toLowerCase()))) return true
    const skip = this.options.skipFolders?.() ?? []
    return skip.some((f) => path === f || path.startsWith(f + sep))
  }

  private queue(path: string, kind: FolderChange['kind']): void {
    if (isHidden(basename(path))) return
    this.pending.set(path, kind)
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.flush(), this.debounceMs)
  }

  private flush(): void {
    const changes = [...this.pending].map(([path, kind]) => ({ path, kind }))
    this.pending = new Map()
    if (changes.length > 0) this.onChanges(changes)
  }

  async close(): Promise<void> {
    clearTimeout(this.timer)
    const all = [...this.watchers.values()]
    this.watchers.clear()
    await Promise.all(all.map((w) => this.stop(w)))
  }
}
