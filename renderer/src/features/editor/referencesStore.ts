import { create } from 'zustand'
import type { KitView } from '@shared/kits'
import { MAX_REFERENCES } from '@shared/references'
import { api } from '../../lib/api'

/**
 * The editor's reference images: library assets (named by id, never by path) in the order they will be
 * sent after the image edited, each with an optional role, and the brand kit chosen, if any.
 */
export interface ReferencePick {
  assetId: string
  role: string
}

interface ReferencesState {
  picks: ReferencePick[]
  kitId: string | null
  kits: KitView[]
  kitsLoaded: boolean
  add(assetIds: readonly string[]): void
  remove(assetId: string): void
  move(assetId: string, by: -1 | 1): void
  setRole(assetId: string, role: string): void
  setKit(kitId: string | null): void
  loadKits(): Promise<void>
  clear(): void
}

export const useReferences = create<ReferencesState>()((set, get) => ({
  picks: [],
  kitId: null,
  kits: [],
  kitsLoaded: false,
  add(assetIds) {
    const picks = [...get().picks]
    for (const assetId of assetIds) if (!picks.some((p) => p.assetId === assetId)) picks.push({ assetId, role: '' })
    set({ picks: picks.slice(0, MAX_REFERENCES) })
  },
  remove: (assetId) => set({ picks: get().picks.filter((p) => p.assetId !== assetId) }),
  move(assetId, by) {
    const picks = [...get().picks]
    const at = picks.findIndex((p) => p.assetId === assetId)
    const to = at + by
    if (at < 0 || to < 0 || to >= picks.length) return
    ;[picks[at], picks[to]] = [picks[to]!, picks[at]!]
    set({ picks })
  },
  setRole: (assetId, role) => set({ picks: get().picks.map((p) => (p.assetId === assetId ? { ...p, role } : p)) }),
  setKit: (kitId) => set({ kitId }),
  async loadKits() {
    const kits = await api.invoke('kits.list', {})
    set({ kits, kitsLoaded: true, kitId: kits.some((k) => k.id === get().kitId) ? get().kitId : null })
  },
  clear: () => set({ picks: [], kitId: null })
}))

/** What a batch request carries for the references: ids, roles by position, the kit. */
export function referencesPayload(): { referenceAssetIds: string[]; referenceRoles: Array<string | null>; kitId?: string } {
  const { picks, kitId } = useReferences.getState()
  return {
    referenceAssetIds: picks.map((p) => p.assetId),
    referenceRoles: picks.map((p) => p.role.trim() || null),
    ...(kitId ? { kitId } : {})
  }
}

/** The drag type the editor's image chips carry: a library asset id. */
export const ASSET_DRAG_TYPE = 'application/x-pixdesk-asset-id'
