import { useState } from 'react'
import { actualPixelsScale, panBy, resolveView, zoomTo, type Size, type ViewState } from './geometry'

const FIT: ViewState = { fit: true }
const SHARED = '*'
const NO_SIZE: Size = { width: 0, height: 0 }

export type ViewUpdate = (view: ViewState, viewport: Size) => ViewState

/**
 * The views of a viewer's surfaces onto one frame: a single shared view when zoom is synchronised
 * (side by side panes are the same size, so one view shows the same spot in each), else one per surface.
 */
export function useFrameViews(surfaceKeys: readonly string[], shared: boolean, frame: Size, devicePixelRatio: number) {
  const [views, setViews] = useState<Record<string, ViewState>>({})
  const [viewports, setViewports] = useState<Record<string, Size>>({})
  const first = surfaceKeys[0] ?? ''
  const stateKey = (surface: string) => (shared ? SHARED : surface)
  const viewportOf = (surface: string): Size => viewports[surface] ?? viewports[first] ?? NO_SIZE
  const viewOf = (surface: string): ViewState => views[stateKey(surface)] ?? FIT

  const update = (surface: string, fn: ViewUpdate) => setViews((prev) => ({ ...prev, [stateKey(surface)]: fn(prev[stateKey(surface)] ?? FIT, viewportOf(surface)) }))
  /** Toolbar and keyboard actions: the shared view, or every surface's own. */
  const updateAll = (fn: ViewUpdate) =>
    setViews((prev) => {
      const next = { ...prev }
      for (const surface of shared ? [first] : surfaceKeys) next[stateKey(surface)] = fn(prev[stateKey(surface)] ?? FIT, viewportOf(surface))
      return next
    })
  const onSize = (surface: string, size: Size) =>
    setViewports((prev) => (prev[surface]?.width === size.width && prev[surface]?.height === size.height ? prev : { ...prev, [surface]: size }))

  const current = viewOf(first)
  return {
    viewOf,
    update,
    onSize,
    scale: resolveView(current, frame, viewportOf(first)).scale,
    isFit: current.fit,
    zoomBy: (factor: number) => updateAll((v, vp) => zoomTo(v, resolveView(v, frame, vp).scale * factor, frame, vp, devicePixelRatio)),
    fit: () => updateAll(() => FIT),
    actualPixels: () => updateAll((v, vp) => zoomTo(v, actualPixelsScale(devicePixelRatio), frame, vp, devicePixelRatio)),
    pan: (dx: number, dy: number) => updateAll((v, vp) => panBy(v, dx, dy, frame, vp))
  }
}
