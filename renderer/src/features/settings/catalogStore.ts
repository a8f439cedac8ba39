import { create } from 'zustand'
import type { CustomModel, ModelEntry } from '@shared/catalog'
import type { AppErrorData } from '@shared/errors'
import type { TemplateView } from '@shared/views'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'

interface CatalogState {
  models: ModelEntry[]
  templates: TemplateView[]
  loaded: boolean
  error: AppErrorData | null
  templatesError: AppErrorData | null
  load(): Promise<void>
  addCustom(model: CustomModel): Promise<ModelEntry>
  removeCustom(id: string): Promise<void>
}

export const useCatalog = create<CatalogState>()((set, get) => ({
  models: [],
  templates: [],
  loaded: false,
  error: null,
  templatesError: null,
  async load() {
    const [models, templates] = await Promise.allSettled([api.invoke('catalog.models', {}), api.invoke('templates.list', {})])
    set({
      models: models.status === 'fulfilled' ? models.value : get().models,
      error: models.status === 'rejected' ? asError(models.reason) : null,
      templates: templates.status === 'fulfilled' ? templates.value : get().templates,
      templatesError: templates.status === 'rejected' ? asError(templates.reason) : null,
      loaded: true
    })
  },
  async addCustom(model) {
    try {
      const entry = await api.invoke('catalog.addCustom', model)
      set({ models: [...get().models.filter((m) => m.id !== entry.id), entry] })
      return entry
    } catch (err) {
      throw asError(err)
    }
  },
  async removeCustom(id) {
    try {
      set({ models: await api.invoke('catalog.removeCustom', { id }) })
    } catch (err) {
      throw asError(err)
    }
  }
}))
