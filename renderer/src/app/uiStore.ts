import { create } from 'zustand'
import type { AppInfo, EventMap } from '@shared/contract'
import type { NetworkView } from '@shared/views'
import { api } from '../lib/api'

export type ViewId = 'library' | 'editor' | 'compare' | 'batches' | 'history' | 'settings' | 'templates' | 'packs' | 'watch' | 'kits'

export interface Toast {
  id: number
  level: EventMap['app.notice']['level']
  message: string
}

interface UiState {
  view: ViewId
  paletteOpen: boolean
  toasts: Toast[]
  network: NetworkView
  /** Name and version for the sidebar; null until the main process answers. */
  info: AppInfo | null
  navigate(view: ViewId): void
  setPalette(open: boolean): void
  toast(level: Toast['level'], message: string): void
  dismissToast(id: number): void
  refreshNetwork(): Promise<void>
  loadInfo(): Promise<void>
  /** Listens for what the app menu or a clicked notification asks for; returns the unsubscribe. */
  onAppCommand(handler: (command: EventMap['app.command']) => void): () => void
}

let nextToast = 1

export const useUi = create<UiState>()((set, get) => ({
  view: 'library',
  paletteOpen: false,
  toasts: [],
  network: { online: true },
  info: null,
  navigate: (view) => set({ view, paletteOpen: false }),
  setPalette: (paletteOpen) => set({ paletteOpen }),
  toast(level, message) {
    const id = nextToast++
    // Keep the newest few: a burst of notices must not bury the window.
    set({ toasts: [...get().toasts.slice(-3), { id, level, message }] })
    if (level !== 'error') setTimeout(() => get().dismissToast(id), 6000)
  },
  dismissToast: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
  async refreshNetwork() {
    try {
      set({ network: await api.invoke('jobs.network', {}) })
    } catch {
      // Until the jobs engine answers, the app assumes it is online: the banner only shows real outages.
    }
  },
  async loadInfo() {
    try {
      set({ info: await api.invoke('app.info', {}) })
    } catch {
      // The version line is a courtesy: without an answer the sidebar simply leaves it blank.
    }
  },
  onAppCommand: (handler) => api.on('app.command', handler)
}))

api.on('app.notice', (notice) => useUi.getState().toast(notice.level, notice.message))
api.on('jobs.network', (network) => useUi.setState({ network }))
