import { create } from 'zustand'
import type { BatchSpecPayload, ContinueFromPayload } from '@shared/contract'
import type { AppErrorData } from '@shared/errors'
import type { BatchEstimateView, BatchView, ItemView } from '@shared/views'
import { useUi } from '../../app/uiStore'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'
import { batchEndToast } from './batchEnd'

interface JobsState {
  batches: Record<string, BatchView>
  /** Items per batch, in queue order as the engine last reported it. */
  items: Record<string, ItemView[]>
  loaded: boolean
  error: AppErrorData | null
  /** Batch-level action errors, shown next to the batch they concern. */
  actionErrors: Record<string, AppErrorData | undefined>
  load(): Promise<void>
  fetch(batchId: string): Promise<void>
  estimate(spec: BatchSpecPayload): Promise<BatchEstimateView>
  start(spec: BatchSpecPayload): Promise<BatchView>
  /** One edit of an earlier version's output (named by record id and output index). */
  continueFrom(request: ContinueFromPayload): Promise<BatchView>
  pause(batchId: string): Promise<void>
  resume(batchId: string): Promise<void>
  cancel(batchId: string, itemIds?: string[]): Promise<void>
  retry(batchId: string, itemIds?: string[]): Promise<void>
  /** Saves paid results that could not be written; `chooseFolder` asks main for another folder first. */
  saveAgain(batchId: string, itemIds: string[], chooseFolder: boolean): Promise<void>
  resolveDuplicates(batchId: string, decision: 'run' | 'skip', itemIds?: string[]): Promise<void>
  setBudget(batchId: string, credits: number | null): Promise<void>
  reorder(batchId: string, itemIds: string[]): Promise<void>
}

/** Lists, details and events carry the whole summary, compare group included. */
function withBatch(batches: Record<string, BatchView>, next: BatchView): Record<string, BatchView> {
  return { ...batches, [next.id]: next }
}

/**
 * The answers to batch actions (pause, cancel, retry, reorder, budget, duplicates) leave the compare
 * group out; a batch never changes group, so the one already known is kept.
 */
function withActionAnswer(batches: Record<string, BatchView>, next: BatchView): Record<string, BatchView> {
  const group = batches[next.id]?.compareGroup
  return withBatch(batches, group && !next.compareGroup ? { ...next, compareGroup: group } : next)
}

function upsertItem(list: ItemView[] | undefined, item: ItemView): ItemView[] {
  if (!list) return [item]
  const i = list.findIndex((x) => x.id === item.id)
  if (i < 0) return [...list, item]
  const next = list.slice()
  next[i] = item
  return next
}

