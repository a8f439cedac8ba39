import { create } from 'zustand'
import { MAX_REFERENCES } from '@shared/references'

/**
 * Reference images chosen for a request: library assets (named by id, never by path) in the order they
 * are sent after the image edited, each with an optional role, and the brand kit chosen, if any. The
 * editor and the batch form each have one.
 */
interface ReferencePick {
  assetId: string
  role: string
}

interface ReferencesState {
  picks: ReferencePick[]
  kitId: string | null
  add(assetIds: readonly string[]): void
  remove(assetId: string): void
  move(assetId: string, by: -1 | 1): void
  setRole(assetId: string, role: string): void
  setKit(kitId: string | null): void
  clear(): void
}

export function createReferencesStore() {
  return create<ReferencesState>()((set, get) => ({
    picks: [],
    kitId: null,
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
    clear: () => set({ picks: [], kitId: null })
  }))
}

export type ReferencesStore = ReturnType<typeof createReferencesStore>

/** What a batch request carries for the references: ids, roles by position, the kit. */
export function referencesPayload(state: Pick<ReferencesState, 'picks' | 'kitId'>): { referenceAssetIds: string[]; referenceRoles: Array<string | null>; kitId?: string } {
  return {
    referenceAssetIds: state.picks.map((p) => p.assetId),
    referenceRoles: state.picks.map((p) => p.role.trim() || null),
    ...(state.kitId ? { kitId: state.kitId } : {})
  }
}

/**
 * The drag type library tiles and the editor's image chips carry: library asset ids, one per line (a
 * tile dragged out of a selection carries the whole selection).
 */
export const ASSET_DRAG_TYPE = 'application/x-pixdesk-asset-id'

export function draggedAssetIds(data: DataTransfer): string[] {
  return data
    .getData(ASSET_DRAG_TYPE)
    .split('\n')
    .map((id) => id.trim())
    .filter(Boolean)
}
