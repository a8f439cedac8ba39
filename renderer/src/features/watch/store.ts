import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import { DEFAULT_WATCH_PATTERNS, type WatchRule, type WatchRuleInput, type WatchRuleView } from '@shared/watch'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'

/** The rule form as typed: text fields stay text until saved, so a half-typed budget is not lost. */
export interface WatchForm {
  name: string
  folder: string
  recursive: boolean
  patterns: string
  mode: 'prompt' | 'template' | 'pack'
  prompt: string
  templateId: string
  packId: string
  /** For a pack: accept enlarging where a target is larger than the model makes. */
  allowUpscale: boolean
  model: string
  size: string
  quality: string
  aspectRatio: string
  outputDir: string
  dailyBudget: string
  includeExisting: boolean
}

export function emptyWatchForm(): WatchForm {
  return {
    name: '',
    folder: '',
    recursive: false,
    patterns: DEFAULT_WATCH_PATTERNS.join(', '),
    mode: 'prompt',
    prompt: '',
    templateId: '',
    packId: '',
    allowUpscale: false,
    model: '',
    size: '',
    quality: '',
    aspectRatio: '',
    outputDir: '',
    dailyBudget: '',
    includeExisting: false
  }
}

function formOf(rule: WatchRule): WatchForm {
  return {
    name: rule.name,
    folder: rule.folder,
    recursive: rule.recursive,
    patterns: rule.patterns.join(', '),
    mode: rule.packId ? 'pack' : rule.templateId ? 'template' : 'prompt',
    prompt: rule.prompt ?? '',
    templateId: rule.templateId ?? '',
    packId: rule.packId ?? '',
    allowUpscale: rule.allowUpscale === true,
    model: rule.models[0] ?? '',
    size: rule.params.size ?? '',
    quality: rule.params.quality ?? '',
    aspectRatio: rule.params.aspectRatio ?? '',
    outputDir: rule.outputDir ?? '',
    dailyBudget: rule.dailyBudget === null ? '' : String(rule.dailyBudget),
    includeExisting: rule.includeExisting
  }
}

/** The form as the main process takes it; a problem it can tell at once is thrown with its field. */
function inputOf(form: WatchForm): WatchRuleInput {
  const budget = form.dailyBudget.trim()
  if (budget && !/^\d+(\.\d+)?$/.test(budget)) throw { code: 'validation', field: 'dailyBudget', message: 'The daily budget is a number of credits, e.g. 200 (empty: no daily cap).' } satisfies AppErrorData
  const pack = form.mode === 'pack'
  if (pack && !form.packId) throw { code: 'validation', field: 'packId', message: 'Choose the pack each new image is made into.' } satisfies AppErrorData
  // A pack sets each target's size itself; what was typed for an edit is not sent with it.
  const params = {
    ...(!pack && form.size.trim() ? { size: form.size.trim() } : {}),
    ...(form.quality.trim() ? { quality: form.quality.trim() } : {}),
    ...(!pack && form.aspectRatio.trim() ? { aspectRatio: form.aspectRatio.trim() } : {})
  }
  return {
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
    folder: form.folder,
    recursive: form.recursive,
    patterns: form.patterns
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    ...(form.mode === 'pack'
      ? { packId: form.packId, ...(form.allowUpscale ? { allowUpscale: true } : {}) }
      : form.mode === 'prompt'
        ? { prompt: form.prompt }
        : { templateId: form.templateId, ...(form.prompt.trim() ? { prompt: form.prompt } : {}) }),
    models: form.model ? [form.model] : [],
    params,
    ...(form.outputDir ? { outputDir: form.outputDir } : {}),
    dailyBudget: budget ? Number(budget) : null,
    includeExisting: form.includeExisting
  }
}

interface WatchState {
  rules: WatchRuleView[]
  loaded: boolean
  error: AppErrorData | null
  editing: { id?: string; form: WatchForm } | null
  saving: boolean
  load(): Promise<void>
  startNew(): void
  startEdit(id: string): void
  cancelEdit(): void
  setForm(patch: Partial<WatchForm>): void
  /** Asks main for a folder (native dialog) for the watched folder or the output folder. */
  pickFolder(field: 'folder' | 'outputDir'): Promise<void>
  save(): Promise<boolean>
  setPaused(id: string, paused: boolean): Promise<void>
  remove(id: string): Promise<void>
  applyView(view: WatchRuleView): void
}

export const useWatch = create<WatchState>()((set, get) => {
  const attempt = async (action: () => Promise<void>) => {
    set({ error: null })
    try {
      await action()
    } catch (err) {
      set({ error: asError(err) })
    }
  }
  return {
    rules: [],
    loaded: false,
    error: null,
    editing: null,
    saving: false,
    load: () => attempt(async () => set({ rules: await api.invoke('watch.list', {}), loaded: true })),
    startNew: () => set({ editing: { form: emptyWatchForm() }, error: null }),
    startEdit(id) {
      const view = get().rules.find((r) => r.rule.id === id)
      if (view) set({ editing: { id, form: formOf(view.rule) }, error: null })
    },
    cancelEdit: () => set({ editing: null, error: null }),
    setForm(patch) {
      const editing = get().editing
      if (editing) set({ editing: { ...editing, form: { ...editing.form, ...patch } } })
    },
    pickFolder: (field) =>
      attempt(async () => {
        const picked = await api.invoke('watch.pickFolder', {})
        if (picked) get().setForm({ [field]: picked.path })
      }),
    async save() {
      const editing = get().editing
      if (!editing) return false
      set({ saving: true, error: null })
      try {
        const rule = inputOf(editing.form)
        const view = editing.id ? await api.invoke('watch.update', { id: editing.id, rule }) : await api.invoke('watch.create', { rule })
        get().applyView(view)
        set({ editing: null })
        return true
      } catch (err) {
        set({ error: asError(err) })
        return false
      } finally {
        set({ saving: false })
      }
    },
    setPaused: (id, paused) => attempt(async () => get().applyView(await api.invoke('watch.setPaused', { id, paused }))),
    remove: (id) =>
      attempt(async () => {
        await api.invoke('watch.delete', { id })
        set({ rules: get().rules.filter((r) => r.rule.id !== id) })
      }),
    applyView(view) {
      const rules = get().rules
      const known = rules.some((r) => r.rule.id === view.rule.id)
      set({ rules: known ? rules.map((r) => (r.rule.id === view.rule.id ? view : r)) : [...rules, view] })
    }
  }
})

api.on('watch.rule', (view) => useWatch.getState().applyView(view))
