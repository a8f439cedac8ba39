// @vitest-environment happy-dom
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { EventMap, PixdeskApi } from '@shared/contract'
import type { AssetView, BatchView, HistoryPageView, ItemView } from '@shared/views'
import type * as HistoryStore from '../../renderer/src/features/history/store'
import type * as JobsStore from '../../renderer/src/features/batches/jobsStore'
import type * as LibraryStore from '../../renderer/src/features/library/store'

// The stores subscribe to events when they load, so the bridge must exist before they are imported.
const listeners = new Map<string, (payload: unknown) => void>()
const invoke = vi.fn()
const bridge = {
  invoke,
  on(event: string, listener: (payload: unknown) => void) {
    listeners.set(event, listener)
    return () => listeners.delete(event)
  }
}
const emit = <E extends keyof EventMap>(event: E, payload: EventMap[E]) => listeners.get(event)?.(payload)

let library: typeof LibraryStore
let jobs: typeof JobsStore
let history: typeof HistoryStore

beforeAll(async () => {
  ;(window as unknown as { pixdesk: PixdeskApi }).pixdesk = bridge as unknown as PixdeskApi
  library = await import('../../renderer/src/features/library/store')
  jobs = await import('../../renderer/src/features/batches/jobsStore')
  history = await import('../../renderer/src/features/history/store')
})

const asset = (id: string, relPath: string, ok: boolean | null, rootId = 'r1'): AssetView => ({
  id,
  rootId,
  name: relPath.split('/').pop()!,
  relPath,
  format: 'png',
  width: 10,
  height: 10,
  bytes: 100,
  alpha: false,
  ok,
  thumbUrl: null,
  originalUrl: null,
  modifiedAt: '2026-01-01T00:00:00.000Z'
})

describe('library store', () => {
  it('streams assets in by event, in name order, and forgets removed ones everywhere', () => {
    emit('library.changed', { upserted: [asset('b', 'shoot/img10.png', true), asset('a', 'shoot/img2.png', true)], removed: [], roots: [] })
    emit('library.changed', { upserted: [asset('c', 'broken.jpg', false, 'r2'), asset('a', 'shoot/img2.png', true)], removed: [], roots: [] })
    const state = library.useLibrary.getState()
    expect(state.order).toEqual(['b', 'a', 'c'])
    expect(library.visibleAssets(state).map((a) => a.id)).toEqual(['c', 'a', 'b'])
    expect(library.visibleAssets({ ...state, filter: 'problems' }).map((a) => a.id)).toEqual(['c'])
    expect(library.visibleAssets({ ...state, rootId: 'r1', search: 'IMG1' }).map((a) => a.id)).toEqual(['b'])

    library.useLibrary.getState().select(['a', 'c'])
    emit('library.changed', { upserted: [], removed: ['c'], roots: [] })
    expect(library.useLibrary.getState().selected).toEqual(['a'])
    expect(library.useLibrary.getState().assets.c).toBeUndefined()
  })
})

describe('jobs store', () => {
  const batch = (over: Partial<BatchView>): BatchView => ({
    id: 'b1',
    name: 'Compare',
    kind: 'compare',
    state: 'running',
    createdAt: '2026-01-01T00:00:00.000Z',
    models: ['m1', 'm2'],
    counts: { total: 2, queued: 0, active: 2, done: 0, failed: 0, cancelled: 0, interrupted: 0, skipped: 0, waiting: 0 },
    estimate: 4,
    charged: 0,
    budget: null,
    reserved: 4,
    ...over
  })
  const item = (id: string, state: ItemView['state']): ItemView => ({
    id,
    batchId: 'b1',
    assetId: null,
    sourceName: 'a.png',
    sourceUrl: null,
    model: 'm1',
    provider: 'pixapi',
    prompt: 'p',
    params: { n: 1 },
    state,
    attempts: 1,
    estimate: 2,
    charged: null,
    mayHaveCharged: false,
    historyPending: false,
    chargedEstimated: false,
    latencyMs: null,
    uploadedBytes: 0,
    uploadTotalBytes: 0,
    outputs: [],
    timings: { createdAt: '2026-01-01T00:00:00.000Z', phaseMs: {} }
  })

  it('keeps a batch’s compare group when an action’s answer leaves it out, and takes events as they come', async () => {
    emit('jobs.batch', batch({ compareGroup: 'cg-1' }))
    invoke.mockImplementation((channel: string) => (channel === 'jobs.pause' ? Promise.resolve(batch({ state: 'paused' })) : Promise.reject(new Error(`unexpected ${channel}`))))
    await jobs.useJobs.getState().pause('b1')
    expect(jobs.useJobs.getState().batches.b1).toMatchObject({ state: 'paused', compareGroup: 'cg-1' })
    emit('jobs.batch', batch({ state: 'done', compareGroup: 'cg-1', name: 'Renamed' }))
    expect(jobs.useJobs.getState().batches.b1).toMatchObject({ state: 'done', compareGroup: 'cg-1', name: 'Renamed' })
    expect(jobs.useJobs.getState().actionErrors.b1).toBeUndefined()
  })

  it('updates items in place as their events arrive', () => {
    emit('jobs.item', item('i1', 'running'))
    emit('jobs.item', item('i2', 'queued'))
    emit('jobs.item', item('i1', 'done'))
    expect(jobs.useJobs.getState().items.b1!.map((i) => `${i.id}:${i.state}`)).toEqual(['i1:done', 'i2:queued'])
  })
})

describe('history store', () => {
  it('never lets a slow answer to an older filter overwrite a newer one', async () => {
    const page = (total: number): HistoryPageView => ({ items: [], total, page: 1, pageSize: 200, pages: 1, warnings: [] })
    let releaseOld: (v: HistoryPageView) => void = () => undefined
    invoke.mockImplementation((channel: string, payload: { text?: string }) => {
      if (channel === 'history.query') return payload.text === 'old' ? new Promise((ok) => (releaseOld = ok)) : Promise.resolve(page(7))
      return Promise.resolve({ by: 'model', rows: [], overall: null, readWarnings: [] })
    })
    const h = history.useHistory.getState()
    h.setFilter({ text: 'old' })
    h.setFilter({ text: 'new' })
    await vi.waitFor(() => expect(history.useHistory.getState().total).toBe(7))
    releaseOld(page(999))
    await new Promise((r) => setTimeout(r, 0))
    expect(history.useHistory.getState().total).toBe(7)
    // Empty form fields are not sent as filters.
    h.setFilter({ text: '' })
    expect(invoke).toHaveBeenLastCalledWith('history.query', { sort: 'newest', page: 1, pageSize: 200 })
  })
})
