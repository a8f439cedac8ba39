// @vitest-environment happy-dom
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { EventMap, PixdeskApi } from '@shared/contract'
import type { AssetView, BatchView } from '@shared/views'
import type * as LibraryStore from '../../renderer/src/features/library/store'
import type * as JobsStore from '../../renderer/src/features/batches/jobsStore'
import type * as UiStore from '../../renderer/src/app/uiStore'
import { folderLabel, folderTrees } from '../../renderer/src/features/library/folderTree'
import { batchEndToast } from '../../renderer/src/features/batches/batchEnd'
import { filterCounts, matchesFilter } from '../../renderer/src/features/batches/listFilter'

// The stores subscribe to events when they load, so the bridge must exist before they are imported.
const listeners = new Map<string, Array<(payload: unknown) => void>>()
const bridge = {
  invoke: vi.fn(),
  on(event: string, listener: (payload: unknown) => void) {
    listeners.set(event, [...(listeners.get(event) ?? []), listener])
    return () => undefined
  }
}
const emit = <E extends keyof EventMap>(event: E, payload: EventMap[E]) => listeners.get(event)?.forEach((l) => l(payload))

let library: typeof LibraryStore
let jobs: typeof JobsStore
let ui: typeof UiStore

beforeAll(async () => {
  ;(window as unknown as { pixdesk: PixdeskApi }).pixdesk = bridge as unknown as PixdeskApi
  localStorage.setItem('pixdesk.library.view', JSON.stringify({ sort: 'size', thumbSize: 'XL', fit: 'fill', detailsOpen: 'no' }))
  library = await import('../../renderer/src/features/library/store')
  jobs = await import('../../renderer/src/features/batches/jobsStore')
  ui = await import('../../renderer/src/app/uiStore')
})

const asset = (id: string, relPath: string, over: Partial<AssetView> = {}): AssetView => ({
  id,
  rootId: 'r1',
  name: relPath.split('/').pop()!,
  relPath,
  format: 'jpeg',
  width: 10,
  height: 10,
  bytes: 100,
  alpha: false,
  ok: true,
  thumbUrl: null,
  originalUrl: null,
  modifiedAt: '2026-01-01T00:00:00.000Z',
  ...over
})

describe('library view', () => {
  const assets = Object.fromEntries(
    [
      asset('a', 'cover.jpg', { bytes: 500, modifiedAt: '2026-03-01T00:00:00.000Z' }),
      asset('b', 'shoes/sneaker.jpg', { bytes: 900, modifiedAt: '2026-05-01T00:00:00.000Z' }),
      asset('c', 'shoes/close-ups/lace.png', { bytes: 100, modifiedAt: '2026-02-01T00:00:00.000Z', ok: null }),
      asset('d', 'bags/torn.jpg', { bytes: 50, modifiedAt: '2026-04-01T00:00:00.000Z', ok: false }),
      asset('e', 'loose.png', { rootId: 'r2' })
    ].map((a) => [a.id, a])
  )
  const order = ['a', 'b', 'c', 'd', 'e']
  const base = { assets, order, rootId: 'r1', filter: 'all' as const, search: '' }

  it('sorts by name, newest first, largest first, or problems (then files being checked) first', () => {
    const ids = (sort: Parameters<typeof library.visibleAssets>[0]['sort']) => library.visibleAssets({ ...base, sort }).map((a) => a.id)
    expect(ids('name')).toEqual(['d', 'a', 'c', 'b'])
    expect(ids('date')).toEqual(['b', 'd', 'a', 'c'])
    expect(ids('size')).toEqual(['b', 'a', 'c', 'd'])
    expect(ids('problems')).toEqual(['d', 'c', 'a', 'b'])
  })

  it('shows a folder with its subfolders, and builds the tree with counts from the relative paths', () => {
    expect(library.visibleAssets({ ...base, folder: 'shoes' }).map((a) => a.id)).toEqual(['c', 'b'])
    expect(library.visibleAssets({ ...base, folder: 'shoes/close-ups' }).map((a) => a.id)).toEqual(['c'])
    const tree = folderTrees(assets, order).get('r1')!
    expect(tree.map((n) => [n.name, n.count, n.problems])).toEqual([
      ['bags', 1, 1],
      ['shoes', 2, 0]
    ])
    expect(tree[1]!.children.map((n) => [n.path, n.count])).toEqual([['shoes/close-ups', 1]])
    expect(folderTrees(assets, order).has('r2')).toBe(false)
  })

  it('says where a file lives, joined to the imported folder', () => {
    const root = { id: 'r1', name: 'shoot', path: '/photos/shoot', kind: 'folder' as const, watching: false, counts: { total: 4, ok: 2, problems: 1, pending: 1 } }
    expect(folderLabel(assets.c!, root)).toBe('/photos/shoot/shoes/close-ups')
    expect(folderLabel(assets.a!, root)).toBe('/photos/shoot')
    expect(folderLabel(assets.a!, { ...root, path: 'C:\\Photos\\shoot' })).toBe('C:\\Photos\\shoot')
    expect(folderLabel(assets.b!, { ...root, path: 'C:\\Photos\\shoot' })).toBe('C:\\Photos\\shoot\\shoes')
    expect(folderLabel(asset('f', 'single.png'), { ...root, kind: 'file', path: '/desk/single.png' })).toBe('/desk')
  })

  it('reads stored view choices field by field, keeping the good ones, and saves changes', () => {
    expect(library.useLibrary.getState().prefs).toEqual({ sort: 'size', thumbSize: 'M', fit: 'fill', detailsOpen: true })
    library.useLibrary.getState().setPrefs({ thumbSize: 'L', detailsOpen: false })
    expect(JSON.parse(localStorage.getItem('pixdesk.library.view')!)).toEqual({ sort: 'size', thumbSize: 'L', fit: 'fill', detailsOpen: false })
  })
})

