import { useEffect, useState, type ReactNode } from 'react'
import { Icon } from '../Icon'
import { actualPixelsScale, aspectLabel, LENS_FACTOR, resolveView, shapesDiffer, zoomPercent, zoomTo, panBy, type Point, type Size, type ViewState } from './geometry'
import { Surface, type Layer } from './Surface'
import { useViewerKeys } from './useViewerKeys'
import './viewer.css'

export interface ViewerPane {
  key: string
  url: string | null
  title: string
  /** Small line under the title: model, latency, credits, state. */
  meta?: ReactNode
  /** Shown instead of the picture while it is not there (running, failed, missing file). */
  placeholder?: ReactNode
  /** Upright pixel size when known before loading (the asset's or the output's). */
  size?: Size | null
  /** What hold-to-compare shows: the before, in place of every after. */
  kind: 'before' | 'after'
}

export type ViewerMode = 'slider' | 'side-by-side' | 'hold'

export interface ImageViewerProps {
  panes: ViewerPane[]
  mode: ViewerMode
  /** The two panes the slider and hold-to-compare show, the before side first. */
  pair?: [number, number]
  /** Zoom and pan move every pane together (side by side). */
  sync?: boolean
  toolbar?: ReactNode
  /** Off for a copy of the viewer left under a full view, so keys act once. */
  keyboard?: boolean
}

const FIT: ViewState = { fit: true }
const SHARED = '*'
const SINGLE = 'single'
const NO_SIZE: Size = { width: 0, height: 0 }

function useDevicePixelRatio(): number {
  const [dpr, setDpr] = useState(() => window.devicePixelRatio || 1)
  useEffect(() => {
    const query = window.matchMedia(`(resolution: ${dpr}dppx)`)
    const changed = () => setDpr(window.devicePixelRatio || 1)
    query.addEventListener('change', changed)
    return () => query.removeEventListener('change', changed)
  }, [dpr])
  return dpr
}

/** The frame is drawn in the reference picture's pixels: the after being judged, else what is shown. */
function referenceOf(shown: readonly ViewerPane[], sizeOf: (p: ViewerPane) => Size | undefined): ViewerPane | undefined {
  const drawable = shown.filter((p) => p.url && sizeOf(p))
  return drawable.find((p) => p.kind === 'after') ?? drawable[0]
}

function ShapeNote({ shown, frame, sizeOf }: { shown: readonly ViewerPane[]; frame: Size; sizeOf: (p: ViewerPane) => Size | undefined }) {
  const sized = shown.filter((p) => p.url && sizeOf(p))
  if (!sized.some((p) => shapesDiffer(sizeOf(p)!, frame))) return null
  const list = sized.map((p) => `${p.title} ${aspectLabel(sizeOf(p)!)} (${sizeOf(p)!.width}×${sizeOf(p)!.height})`).join(', ')
  return (
    <p className="viewer-note" role="note" data-testid="viewer-shape-note">
      <Icon name="warning" size={14} /> Different shapes: {list}. Each is fitted into the same box, so details do not line up point for point.
    </p>
  )
}

function PairLabels({ left, right, holdState }: { left: ViewerPane; right: ViewerPane; holdState?: ReactNode }) {
  return (
    <div className="stage-labels">
      <span className="stage-label">
        <strong>{left.title}</strong> {left.meta}
      </span>
      {holdState}
      <span className="stage-label right">
        <strong>{right.title}</strong> {right.meta}
      </span>
    </div>
  )
}

/**
 * Pictures judged together, drawn in one coordinate frame: under a slider, side by side, or one over
 * the other with the before held in place (Space). Fit, 100% (one image pixel per screen pixel),
 * zoom and pan are shared, and a magnifier (L) shows the same spot in every pane.
 */