export const useJobs = create<JobsState>()((set, get) => {
  const act = (name: 'jobs.pause' | 'jobs.resume', batchId: string) =>
    api.invoke(name, { batchId }).then(
      (batch) => set({ batches: withActionAnswer(get().batches, batch), actionErrors: { ...get().actionErrors, [batchId]: undefined } }),
      (err) => set({ actionErrors: { ...get().actionErrors, [batchId]: asError(err) } })
    )
  const withItems = (name: 'jobs.cancel' | 'jobs.retry', batchId: string, itemIds?: string[]) =>
    api.invoke(name, itemIds ? { batchId, itemIds } : { batchId }).then(
      async (batch) => {
        set({ batches: withActionAnswer(get().batches, batch), actionErrors: { ...get().actionErrors, [batchId]: undefined } })
        await get().fetch(batchId)
      },
      (err) => set({ actionErrors: { ...get().actionErrors, [batchId]: asError(err) } })
    )

  return {
    batches: {},
    items: {},
    loaded: false,
    error: null,
    actionErrors: {},
    async load() {
      try {
        const list = await api.invoke('jobs.list', {})
        set({ batches: list.reduce(withBatch, get().batches), loaded: true, error: null })
      } catch (err) {
        set({ error: asError(err), loaded: true })
      }
    },
    async fetch(batchId) {
      try {
        const { items, ...batch } = await api.invoke('jobs.get', { batchId })
        set({ batches: withBatch(get().batches, batch), items: { ...get().items, [batchId]: items } })
      } catch (err) {
        set({ actionErrors: { ...get().actionErrors, [batchId]: asError(err) } })
      }
    },
    async estimate(spec) {
      try {
        return await api.invoke('jobs.estimate', spec)
      } catch (err) {
        throw asError(err)
      }
    },
    async continueFrom(request) {
      try {
        const { items, ...batch } = await api.invoke('jobs.continueFrom', request)
        const known = get().items[batch.id]
        set({ batches: withBatch(get().batches, batch), items: { ...get().items, [batch.id]: known?.length ? known : items } })
        return batch
      } catch (err) {
        throw asError(err)
      }
    },
    async start(spec) {
      try {
        const { items, ...batch } = await api.invoke('jobs.start', spec)
        // Events for this batch may already have arrived: keep whichever item version is newer in the list.
        const known = get().items[batch.id]
        set({ batches: withBatch(get().batches, batch), items: { ...get().items, [batch.id]: known?.length ? known : items } })
        return batch
      } catch (err) {
        throw asError(err)
      }
    },
    pause: (batchId) => act('jobs.pause', batchId),
    resume: (batchId) => act('jobs.resume', batchId),
    cancel: (batchId, itemIds) => withItems('jobs.cancel', batchId, itemIds),
    retry: (batchId, itemIds) => withItems('jobs.retry', batchId, itemIds),
    async saveAgain(batchId, itemIds, chooseFolder) {
      try {
        const batch = await api.invoke('jobs.saveAgain', { batchId, itemIds, chooseFolder })
        if (!batch) return
        set({ batches: withActionAnswer(get().batches, batch), actionErrors: { ...get().actionErrors, [batchId]: undefined } })
        await get().fetch(batchId)
      } catch (err) {
        set({ actionErrors: { ...get().actionErrors, [batchId]: asError(err) } })
      }
    },
    async resolveDuplicates(batchId, decision, itemIds) {
      try {
        const batch = await api.invoke('jobs.resolveDuplicates', itemIds ? { batchId, decision, itemIds } : { batchId, decision })
        set({ batches: withActionAnswer(get().batches, batch), actionErrors: { ...get().actionErrors, [batchId]: undefined } })
        await get().fetch(batchId)
      } catch (err) {
        set({ actionErrors: { ...get().actionErrors, [batchId]: asError(err) } })
      }
    },
    async setBudget(batchId, credits) {
      try {
        const batch = await api.invoke('jobs.setBudget', { batchId, credits })
        set({ batches: withActionAnswer(get().batches, batch), actionErrors: { ...get().actionErrors, [batchId]: undefined } })
      } catch (err) {
        set({ actionErrors: { ...get().actionErrors, [batchId]: asError(err) } })
      }
    },
    async reorder(batchId, itemIds) {
      const current = get().items[batchId] ?? []
      // Reorder optimistically so the row moves under the pointer; the engine's answer settles it.
      const rank = new Map(itemIds.map((id, i) => [id, i]))
      const moved = current.slice().sort((a, b) => (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity))
      set({ items: { ...get().items, [batchId]: moved } })
      try {
        const batch = await api.invoke('jobs.reorder', { batchId, itemIds })
        set({ batches: withActionAnswer(get().batches, batch) })
      } catch (err) {
        set({ items: { ...get().items, [batchId]: current }, actionErrors: { ...get().actionErrors, [batchId]: asError(err) } })
      }
    }
  }
})

api.on('jobs.batch', (batch) => {
  const before = useJobs.getState().batches[batch.id]
  useJobs.setState((s) => ({ batches: withBatch(s.batches, batch) }))
  // Only an end seen happening is announced, as the system notification does.
  if (before && !finishedStates.has(before.state) && finishedStates.has(batch.state)) {
    const toast = batchEndToast(batch)
    if (toast) useUi.getState().toast(toast.level, toast.message)
  }
})
api.on('jobs.item', (item) => useJobs.setState((s) => ({ items: { ...s.items, [item.batchId]: upsertItem(s.items[item.batchId], item) } })))

export const finishedStates: ReadonlySet<BatchView['state']> = new Set(['done', 'cancelled'])
export const activeItemStates: ReadonlySet<ItemView['state']> = new Set(['preparing', 'uploading', 'running', 'polling', 'downloading'] as ItemView['state'][])