describe('batches list and end of a batch', () => {
  const batch = (over: Omit<Partial<BatchView>, 'counts'> & { counts?: Partial<BatchView['counts']> } = {}): BatchView => ({
    id: 'b1',
    name: 'Spring shoes',
    kind: 'batch',
    state: 'running',
    createdAt: '2026-01-01T00:00:00.000Z',
    models: ['m1'],
    estimate: 8,
    charged: 0,
    budget: null,
    reserved: 0,
    ...over,
    counts: { total: 4, queued: 0, active: 4, done: 0, failed: 0, cancelled: 0, interrupted: 0, skipped: 0, waiting: 0, ...over.counts }
  })

  it('filters by kind and counts each', () => {
    const list = [batch(), batch({ id: 'b2', kind: 'single' }), batch({ id: 'b3', kind: 'compare' }), batch({ id: 'b4' })]
    expect(filterCounts(list)).toEqual({ batch: 2, single: 1, compare: 1, all: 4 })
    expect(list.filter((b) => matchesFilter(b, 'compare')).map((b) => b.id)).toEqual(['b3'])
    expect(list.filter((b) => matchesFilter(b, 'all'))).toHaveLength(4)
  })

  it('words the end of a batch with its counts and credits; failures and skips make it a warning; single edits stay quiet', () => {
    expect(batchEndToast(batch({ state: 'done', charged: 8, counts: { active: 0, done: 4 } }))).toEqual({ level: 'info', message: 'Batch “Spring shoes” finished: 4 done · 8 cr.' })
    expect(batchEndToast(batch({ state: 'done', charged: 6, counts: { active: 0, done: 2, failed: 1, skipped: 1 } }))).toEqual({
      level: 'warning',
      message: 'Batch “Spring shoes” finished with failures: 2 done, 1 failed, 1 skipped · 6 cr.'
    })
    expect(batchEndToast(batch({ kind: 'compare', name: 'Compare: Warm grey', state: 'done', charged: 3, counts: { total: 2, active: 0, done: 2 } }))?.message).toBe(
      'Comparison “Compare: Warm grey” finished: 2 done · 3 cr.'
    )
    expect(batchEndToast(batch({ kind: 'single', state: 'done', counts: { total: 1, active: 0, done: 1 } }))).toBeNull()
  })

  it('shows the toast in the window when a batch it saw running ends, once', () => {
    const toasts = () => ui.useUi.getState().toasts.map((t) => t.message)
    emit('jobs.batch', batch({ id: 'b9', state: 'done', counts: { active: 0, done: 4 } }))
    expect(toasts()).toEqual([])
    emit('jobs.batch', batch({ id: 'b10' }))
    emit('jobs.batch', batch({ id: 'b10', state: 'done', charged: 8, counts: { active: 0, done: 4 } }))
    emit('jobs.batch', batch({ id: 'b10', state: 'done', charged: 8, counts: { active: 0, done: 4 } }))
    expect(toasts()).toEqual(['Batch “Spring shoes” finished: 4 done · 8 cr.'])
    expect(jobs.useJobs.getState().batches.b10?.state).toBe('done')
  })
})
