import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { AssetView, ImportProgressView, LibraryChange, RootView } from '@shared/views'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'
import { inFolder } from './folderTree'
import { loadViewPrefs, saveViewPrefs, type LibrarySort, type LibraryViewPrefs } from './viewPrefs'

export type AssetFilter = 'all' | 'ok' | 'problems'

interface LibraryState {
  roots: RootView[]
  /** Assets by id, plus their order of arrival, so streaming upserts never reshuffle the grid. */
  assets: Record<string, AssetView>
  order: string[]
  progress: Record<string, ImportProgressView>
  loaded: boolean
  busy: boolean
  error: AppErrorData | null
  rootId: string | null
  /** A subfolder of the chosen root ('/'-separated, relative to it); null for the whole root. */
  folder: string | null
  /** Folders whose subfolders are shown in the sources list, as `rootId:path` ('' path for the root itself). */
  expanded: Record<string, boolean>
  filter: AssetFilter
  search: string
  selected: string[]
  focused: string | null
  /** Sort, thumbnail size and framing, details panel: kept between sessions. */
  prefs: LibraryViewPrefs
  load(): Promise<void>
  pick(kind: 'folders' | 'files'): Promise<void>
  importPaths(paths: string[]): Promise<void>
  /**
   * Dropped or pasted files: by path where the desktop bridge knows it (they stream in like a folder),
   * else the picture's bytes. Answers how many came in as bytes and why any were refused.
   */
  importFiles(files: readonly File[]): Promise<{ added: number; refused: string[] }>
  removeRoot(rootId: string): Promise<void>
  setRoot(rootId: string | null, folder?: string | null): void
  toggleExpanded(key: string, open: boolean): void
  setPrefs(patch: Partial<LibraryViewPrefs>): void
  setFilter(filter: AssetFilter): void
  setSearch(search: string): void
  select(ids: string[]): void
  focus(id: string | null): void
  applyChange(change: LibraryChange): void
}

function merge(state: Pick<LibraryState, 'assets' | 'order'>, upserted: AssetView[], removed: string[]) {
  const assets = { ...state.assets }
  const added: string[] = []
  for (const asset of upserted) {
    if (!assets[asset.id]) added.push(asset.id)
    assets[asset.id] = asset
  }
  const gone = new Set(removed)
  for (const id of removed) delete assets[id]
  const order = (gone.size ? state.order.filter((id) => !gone.has(id)) : state.order).concat(added)
  return { assets, order }
}

export const useLibrary = create<LibraryState>()((set, get) => ({
  roots: [],
  assets: {},
  order: [],
  progress: {},
  loaded: false,
  busy: false,
  error: null,
  rootId: null,
  folder: null,
  expanded: {},
  filter: 'all',
  search: '',
  selected: [],
  focused: null,
  prefs: loadViewPrefs(),
  async load() {
    try {
      const [roots, assets] = await Promise.all([api.invoke('library.roots', {}), api.invoke('library.assets', { filter: 'all' })])
      set({ roots, ...merge({ assets: {}, order: [] }, assets, []), loaded: true, error: null })
    } catch (err) {
      set({ error: asError(err), loaded: true })
    }
  },
  async pick(kind) {
    set({ busy: true, error: null })
    try {
      const roots = await api.invoke('library.pick', { kind })
      set({ roots: mergeRoots(get().roots, roots), busy: false })
      await refreshAssets()
    } catch (err) {
      set({ error: asError(err), busy: false })
    }
  },
  async importPaths(paths) {
    if (!paths.length) return
    set({ busy: true, error: null })
    try {
      const roots = await api.invoke('library.import', { paths })
      set({ roots: mergeRoots(get().roots, roots), busy: false })
      await refreshAssets()
    } catch (err) {
      set({ error: asError(err), busy: false })
    }
  },
  async importFiles(files) {
    const paths: string[] = []
    const loose: File[] = []
    for (const file of files) {
      const path = (await api.grantFile?.(file)) ?? ''
      if (path) paths.push(path)
      else loose.push(file)
    }
    await get().importPaths(paths)
    let added = 0
    const refused: string[] = []
    for (const file of loose) {
      if (!file.size && !file.type) {
        // A folder (or a file the window cannot read): only its path would help, and a page has none.
        refused.push(`"${file.name}" could not be read here. Use Add folder or Add files to bring it in.`)
        continue
      }
      try {
        const asset = await api.invoke('library.paste', { base64: await base64Of(file), ...(file.name ? { name: file.name } : {}) })
        get().applyChange({ upserted: [asset], removed: [], roots: [] })
        set({ selected: [asset.id], focused: asset.id })
        added++
      } catch (err) {
        refused.push(asError(err).message)
      }
    }
    if (paths.length || added) void api.invoke('library.roots', {}).then((roots) => set({ roots }), () => undefined)
    return { added, refused }
  },
  async removeRoot(rootId) {
    try {
      const roots = await api.invoke('library.removeRoot', { rootId })
      const removed = get().order.filter((id) => get().assets[id]?.rootId === rootId)
      set({
        roots,
        ...merge(get(), [], removed),
        rootId: get().rootId === rootId ? null : get().rootId,
        folder: get().rootId === rootId ? null : get().folder,
        selected: get().selected.filter((id) => !removed.includes(id))
      })
    } catch (err) {
      set({ error: asError(err) })
    }
  },
  setRoot: (rootId, folder = null) => set({ rootId, folder: rootId ? folder : null }),
  toggleExpanded: (key, open) => set({ expanded: { ...get().expanded, [key]: open } }),
  setPrefs(patch) {
    const prefs = { ...get().prefs, ...patch }
    saveViewPrefs(prefs)
    set({ prefs })
  },
  setFilter: (filter) => set({ filter }),
  setSearch: (search) => set({ search }),
  select: (selected) => set({ selected }),
  focus: (focused) => set({ focused }),
  applyChange(change) {
    const next = merge(get(), change.upserted, change.removed)
    const gone = new Set(change.removed)
    set({
      ...next,
      roots: change.roots.length ? change.roots : get().roots,
      selected: gone.size ? get().selected.filter((id) => !gone.has(id)) : get().selected
    })
  }
}))

