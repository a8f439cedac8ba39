import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId, Verdict } from '@shared/records'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'
import { useCatalog } from '../settings/catalogStore'
import { emptyDraft, specFrom, type Draft } from '../../lib/draft'
import { useJobs } from '../batches/jobsStore'

export type CompareMode = 'side-by-side' | 'slider' | 'hold'

interface CompareState {
  draft: Draft
  assetId: string | null
  batchId: string | null
  starting: boolean
  error: AppErrorData | null
  mode: CompareMode
  /** Which two results the slider shows, by item id; swap (C) exchanges them. */
  pair: [string | null, string | null]
  /** Which two pictures the slider and hold-to-compare show ('original' or item ids); null follows A and B. */
  stagePair: [string, string] | null
  focused: boolean
  verdict: { value: Verdict; pickedRecordId?: string } | null
  verdictSaving: boolean
  verdictError: AppErrorData | null
  setDraft(patch: Partial<Draft>): void
  setAsset(id: string | null): void
  setMode(mode: CompareMode): void
  setPair(pair: [string | null, string | null]): void
  swap(): void
  setStagePair(pair: [string, string] | null): void
  setFocused(focused: boolean): void
  run(provider: ProviderId): Promise<void>
  saveVerdict(compareGroup: string, verdict: Verdict, pickedRecordId?: string): Promise<void>
  reset(): void
}

export const useCompare = create<CompareState>()((set, get) => ({
  draft: emptyDraft,
  assetId: null,
  batchId: null,
  starting: false,
  error: null,
  mode: 'side-by-side',
  pair: [null, null],
  stagePair: null,
  focused: false,
  verdict: null,
  verdictSaving: false,
  verdictError: null,
  setDraft: (patch) => set({ draft: { ...get().draft, ...patch }, error: null }),
  setAsset: (assetId) => set({ assetId, error: null }),
  setMode: (mode) => set({ mode }),
  setPair: (pair) => set({ pair }),
  swap: () => set({ pair: [get().pair[1], get().pair[0]] }),
  setStagePair: (stagePair) => set({ stagePair }),
  setFocused: (focused) => set({ focused }),
  async run(provider) {
    const { draft, assetId } = get()
    if (!assetId) return
    set({ starting: true, error: null, verdict: null, verdictError: null, pair: [null, null], stagePair: null })
    try {
      const spec = specFrom(draft, useCatalog.getState().models, provider, {
        kind: 'edit',
        name: `Compare: ${draft.prompt.trim().slice(0, 60) || 'template'}`,
        assetIds: [assetId],
        compare: true,
        duplicates: 'run'
      })
      const batch = await useJobs.getState().start(spec)
      set({ batchId: batch.id, starting: false })
    } catch (err) {
      set({ error: err as AppErrorData, starting: false })
    }
  },
  async saveVerdict(compareGroup, value, pickedRecordId) {
    set({ verdictSaving: true, verdictError: null })
    try {
      await api.invoke('compare.verdict', pickedRecordId ? { compareGroup, verdict: value, pickedRecordId } : { compareGroup, verdict: value })
      set({ verdict: { value, pickedRecordId }, verdictSaving: false })
    } catch (err) {
      set({ verdictError: asError(err), verdictSaving: false })
    }
  },
  reset: () => set({ batchId: null, verdict: null, verdictError: null, pair: [null, null], stagePair: null, focused: false })
}))
