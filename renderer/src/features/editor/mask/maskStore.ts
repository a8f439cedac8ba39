import { create } from 'zustand'
import { emptyHistory, pushOp, redo, undo, type MaskHistory, type MaskOp, type MaskTool, type Size } from './maskModel'

/** The picture a mask was drawn over: a library image or an earlier version, and its full upright size. */
export interface MaskTarget {
  key: string
  size: Size
}

interface MaskState {
  target: MaskTarget | null
  /** The tools are out and the picture takes strokes instead of pans. */
  drawing: boolean
  tool: MaskTool
  /** Brush radius in the picture's own pixels, so a stroke covers the same detail at any zoom. */
  radius: number
  /** 0–100: how much of the brush's radius is fully opaque. */
  hardness: number
  /** Picture pixels over which the edit fades in, inside the mask's edge. */
  feather: number
  history: MaskHistory
  /** Starts (or goes back to) the mask of a picture; another picture starts an empty one. */
  open(target: MaskTarget): void
  /** Puts the tools away; the mask stays and goes with the next run. */
  close(): void
  /** Forgets the mask (another picture was chosen, or the user removed it). */
  discard(): void
  setTool(tool: MaskTool): void
  setRadius(radius: number): void
  setHardness(hardness: number): void
  setFeather(feather: number): void
  push(op: MaskOp): void
  undo(): void
  redo(): void
}

const MIN_RADIUS = 1
export const MAX_RADIUS = 500
const clampRadius = (r: number) => Math.min(MAX_RADIUS, Math.max(MIN_RADIUS, Math.round(r)))

/** A brush of about 3% of the picture's long edge: big enough to see, small enough for details. */
const startRadius = (size: Size) => clampRadius(Math.max(size.width, size.height) * 0.03)

export const useMask = create<MaskState>()((set, get) => ({
  target: null,
  drawing: false,
  tool: 'brush',
  radius: 24,
  hardness: 80,
  feather: 0,
  history: emptyHistory,
  open(target) {
    const same = get().target?.key === target.key
    set(same ? { drawing: true, target } : { drawing: true, target, history: emptyHistory, radius: startRadius(target.size) })
  },
  close: () => set({ drawing: false }),
  discard: () => set({ target: null, drawing: false, history: emptyHistory }),
  setTool: (tool) => set({ tool }),
  setRadius: (radius) => set({ radius: clampRadius(radius) }),
  setHardness: (hardness) => set({ hardness: Math.min(100, Math.max(0, Math.round(hardness))) }),
  setFeather: (feather) => set({ feather: Math.min(200, Math.max(0, Math.round(feather))) }),
  push: (op) => set({ history: pushOp(get().history, op) }),
  undo: () => set({ history: undo(get().history) }),
  redo: () => set({ history: redo(get().history) })
}))

/** The mask that goes with a run on `key`: only when it was drawn over that very picture and marks something. */
export function maskFor(key: string | null): { target: MaskTarget; ops: readonly MaskOp[]; feather: number } | null {
  const { target, history, feather } = useMask.getState()
  if (!key || !target || target.key !== key || !history.done.length) return null
  return { target, ops: history.done, feather }
}

/** Which picture a run edits, as the mask names it: the version continued from, else the one library image. */
export function maskKeyOf(base: { recordId: string; outputIndex: number } | null, assetIds: readonly string[]): string | null {
  if (base) return `version:${base.recordId}:${base.outputIndex}`
  return assetIds.length === 1 ? `asset:${assetIds[0]}` : null
}
