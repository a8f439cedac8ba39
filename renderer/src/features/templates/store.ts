import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { TemplateImportView, TemplateView } from '@shared/templates'
import { api } from '../../lib/api'
import { asError, plural } from '../../lib/format'
import { useCatalog } from '../settings/catalogStore'
import { emptyForm, formFromTemplate, formProblems, formToInput, type TemplateForm } from './form'

interface Editing {
  /** The template being changed; absent for a new one. */
  id?: string
  form: TemplateForm
  /** Problems are shown from the first save attempt on, not while the first words are typed. */
  submitted: boolean
}

interface TemplatesState {
  templates: TemplateView[]
  warnings: string[]
  loaded: boolean
  error: AppErrorData | null
  selectedId: string | null
  query: string
  editing: Editing | null
  saving: boolean
  /** What the last action did, in words (an import, an export). */
  notice: string | null
  load(): Promise<void>
  select(id: string | null): void
  setQuery(query: string): void
  startNew(): void
  startEdit(id: string): void
  cancelEdit(): void
  setForm(patch: Partial<TemplateForm>): void
  save(): Promise<boolean>
  duplicate(id: string): Promise<void>
  remove(id: string): Promise<void>
  importFile(): Promise<void>
  exportTemplates(ids?: string[]): Promise<void>
}

function importNotice(result: TemplateImportView): string {
  const renamed = result.renamed.length ? ` ${plural(result.renamed.length, 'id was', 'ids were')} taken, so ${result.renamed.map((r) => `"${r.from}" became "${r.to}"`).join(', ')}.` : ''
  return `Imported ${plural(result.imported.length, 'template')} from ${result.file}.${renamed}`
}

export const useTemplates = create<TemplatesState>()((set, get) => {
  /** The list here and the one the prompt boxes offer stay the same. */
  const publish = (templates: TemplateView[]) => {
    set({ templates })
    useCatalog.setState({ templates, templatesError: null })
  }
  const refresh = async () => {
    const [templates, warnings] = await Promise.all([api.invoke('templates.list', {}), api.invoke('templates.warnings', {})])
    publish(templates)
    set({ warnings, loaded: true })
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
    templates: [],
    warnings: [],
    loaded: false,
    error: null,
    selectedId: null,
    query: '',
    editing: null,
    saving: false,
    notice: null,
    load: () => attempt(refresh),
    select: (selectedId) => set({ selectedId, editing: null, error: null }),
    setQuery: (query) => set({ query }),
    startNew: () => set({ editing: { form: emptyForm(), submitted: false }, selectedId: null, error: null, notice: null }),
    startEdit(id) {
      const template = get().templates.find((t) => t.id === id)
      if (template && !template.builtIn) set({ editing: { id, form: formFromTemplate(template), submitted: false }, selectedId: id, error: null, notice: null })
    },
    cancelEdit: () => set({ editing: null, error: null }),
    setForm(patch) {
      const editing = get().editing
      if (editing) set({ editing: { ...editing, form: { ...editing.form, ...patch } } })
    },
    async save() {
      const editing = get().editing
      if (!editing) return false
      set({ editing: { ...editing, submitted: true }, error: null })
      // The form shows what to fix; nothing is sent until it would be accepted.
      if (formProblems(editing.form).size) return false
      set({ saving: true })
      try {
        const template = formToInput(editing.form)
        const saved = editing.id ? await api.invoke('templates.update', { id: editing.id, template }) : await api.invoke('templates.create', { template })
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
        const copy = await api.invoke('templates.duplicate', { id })
        await refresh()
        set({ selectedId: copy.id, editing: { id: copy.id, form: formFromTemplate(copy), submitted: false }, notice: `Made "${copy.name}": change it and save.` })
      }),
    remove: (id) =>
      attempt(async () => {
        const name = get().templates.find((t) => t.id === id)?.name ?? id
        await api.invoke('templates.delete', { id })
        await refresh()
        set({ selectedId: null, editing: null, notice: `Deleted "${name}".` })
      }),
    importFile: () =>
      attempt(async () => {
        const result = await api.invoke('templates.import', {})
        if (!result) return
        await refresh()
        set({ selectedId: result.imported[0]?.id ?? null, editing: null, notice: importNotice(result) })
      }),
    exportTemplates: (ids) =>
      attempt(async () => {
        const result = await api.invoke('templates.export', ids ? { ids } : {})
        set({ notice: result.path ? `Exported ${plural(result.count, 'template')} to ${result.path}.` : 'Export cancelled.' })
      })
  }
})