export function ImageViewer({ panes, mode, pair, sync = true, toolbar, keyboard = true }: ImageViewerProps) {
  const dpr = useDevicePixelRatio()
  const [views, setViews] = useState<Record<string, ViewState>>({})
  const [viewports, setViewports] = useState<Record<string, Size>>({})
  const [natural, setNatural] = useState<Record<string, Size>>({})
  const [holding, setHolding] = useState(false)
  const [lensOn, setLensOn] = useState(false)
  const [lensAt, setLensAt] = useState<Point | null>(null)
  const [split, setSplit] = useState(0.5)

  const [ia, ib] = pair ?? [0, 1]
  const left = panes[ia]
  const right = panes[ib]
  const single = mode !== 'side-by-side' && left !== undefined && right !== undefined
  const shown = single ? [left, right] : panes
  const surfaceKeys = single ? [SINGLE] : panes.map((p) => p.key)
  const sizeOf = (p: ViewerPane): Size | undefined => (p.url ? natural[p.url] : undefined) ?? p.size ?? undefined
  const reference = referenceOf(shown, sizeOf)
  const firstViewport = viewports[surfaceKeys[0] ?? SINGLE] ?? NO_SIZE
  const frame = (reference && sizeOf(reference)) || (firstViewport.width ? firstViewport : { width: 4, height: 3 })
  const stateKey = (surface: string) => (sync || single ? SHARED : surface)
  const viewOf = (surface: string) => views[stateKey(surface)] ?? FIT
  const before = (single ? left : panes.find((p) => p.kind === 'before')) ?? undefined

  const update = (surface: string, fn: (view: ViewState, viewport: Size) => ViewState) =>
    setViews((prev) => ({ ...prev, [stateKey(surface)]: fn(prev[stateKey(surface)] ?? FIT, viewports[surface] ?? firstViewport) }))
  const updateAll = (fn: (view: ViewState, viewport: Size) => ViewState) => {
    const keys = new Set(surfaceKeys.map(stateKey))
    setViews((prev) => {
      const next = { ...prev }
      for (const key of keys) next[key] = fn(prev[key] ?? FIT, viewports[key === SHARED ? (surfaceKeys[0] ?? SINGLE) : key] ?? firstViewport)
      return next
    })
  }
  const zoomBy = (factor: number) => updateAll((v, vp) => zoomTo(v, resolveView(v, frame, vp).scale * factor, frame, vp, dpr))
  const fit = () => updateAll(() => FIT)
  const actualPixels = () => updateAll((v, vp) => zoomTo(v, actualPixelsScale(dpr), frame, vp, dpr))
  const currentScale = resolveView(viewOf(surfaceKeys[0] ?? SINGLE), frame, firstViewport).scale
  const toggleLens = () => {
    setLensOn((on) => !on)
    setLensAt((at) => at ?? { x: frame.width / 2, y: frame.height / 2 })
  }

  useViewerKeys(keyboard, {
    hold: setHolding,
    toggleLens,
    zoomBy,
    fit,
    actualPixels,
    nudge: (dx, dy) => {
      const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max)
      if (lensOn) setLensAt((at) => ({ x: clamp((at?.x ?? frame.width / 2) + dx / currentScale, frame.width), y: clamp((at?.y ?? frame.height / 2) + dy / currentScale, frame.height) }))
      else updateAll((v, vp) => panBy(v, -dx, -dy, frame, vp))
    }
  })

  const layerOf = (pane: ViewerPane, hidden = false): Layer => ({
    key: pane.key,
    url: pane.url,
    alt: pane.title,
    kind: pane.kind,
    placeholder: pane.placeholder,
    hiddenByHold: hidden,
    onNaturalSize: (url, size) => setNatural((prev) => (prev[url]?.width === size.width && prev[url]?.height === size.height ? prev : { ...prev, [url]: size }))
  })
  const surfaceProps = (surface: string) => ({
    frame,
    view: viewOf(surface),
    devicePixelRatio: dpr,
    lens: lensOn ? lensAt : null,
    onLens: setLensAt,
    onView: (fn: (view: ViewState, viewport: Size) => ViewState) => update(surface, fn),
    onSize: (size: Size) => setViewports((prev) => (prev[surface]?.width === size.width && prev[surface]?.height === size.height ? prev : { ...prev, [surface]: size }))
  })
  const percent = Math.round(zoomPercent(currentScale, dpr))
  const isFit = viewOf(surfaceKeys[0] ?? SINGLE).fit

  const holdButton = single && mode === 'hold' && right?.url ? (
    <button
      type="button"
      className={`btn small${holding ? ' primary' : ''}`}
      aria-pressed={holding}
      title="Shows the before while held (Space)"
      onPointerDown={() => setHolding(true)}
      onPointerUp={() => setHolding(false)}
      onPointerLeave={() => setHolding(false)}
      onKeyDown={(e) => {
        if (e.key === ' ' || e.key === 'Enter') {
          e.preventDefault()
          setHolding(true)
        }
      }}
      onKeyUp={() => setHolding(false)}
    >
      Hold for {left?.title ?? 'before'} <kbd>Space</kbd>
    </button>
  ) : null

  return (
    <div className="stage viewer">
      <div className="stage-toolbar" role="toolbar" aria-label="View">
        {toolbar}
        {holdButton}
        <span className="spacer" />
        <button type="button" className="icon-btn" aria-label="Zoom out" title="Zoom out (−)" onClick={() => zoomBy(1 / 1.5)}>
          <Icon name="zoomOut" />
        </button>
        <span className="viewer-zoom" title={reference ? `Percent of ${reference.title} (${frame.width}×${frame.height}): 100% puts one of its pixels on one screen pixel` : undefined} data-testid="viewer-zoom">
          {isFit ? `Fit ${percent}%` : `${percent}%`}
        </span>
        <button type="button" className="icon-btn" aria-label="Zoom in" title="Zoom in (+)" onClick={() => zoomBy(1.5)}>
          <Icon name="zoomIn" />
        </button>
        <button type="button" className={`btn small${isFit ? ' on' : ''}`} aria-label="Fit to view" aria-pressed={isFit} title="Fit the picture in the view (0)" onClick={fit}>
          <Icon name="fit" /> Fit
        </button>
        <button type="button" className={`btn small${!isFit && percent === 100 ? ' on' : ''}`} aria-label="100% actual pixels" aria-pressed={!isFit && percent === 100} title="One image pixel per screen pixel (1)" onClick={actualPixels}>
          100%
        </button>
        <button type="button" className={`btn small${lensOn ? ' on' : ''}`} aria-label="Magnifier lens" aria-pressed={lensOn} title={`Magnifier (L): ${LENS_FACTOR}× the view under the pointer`} onClick={toggleLens}>
          <Icon name="search" /> Lens
        </button>
      </div>
      <ShapeNote shown={shown.filter((p) => p.url)} frame={frame} sizeOf={sizeOf} />
      {single && left && right ? (
        <div className="stage-slider">
          <PairLabels
            left={left}
            right={right}
            holdState={
              mode === 'hold' && right.url ? (
                <span className="viewer-showing" role="status" data-testid="viewer-showing">
                  Showing {holding ? left.title : right.title}
                </span>
              ) : null
            }
          />
          <Surface
            {...surfaceProps(SINGLE)}
            label={right.url ? `${left.title} and ${right.title}` : left.title}
            className={mode === 'slider' ? 'compare-slider' : 'viewer-hold'}
            layers={right.url ? [layerOf(left), layerOf(right, holding)] : [layerOf(left)]}
            split={mode === 'slider' && right.url ? (holding ? 1 : split) : undefined}
            onSplit={setSplit}
            overlay={right.url ? null : right.placeholder}
          />
        </div>
      ) : (
        <div className={`stage-grid n${Math.min(panes.length, 4)}`}>
          {panes.map((pane) => {
            const held = holding && pane.kind === 'after' && before?.url && pane.url ? before : null
            return (
              <figure className="stage-pane" key={pane.key}>
                <figcaption className="stage-caption">
                  <strong>{held ? `${held.title} (held)` : pane.title}</strong>
                  <span className="stage-meta">{pane.meta}</span>
                </figcaption>
                <div className="stage-view">
                  <Surface {...surfaceProps(pane.key)} label={pane.title} layers={held ? [{ ...layerOf(held), key: `held-${held.key}` }, layerOf(pane, true)] : [layerOf(pane)]} />
                </div>
              </figure>
            )
          })}
        </div>
      )}
    </div>
  )
}
