import { create } from 'zustand'
import { z } from 'zod'
import type { BatchView } from '@shared/views'

/**
 * Which runs the Batches list shows: batches on their own by default, so the single edits and
 * comparisons made elsewhere do not bury them. Remembered by the window between sessions.
 */
export const batchListFilters = ['batch', 'single', 'compare', 'all'] as const
export type BatchListFilter = (typeof batchListFilters)[number]

export const batchListFilterLabels: Record<BatchListFilter, string> = {
  batch: 'Batches',
  single: 'Single edits',
  compare: 'Comparisons',
  all: 'All'
}

const STORAGE_KEY = 'pixdesk.batches.filter'
const storedFilter = z.enum(batchListFilters).catch('batch')

function load(): BatchListFilter {
  try {
    return storedFilter.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? 'batch')
  } catch {
    return 'batch'
  }
}

export const useBatchListFilter = create<{ filter: BatchListFilter; setFilter(filter: BatchListFilter): void }>()((set) => ({
  filter: load(),
  setFilter(filter) {
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, filter)
    } catch {
      // Storage off: the choice holds for this session.
    }
    set({ filter })
  }
}))

export function matchesFilter(batch: BatchView, filter: BatchListFilter): boolean {
  return filter === 'all' || batch.kind === filter
}

/** How many runs each filter would show. */
export function filterCounts(batches: readonly BatchView[]): Record<BatchListFilter, number> {
  const counts: Record<BatchListFilter, number> = { batch: 0, single: 0, compare: 0, all: batches.length }
  for (const b of batches) counts[b.kind]++
  return counts
}
