import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { Settings, SettingsNotice, SettingsPatch } from '@shared/settings'
import type { SandboxView } from '@shared/views'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'

interface SettingsState {
  settings: Settings | null
  notice: SettingsNotice | null
  loading: boolean
  error: AppErrorData | null
  load(): Promise<void>
  /** Resolves with the saved settings; rejects with AppErrorData so forms can mark the field. */
  update(patch: SettingsPatch): Promise<Settings>
  /** Asks for a folder and makes it the output folder; null when the user cancelled. Rejects with AppErrorData. */
  pickOutputFolder(): Promise<Settings | null>
  dismissNotice(): void
  /** The built-in simulator's state; null until known or when the main process cannot say. */
  sandbox: SandboxView | null
  refreshSandbox(): Promise<void>
}

export const useSettings = create<SettingsState>()((set) => ({
  settings: null,
  notice: null,
  loading: false,
  error: null,
  async load() {
    set({ loading: true, error: null })
    try {
      const { settings, notice } = await api.invoke('settings.get', {})
      set({ settings, notice: notice ?? null, loading: false })
    } catch (err) {
      set({ error: asError(err), loading: false })
    }
  },
  async update(patch) {
    try {
      const settings = await api.invoke('settings.update', { patch: patch as Record<string, unknown> })
      set({ settings, error: null })
      return settings
    } catch (err) {
      throw asError(err)
    }
  },
  async pickOutputFolder() {
    try {
      const settings = await api.invoke('settings.pickOutputFolder', {})
      if (settings) set({ settings, error: null })
      return settings
    } catch (err) {
      throw asError(err)
    }
  },
  dismissNotice: () => set({ notice: null }),
  sandbox: null,
  async refreshSandbox() {
    try {
      set({ sandbox: await api.invoke('sandbox.status', {}) })
    } catch {
      set({ sandbox: null })
    }
  }
}))

api.on('settings.changed', (settings) => useSettings.setState({ settings }))
