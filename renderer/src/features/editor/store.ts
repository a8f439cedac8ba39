import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import { useCatalog } from '../settings/catalogStore'
import { emptyDraft, specFrom, type Draft } from '../../lib/draft'
import { useJobs } from '../batches/jobsStore'

interface EditorState {
  draft: Draft
  assetIds: string[]
  batchId: string | null
  starting: boolean
  error: AppErrorData | null
  setDraft(patch: Partial<Draft>): void
  setAssets(ids: string[]): void
  run(provider: ProviderId): Promise<void>
  clearResult(): void
}

export const useEditor = create<EditorState>()((set, get) => ({
  draft: emptyDraft,
  assetIds: [],
  batchId: null,
  starting: false,
  error: null,
  setDraft: (patch) => set({ draft: { ...get().draft, ...patch }, error: null }),
  setAssets: (assetIds) => set({ assetIds, error: null }),
  async run(provider) {
    const { draft, assetIds } = get()
    set({ starting: true, error: null })
    try {
      const spec = specFrom(draft, useCatalog.getState().models, provider, {
        kind: 'edit',
        name: draft.prompt.trim().slice(0, 80) || undefined,
        assetIds,
        // A single edit is run on purpose: running the same thing again is what the user asked for.
        duplicates: 'run'
      })
      const batch = await useJobs.getState().start(spec)
      set({ batchId: batch.id, starting: false })
    } catch (err) {
      set({ error: err as AppErrorData, starting: false })
    }
  },
  clearResult: () => set({ batchId: null })
}))
