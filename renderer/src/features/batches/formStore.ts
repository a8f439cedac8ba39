import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import type { BatchEstimateView } from '@shared/views'
import { useCatalog } from '../settings/catalogStore'
import { emptyDraft, specFrom, type Draft } from '../../lib/draft'
import { createReferencesStore, referencesPayload } from '../../components/references/referencesStore'
import { useJobs } from './jobsStore'

/** The batch's reference images and brand kit: every item of the batch gets the same ones. */
export const useBatchReferences = createReferencesStore()

interface BatchFormState {
  open: boolean
  draft: Draft
  assetIds: string[]
  name: string
  budget: string
  duplicates: 'skip' | 'run' | 'ask'
  estimate: BatchEstimateView | null
  estimating: boolean
  /** The estimate shown belongs to this exact spec; any change makes it stale until re-estimated. */
  estimateKey: string | null
  starting: boolean
  error: AppErrorData | null
  selectedBatch: string | null
  setOpen(open: boolean): void
  setDraft(patch: Partial<Draft>): void
  setAssets(ids: string[]): void
  setField(patch: Partial<Pick<BatchFormState, 'name' | 'budget' | 'duplicates'>>): void
  specKey(provider: ProviderId): string
  runEstimate(provider: ProviderId): Promise<void>
  start(provider: ProviderId): Promise<void>
  selectBatch(id: string | null): void
}

export const useBatchForm = create<BatchFormState>()((set, get) => {
  const spec = (provider: ProviderId) => {
    const { draft, assetIds, name, budget, duplicates } = get()
    const credits = budget.trim() === '' ? null : Number(budget)
    return {
      ...specFrom(draft, useCatalog.getState().models, provider, {
        kind: 'edit',
        name: name.trim() || undefined,
        assetIds,
        duplicates,
        budgetCredits: credits !== null && Number.isFinite(credits) ? credits : null
      }),
      ...referencesPayload(useBatchReferences.getState())
    }
  }
  return {
    open: false,
    draft: emptyDraft,
    assetIds: [],
    name: '',
    budget: '',
    duplicates: 'skip',
    estimate: null,
    estimating: false,
    estimateKey: null,
    starting: false,
    error: null,
    selectedBatch: null,
    setOpen: (open) => set({ open, error: null, ...(open ? { selectedBatch: null } : {}) }),
    setDraft: (patch) => set({ draft: { ...get().draft, ...patch }, error: null }),
    setAssets: (assetIds) => set({ assetIds, error: null }),
    setField: (patch) => set({ ...patch, error: null }),
    specKey: (provider) => JSON.stringify(spec(provider)),
    async runEstimate(provider) {
      const key = get().specKey(provider)
      set({ estimating: true, error: null })
      try {
        const estimate = await useJobs.getState().estimate(spec(provider))
        if (get().specKey(provider) === key) set({ estimate, estimateKey: key, estimating: false })
        else set({ estimating: false })
      } catch (err) {
        set({ error: err as AppErrorData, estimating: false, estimate: null, estimateKey: null })
      }
    },
    async start(provider) {
      set({ starting: true, error: null })
      try {
        const batch = await useJobs.getState().start(spec(provider))
        set({ starting: false, open: false, selectedBatch: batch.id, estimate: null, estimateKey: null, name: '' })
      } catch (err) {
        set({ error: err as AppErrorData, starting: false })
      }
    },
    selectBatch: (selectedBatch) => set({ selectedBatch, open: false })
  }
})