/** Bytes as base64 (the form library.paste takes), without the data-URL prefix. */
function base64Of(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'))
    reader.readAsDataURL(file)
  })
}

/** library.pick answers with the roots it added; the list keeps the ones already known too. */
function mergeRoots(current: RootView[], incoming: RootView[]): RootView[] {
  const byId = new Map(current.map((r) => [r.id, r]))
  for (const r of incoming) byId.set(r.id, r)
  return [...byId.values()]
}

/** Assets that arrived before the first event (a fast import) are fetched once so none are missed. */
async function refreshAssets() {
  try {
    const assets = await api.invoke('library.assets', { filter: 'all' })
    useLibrary.setState((s) => merge(s, assets, []))
  } catch {
    // Events still bring the assets in; the grid simply fills as they arrive.
  }
}

export function visibleAssets(
  state: Pick<LibraryState, 'assets' | 'order' | 'rootId' | 'filter' | 'search'> & { folder?: string | null; sort?: LibrarySort }
): AssetView[] {
  const needle = state.search.trim().toLowerCase()
  const out: AssetView[] = []
  for (const id of state.order) {
    const a = state.assets[id]
    if (!a) continue
    if (state.rootId && a.rootId !== state.rootId) continue
    if (state.rootId && state.folder && !inFolder(a.relPath, state.folder)) continue
    if (state.filter === 'ok' && a.ok !== true) continue
    if (state.filter === 'problems' && a.ok !== false) continue
    if (needle && !a.relPath.toLowerCase().includes(needle)) continue
    out.push(a)
  }
  // Tiles are fixed-size, so an arrival only shifts, never resizes; ties fall back to name order.
  return out.sort(sorters[state.sort ?? 'name'])
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })
const byName = (x: AssetView, y: AssetView) => collator.compare(x.relPath, y.relPath)
/** Problems first, then images still being checked, then the ready ones. */
const problemRank = (a: AssetView) => (a.ok === false ? 0 : a.ok === null ? 1 : 2)

const sorters: Record<LibrarySort, (x: AssetView, y: AssetView) => number> = {
  name: byName,
  // Newest first, as a camera roll reads.
  date: (x, y) => y.modifiedAt.localeCompare(x.modifiedAt) || byName(x, y),
  // Largest first: the files that will take longest to upload or may be over a limit.
  size: (x, y) => y.bytes - x.bytes || byName(x, y),
  problems: (x, y) => problemRank(x) - problemRank(y) || byName(x, y)
}

api.on('library.changed', (change) => useLibrary.getState().applyChange(change))
api.on('library.progress', (progress) => useLibrary.setState((s) => ({ progress: { ...s.progress, [progress.rootId]: progress } })))
