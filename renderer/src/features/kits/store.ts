import { useEffect } from 'react'
import { create } from 'zustand'
import { useShallow } from 'zustand/react/shallow'
import type { AppErrorData } from '@shared/errors'
import type { KitInput, KitReferenceInput, KitView } from '@shared/kits'
import { MAX_REFERENCES } from '@shared/references'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'

/** One image of the kit being edited: one the kit holds already, or a library image to copy in on save. */
export interface KitFormImage {
  /** Stable within the form: the kit file's hash, or the library asset id. */
  key: string
  source: { kitFile: string } | { assetId: string }
  label: string
  url: string | null
  role: string
}

interface KitForm {
  name: string
  description: string
  images: KitFormImage[]
  snippets: string[]
}

interface Editing {
  /** The kit being changed; absent for a new one. */
  id?: string
  form: KitForm
}

interface KitsState {
  kits: KitView[]
  loaded: boolean
  /** Why the kits could not be listed (shown where a kit is picked). */
  loadError: string | null
  error: AppErrorData | null
  selectedId: string | null
  editing: Editing | null
  saving: boolean
  /** What the last action did, in words. */
  notice: string | null
  load(): Promise<void>
  select(id: string | null): void
  startNew(): void
  startEdit(id: string): void
  cancelEdit(): void
  setForm(patch: Partial<KitForm>): void
  addImages(images: readonly Omit<KitFormImage, 'role'>[]): void
  save(): Promise<boolean>
  duplicate(id: string): Promise<void>
  remove(id: string): Promise<void>
  importKit(form: 'folder' | 'json'): Promise<void>
  exportKit(id: string, form: 'folder' | 'json'): Promise<void>
}

const emptyKitForm = (): KitForm => ({ name: '', description: '', images: [], snippets: [] })

function formFromKit(kit: KitView): KitForm {
  return {
    name: kit.name,
    description: kit.description ?? '',
    images: kit.references.map((ref) => ({ key: ref.sha256, source: { kitFile: ref.file }, label: ref.file, url: ref.url ?? null, role: ref.role ?? '' })),
    snippets: [...kit.snippets]
  }
}

function kitInputOf(form: KitForm): KitInput {
  const references = form.images.map((image): KitReferenceInput => ({ ...image.source, ...(image.role.trim() ? { role: image.role.trim() } : {}) }))
  return {
    name: form.name.trim(),
    ...(form.description.trim() ? { description: form.description.trim() } : {}),
    references,
    snippets: form.snippets.map((s) => s.trim()).filter(Boolean)
  }
}

/** What keeps the form from being saved, in words; the main process checks the same and more. */
export function kitFormProblem(form: KitForm): string | null {
  if (!/[A-Za-z0-9]/.test(form.name)) return 'Give the kit a name with at least one letter or digit.'
  if (form.images.length > MAX_REFERENCES) return `A kit holds at most ${MAX_REFERENCES} images.`
  return null
}

export const useKits = create<KitsState>()((set, get) => {
  const refresh = async () => {
    const kits = await api.invoke('kits.list', {})
    set({ kits, loaded: true, loadError: null })
  }
  const attempt = async (action: () => Promise<void>) => {
    set({ error: null, notice: null })
    try {
      await action()
    } catch (err) {
      set({ error: asError(err) })
    }
  }
  return {
    kits: [],
    loaded: false,
    loadError: null,
    error: null,
    selectedId: null,
    editing: null,
    saving: false,
    notice: null,
    async load() {
      try {
        await refresh()
      } catch (err) {
        set({ loaded: true, loadError: asError(err).message })
      }
    },
    select: (selectedId) => set({ selectedId, editing: null, error: null }),
    startNew: () => set({ editing: { form: emptyKitForm() }, selectedId: null, error: null, notice: null }),
    startEdit(id) {
      const kit = get().kits.find((k) => k.id === id)
      if (kit) set({ editing: { id, form: formFromKit(kit) }, selectedId: id, error: null, notice: null })
    },
    cancelEdit: () => set({ editing: null, error: null }),
    setForm(patch) {
      const editing = get().editing
      if (editing) set({ editing: { ...editing, form: { ...editing.form, ...patch } } })
    },
    addImages(images) {
      const editing = get().editing
      if (!editing) return
      const have = new Set(editing.form.images.map((i) => i.key))
      const added = images.filter((i) => !have.has(i.key)).map((i) => ({ ...i, role: '' }))
      set({ editing: { ...editing, form: { ...editing.form, images: [...editing.form.images, ...added] } } })
    },
    async save() {
      const editing = get().editing
      if (!editing || kitFormProblem(editing.form)) return false
      set({ saving: true, error: null, notice: null })
      try {
        const kit = kitInputOf(editing.form)
        const saved = editing.id ? await api.invoke('kits.update', { id: editing.id, kit }) : await api.invoke('kits.create', { kit })
        await refresh()
        set({ editing: null, selectedId: saved.id, notice: `Saved "${saved.name}".` })
        return true
      } catch (err) {
        set({ error: asError(err) })
        return false
      } finally {
        set({ saving: false })
      }
    },
    duplicate: (id) =>
      attempt(async () => {
        const copy = await api.invoke('kits.duplicate', { id })
        await refresh()
        set({ selectedId: copy.id, editing: { id: copy.id, form: formFromKit(copy) }, notice: `Made "${copy.name}": change it and save.` })
      }),
    remove: (id) =>
      attempt(async () => {
        const name = get().kits.find((k) => k.id === id)?.name ?? id
        await api.invoke('kits.delete', { id })
        await refresh()
        set({ selectedId: null, editing: null, notice: `Deleted "${name}".` })
      }),
    importKit: (form) =>
      attempt(async () => {
        const kit = await api.invoke('kits.import', { form })
        if (!kit) return
        await refresh()
        set({ selectedId: kit.id, editing: null, notice: `Imported "${kit.name}" with ${kit.references.length} image${kit.references.length === 1 ? '' : 's'}.` })
      }),
    exportKit: (id, form) =>
      attempt(async () => {
        const result = await api.invoke('kits.export', { id, form })
        set({ notice: result.path ? `Exported to ${result.path}.` : 'Export cancelled.' })
      })
  }
})

/** The kits a tray offers, listed once when first needed; `loadError` when they could not be read. */
export function useKitChoices(): { kits: KitView[]; loaded: boolean; loadError: string | null } {
  const { kits, loaded, loadError } = useKits(useShallow((s) => ({ kits: s.kits, loaded: s.loaded, loadError: s.loadError })))
  useEffect(() => {
    if (!loaded) void useKits.getState().load()
  }, [loaded])
  return { kits, loaded, loadError }
}

/** How many reference images a request sends: the kit's, then the ones picked. */
export function referenceCount(kits: readonly KitView[], kitId: string | null, picks: number): number {
  return (kits.find((k) => k.id === kitId)?.references.length ?? 0) + picks
}
