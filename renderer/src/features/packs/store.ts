import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { Pack, PackPlanView } from '@shared/packs'
import { api } from '../../lib/api'
import { asError, plural } from '../../lib/format'
import { useJobs } from '../batches/jobsStore'

interface PacksState {
  packs: Pack[]
  warnings: string[]
  loaded: boolean
  packId: string
  model: string
  assetIds: string[]
  extraPrompt: string
  allowUpscale: boolean
  plan: PackPlanView | null
  /** The plan shown belongs to this exact request; any change makes it stale until planned again. */
  planKey: string | null
  planning: boolean
  running: boolean
  /** The batch of the last run: its items make the contact sheet. */
  batchId: string | null
  error: AppErrorData | null
  notice: string | null
  /** A pack being written as JSON (new or one of the user's own). */
  editing: { id?: string; text: string } | null
  load(): Promise<void>
  set(patch: Partial<Pick<PacksState, 'packId' | 'model' | 'assetIds' | 'extraPrompt' | 'allowUpscale'>>): void
  requestKey(): string
  planNow(): Promise<void>
  run(): Promise<void>
  startEdit(pack?: Pack): void
  setEditText(text: string): void
  cancelEdit(): void
  saveEdit(): Promise<void>
  remove(id: string): Promise<void>
  importFile(): Promise<void>
  exportOwn(): Promise<void>
}

const NEW_PACK = {
  name: 'My pack',
  description: 'What the pack is for',
  targets: [{ name: 'Banner', width: 1600, height: 600, format: 'jpeg', quality: 88, maxBytes: 400 * 1024, background: 'keep', method: 'recompose' }]
}

/** A pack as the editor shows it: the fields a person writes, as JSON. */
function editableText(pack: Pack | undefined): string {
  if (!pack) return JSON.stringify(NEW_PACK, null, 2)
  return JSON.stringify({ name: pack.name, ...(pack.description ? { description: pack.description } : {}), targets: pack.targets }, null, 2)
}

export const usePacks = create<PacksState>()((set, get) => {
  const attempt = async (action: () => Promise<void>) => {
    set({ error: null, notice: null })
    try {
      await action()
    } catch (err) {
      set({ error: asError(err) })
    }
  }
  const request = () => {
    const s = get()
    return { packId: s.packId, model: s.model, assetIds: s.assetIds, allowUpscale: s.allowUpscale, ...(s.extraPrompt.trim() ? { extraPrompt: s.extraPrompt.trim() } : {}) }
  }
  const refresh = async () => {
    const packs = await api.invoke('packs.list', {})
    set({ packs, loaded: true, ...(packs.some((p) => p.id === get().packId) ? {} : { packId: packs[0]?.id ?? '' }) })
  }
  return {
    packs: [],
    warnings: [],
    loaded: false,
    packId: 'social',
    model: '',
    assetIds: [],
    extraPrompt: '',
    allowUpscale: false,
    plan: null,
    planKey: null,
    planning: false,
    running: false,
    batchId: null,
    error: null,
    notice: null,
    editing: null,
    load: () => attempt(refresh),
    set: (patch) => set({ ...patch, error: null }),
    requestKey: () => JSON.stringify(request()),
    async planNow() {
      const key = get().requestKey()
      set({ planning: true })
      try {
        const plan = await api.invoke('packs.plan', request())
        // A later change may have asked again meanwhile: only the answer to the current request is kept.
        if (get().requestKey() === key) set({ plan, planKey: key, error: null })
      } catch (err) {
        if (get().requestKey() === key) set({ plan: null, planKey: null, error: asError(err) })
      } finally {
        set({ planning: false })
      }
    },
    async run() {
      set({ running: true, error: null, notice: null })
      try {
        const batch = await api.invoke('packs.run', request())
        const { items, ...view } = batch
        useJobs.setState((s) => ({ batches: { ...s.batches, [batch.id]: view }, items: { ...s.items, [batch.id]: items } }))
        set({ batchId: batch.id })
      } catch (err) {
        set({ error: asError(err) })
      } finally {
        set({ running: false })
      }
    },
    startEdit: (pack) => set({ editing: { ...(pack ? { id: pack.id } : {}), text: editableText(pack) }, error: null, notice: null }),
    setEditText: (text) => set({ editing: { ...get().editing, text } }),
    cancelEdit: () => set({ editing: null, error: null }),
    saveEdit: () =>
      attempt(async () => {
        const editing = get().editing
        if (!editing) return
        let pack: unknown
        try {
          pack = JSON.parse(editing.text)
        } catch (err) {
          throw { code: 'validation', field: 'pack', message: `The pack is not valid JSON: ${(err as Error).message}.` } satisfies AppErrorData
        }
        const saved = await api.invoke('packs.save', { ...(editing.id ? { id: editing.id } : {}), pack: pack as never })
        await refresh()
        set({ editing: null, packId: saved.id, notice: `Saved ${saved.name}.` })
      }),
    remove: (id) =>
      attempt(async () => {
        await api.invoke('packs.delete', { id })
        await refresh()
        set({ notice: 'Pack deleted.' })
      }),
    importFile: () =>
      attempt(async () => {
        const result = await api.invoke('packs.import', {})
        if (!result) return
        await refresh()
        set({ notice: `Imported ${plural(result.imported.length, 'pack')}.`, ...(result.imported[0] ? { packId: result.imported[0].id } : {}) })
      }),
    exportOwn: () =>
      attempt(async () => {
        const result = await api.invoke('packs.export', {})
        if (result.path) set({ notice: `Exported ${plural(result.count, 'pack')} to ${result.path}.` })
      })
  }
})
