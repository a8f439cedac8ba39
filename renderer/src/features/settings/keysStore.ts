import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import type { KeyStatusView, KeyTestView } from '@shared/views'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'

interface KeysState {
  statuses: KeyStatusView[]
  loaded: boolean
  error: AppErrorData | null
  tests: Partial<Record<ProviderId, KeyTestView | { pending: true }>>
  load(): Promise<void>
  /** The key goes straight to the main process; nothing here keeps it after the call. */
  save(provider: ProviderId, key: string): Promise<void>
  remove(provider: ProviderId): Promise<void>
  test(provider: ProviderId): Promise<void>
}

function replace(list: KeyStatusView[], next: KeyStatusView): KeyStatusView[] {
  return list.some((s) => s.provider === next.provider) ? list.map((s) => (s.provider === next.provider ? next : s)) : [...list, next]
}

export const useKeys = create<KeysState>()((set, get) => ({
  statuses: [],
  loaded: false,
  error: null,
  tests: {},
  async load() {
    try {
      set({ statuses: await api.invoke('keys.status', {}), loaded: true, error: null })
    } catch (err) {
      set({ error: asError(err), loaded: true })
    }
  },
  async save(provider, key) {
    try {
      const status = await api.invoke('keys.set', { provider, key })
      set({ statuses: replace(get().statuses, status), tests: { ...get().tests, [provider]: undefined } })
    } catch (err) {
      throw asError(err)
    }
  },
  async remove(provider) {
    try {
      const status = await api.invoke('keys.delete', { provider })
      set({ statuses: replace(get().statuses, status), tests: { ...get().tests, [provider]: undefined } })
    } catch (err) {
      throw asError(err)
    }
  },
  async test(provider) {
    set({ tests: { ...get().tests, [provider]: { pending: true } } })
    try {
      const result = await api.invoke('keys.test', { provider })
      set({ tests: { ...get().tests, [provider]: result } })
    } catch (err) {
      const error = asError(err)
      set({ tests: { ...get().tests, [provider]: { provider, ok: false, checked: false, message: error.message } } })
    }
  }
}))

export function anyKeySet(statuses: readonly KeyStatusView[]): boolean {
  return statuses.some((s) => s.set)
}
