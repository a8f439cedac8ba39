import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import type { LineageView } from '@shared/views'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'
import { useCatalog } from '../settings/catalogStore'
import { emptyDraft, specFrom, type Draft } from '../../lib/draft'
import { useJobs } from '../batches/jobsStore'
import { drawnMaskPayload } from './mask/encodeMask'
import { maskKeyOf } from './mask/maskStore'
import { referencesPayload } from '../../components/references/referencesStore'
import { useEditorReferences } from './referencesStore'

/** An earlier result being edited instead of a library image: named by its record and output, never a path. */
export interface EditBase {
  recordId: string
  outputIndex: number
  url: string | null
  name: string
  width: number
  height: number
}

interface EditorState {
  draft: Draft
  assetIds: string[]
  /** The version the next run continues from; while set, it is the image edited. */
  base: EditBase | null
  batchId: string | null
  starting: boolean
  error: AppErrorData | null
  /** The chain of the image on the stage, once it has a version in the history. */
  lineage: LineageView | null
  lineageError: AppErrorData | null
  setDraft(patch: Partial<Draft>): void
  setAssets(ids: string[]): void
  /** Makes an earlier result the image to edit (with the model that made it, when given). */
  continueFrom(base: EditBase, model?: string): void
  loadLineage(recordId: string): Promise<void>
  run(provider: ProviderId): Promise<void>
  clearResult(): void
}

export const useEditor = create<EditorState>()((set, get) => ({
  draft: emptyDraft,
  assetIds: [],
  base: null,
  batchId: null,
  starting: false,
  error: null,
  lineage: null,
  lineageError: null,
  setDraft: (patch) => set({ draft: { ...get().draft, ...patch }, error: null }),
  setAssets: (assetIds) => set({ assetIds, base: null, lineage: null, lineageError: null, error: null }),
  continueFrom(base, model) {
    const draft = model ? { ...get().draft, models: [model], paramsByModel: undefined } : get().draft
    // The chain on screen stays when the version picked is one of its own (branching from it).
    const sameChain = get().lineage?.versions.some((v) => v.recordId === base.recordId)
    set({ base, assetIds: [], batchId: null, draft, error: null, ...(sameChain ? {} : { lineage: null, lineageError: null }) })
    if (!sameChain) void get().loadLineage(base.recordId)
  },
  async loadLineage(recordId) {
    try {
      const lineage = await api.invoke('history.lineage', { recordId })
      set({ lineage, lineageError: null })
    } catch (err) {
      set({ lineageError: asError(err) })
    }
  },
  async run(provider) {
    const { draft, assetIds, base } = get()
    set({ starting: true, error: null })
    try {
      const models = useCatalog.getState().models
      const mask = await drawnMaskPayload(maskKeyOf(base, assetIds))
      let batch
      if (base) {
        const spec = specFrom(draft, models, provider, { kind: 'edit', assetIds: [] })
        const model = draft.models[0] ?? ''
        batch = await useJobs.getState().continueFrom({
          recordId: base.recordId,
          outputIndex: base.outputIndex,
          ...(spec.prompt ? { prompt: spec.prompt } : {}),
          ...(spec.templateId ? { templateId: spec.templateId } : {}),
          variables: spec.variables,
          model,
          params: { ...spec.params, ...spec.paramsByModel?.[model] },
          ...(mask ? { mask } : {})
        })
      } else {
        const spec = specFrom(draft, models, provider, {
          kind: 'edit',
          name: draft.prompt.trim().slice(0, 80) || undefined,
          assetIds,
          // A single edit is run on purpose: running the same thing again is what the user asked for.
          duplicates: 'run'
        })
        Object.assign(spec, referencesPayload(useEditorReferences.getState()))
        batch = await useJobs.getState().start(mask ? { ...spec, mask } : spec)
      }
      set({ batchId: batch.id, starting: false })
    } catch (err) {
      set({ error: err as AppErrorData, starting: false })
    }
  },
  clearResult: () => set({ batchId: null })
}))
