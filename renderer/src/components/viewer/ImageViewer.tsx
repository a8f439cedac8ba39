import { useEffect, useState, type ComponentProps, type ReactNode } from 'react'
import { Icon } from '../Icon'
import { MiddleTruncate, modelNameTail } from '../MiddleTruncate'
import { aspectLabel, LENS_FACTOR, shapesDiffer, zoomPercent, type Box, type Point, type Size } from './geometry'
import { Surface, type Layer } from './Surface'
import { useFrameViews, type ViewUpdate } from './useFrameViews'
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

interface ImageViewerProps {
  panes: ViewerPane[]
  mode: ViewerMode
  /** The two panes the slider and hold-to-compare show, the before side first. */
  pair?: [number, number]
  /** Zoom and pan move every pane together (side by side). */
  sync?: boolean
  toolbar?: ReactNode
  /** Off for a copy of the viewer left under a full view, so keys act once. */
  keyboard?: boolean
  /** Drawn over the single picture (slider or hold) in the frame's box: the mask being painted. */
  paint?(box: Box): ReactNode
}

const SINGLE = 'single'

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

const dims = (size: Size) => `${size.width}×${size.height}`

/** The pixels on screen, and the file's own when they are a display copy of it. */
function PictureSize({ pane, natural }: { pane: ViewerPane; natural: Record<string, Size> }) {
  const drawn = pane.url ? natural[pane.url] : undefined
  if (!drawn) return null
  const copy = pane.size && (pane.size.width !== drawn.width || pane.size.height !== drawn.height)
  return (
    <span className="viewer-dims" title={copy ? `Shown from a ${dims(drawn)} display copy of the ${dims(pane.size!)} file, which stays untouched` : `${dims(drawn)} pixels`}>
      {copy ? `${dims(drawn)} copy of ${dims(pane.size!)}` : dims(drawn)}
    </span>
  )
}

function PairLabels({ left, right, natural, holdState }: { left: ViewerPane; right: ViewerPane; natural: Record<string, Size>; holdState?: ReactNode }) {
  return (
    <div className="stage-labels">
      <span className="stage-label">
        <strong>{left.title}</strong> <PictureSize pane={left} natural={natural} /> {left.meta}
      </span>
      {holdState}
      <span className="stage-label right">
        <strong>{right.title}</strong> <PictureSize pane={right} natural={natural} /> {right.meta}
      </span>
    </div>
  )
}

/** While pressed (pointer, Space or Enter) the before shows in place of the after. */
function HoldButton({ holding, onHold, label }: { holding: boolean; onHold(on: boolean): void; label: string }) {
  return (
    <button
      type="button"
      className={`btn small${holding ? ' on' : ''}`}
      aria-pressed={holding}
      title="Shows the before while held (Space)"
      onPointerDown={() => onHold(true)}
      onPointerUp={() => onHold(false)}
      onPointerLeave={() => onHold(false)}
      onKeyDown={(e) => {
        if (e.key === ' ' || e.key === 'Enter') {
          e.preventDefault()
          onHold(true)
        }
      }}
      onKeyUp={() => onHold(false)}
    >
      Hold for {label} <kbd>Space</kbd>
    </button>
  )
}

interface ZoomControlsProps {
  percent: number
  isFit: boolean
  lensOn: boolean
  /** What 100% refers to: the reference picture and its size. */
  reference: string | null
  onZoom(factor: number): void
  onFit(): void
  onActualPixels(): void
  onLens(): void
}

function ZoomControls({ percent, isFit, lensOn, reference, onZoom, onFit, onActualPixels, onLens }: ZoomControlsProps) {
  const actual = !isFit && percent === 100
  return (
    <span className="viewer-zoom-controls">
      <button type="button" className="icon-btn" aria-label="Zoom out" title="Zoom out (−)" onClick={() => onZoom(1 / 1.5)}>
        <Icon name="zoomOut" />
      </button>
      <span className="viewer-zoom" title={reference ? `Percent of ${reference}: 100% puts one of its pixels on one screen pixel` : undefined} data-testid="viewer-zoom">
        {isFit ? `Fit ${percent}%` : `${percent}%`}
      </span>
      <button type="button" className="icon-btn" aria-label="Zoom in" title="Zoom in (+)" onClick={() => onZoom(1.5)}>
        <Icon name="zoomIn" />
      </button>
      <button type="button" className={`btn small${isFit ? ' on' : ''}`} aria-label="Fit to view" aria-pressed={isFit} title="Fit the picture in the view (0)" onClick={onFit}>
        <Icon name="fit" /> Fit
      </button>
      <button type="button" className={`btn small${actual ? ' on' : ''}`} aria-label="100% actual pixels" aria-pressed={actual} title="One image pixel per screen pixel (1)" onClick={onActualPixels}>
        100%
      </button>
      <button type="button" className={`icon-btn${lensOn ? ' on' : ''}`} aria-label="Magnifier lens" aria-pressed={lensOn} title={`Magnifier lens (L): ${LENS_FACTOR}× the view under the pointer`} onClick={onLens}>
        <Icon name="search" />
      </button>
    </span>
  )
}

/** The magnifier starts at the frame's centre, and arrow keys move it by screen pixels at the current zoom. */
function useLens(frame: Size, scale: number) {
  const [lensOn, setLensOn] = useState(false)
  const [lensAt, setLensAt] = useState<Point | null>(null)
  const toggleLens = () => {
    setLensOn((on) => !on)
    setLensAt((at) => at ?? { x: frame.width / 2, y: frame.height / 2 })
  }
  const moveLens = (dx: number, dy: number) => {
    const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max)
    setLensAt((at) => ({ x: clamp((at?.x ?? frame.width / 2) + dx / scale, frame.width), y: clamp((at?.y ?? frame.height / 2) + dy / scale, frame.height) }))
  }
  return { lensOn, lensAt, setLensAt, toggleLens, moveLens }
}

type SurfaceBase = Pick<ComponentProps<typeof Surface>, 'frame' | 'view' | 'devicePixelRatio' | 'lens' | 'onLens' | 'onView' | 'onSize'>

interface PaneGridProps {
  panes: ViewerPane[]
  /** Shown in place of every after while held. */
  before: ViewerPane | undefined
  holding: boolean
  natural: Record<string, Size>
  layerOf(pane: ViewerPane, hidden?: boolean): Layer
  surfaceProps(surface: string): SurfaceBase
}

/** Side by side: each pane its own surface; a held before is drawn over each after, which stays loaded beneath. */
function PaneGrid({ panes, before, holding, natural, layerOf, surfaceProps }: PaneGridProps) {
  return (
    <div className={`stage-grid n${Math.min(panes.length, 4)}`}>
      {panes.map((pane) => {
        const held = holding && pane.kind === 'after' && before?.url && pane.url ? before : null
        return (
          <figure className="stage-pane" key={pane.key}>
            <figcaption className="stage-caption">
              <span className="stage-title">
                <strong>
                  <MiddleTruncate text={held ? `${held.title} (held)` : pane.title} keepEnd={modelNameTail} />
                </strong>{' '}
                <PictureSize pane={held ?? pane} natural={natural} />
              </span>
              <span className="stage-meta">{pane.meta}</span>
            </figcaption>
            <div className="stage-view">
              <Surface {...surfaceProps(pane.key)} label={pane.title} layers={held ? [{ ...layerOf(held), key: `held-${held.key}` }, layerOf(pane, true)] : [layerOf(pane)]} />
            </div>
          </figure>
        )
      })}
    </div>
  )
}

/**
 * Pictures judged together, drawn in one coordinate frame: under a slider, side by side, or one over
 * the other with the before held in place (Space). Fit, 100% (one image pixel per screen pixel),
 * zoom and pan are shared, and a magnifier (L) shows the same spot in every pane.
 */
export function ImageViewer({ panes, mode, pair, sync = true, toolbar, keyboard = true, paint }: ImageViewerProps) {
  const dpr = useDevicePixelRatio()
  const [natural, setNatural] = useState<Record<string, Size>>({})
  const [holding, setHolding] = useState(false)
  const [split, setSplit] = useState(0.5)

  const [ia, ib] = pair ?? [0, 1]
  const left = panes[ia]
  const right = panes[ib]
  const single = mode !== 'side-by-side' && left !== undefined && right !== undefined
  const shown = single ? [left, right] : panes
  const surfaceKeys = single ? [SINGLE] : panes.map((p) => p.key)
  const sizeOf = (p: ViewerPane): Size | undefined => (p.url ? natural[p.url] : undefined) ?? p.size ?? undefined
  const reference = referenceOf(shown, sizeOf)
  const frame = (reference && sizeOf(reference)) || { width: 4, height: 3 }
  const views = useFrameViews(surfaceKeys, sync || single, frame, dpr)
  const before = single ? left : panes.find((p) => p.kind === 'before')
  const { lensOn, lensAt, setLensAt, toggleLens, moveLens } = useLens(frame, views.scale)
  useViewerKeys(keyboard, {
    hold: setHolding,
    toggleLens,
    zoomBy: views.zoomBy,
    fit: views.fit,
    actualPixels: views.actualPixels,
    nudge: (dx, dy) => (lensOn ? moveLens(dx, dy) : views.pan(-dx, -dy))
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
  const surfaceProps = (surface: string): SurfaceBase => ({
    frame,
    view: views.viewOf(surface),
    devicePixelRatio: dpr,
    lens: lensOn ? lensAt : null,
    onLens: setLensAt,
    onView: (fn: ViewUpdate) => views.update(surface, fn),
    onSize: (size: Size) => views.onSize(surface, size)
  })

  return (
    <div className="stage viewer">
      <div
        className="stage-toolbar"
        role="toolbar"
        aria-label="View"
        // A clicked button keeps the focus where it was, so Space goes on holding the before rather than
        // pressing the button again; keyboard users still reach and press every button.
        onMouseDown={(e) => {
          if (e.target instanceof Element && e.target.closest('button')) e.preventDefault()
        }}
      >
        {toolbar}
        {single && mode === 'hold' && right?.url ? <HoldButton holding={holding} onHold={setHolding} label={left.title} /> : null}
        <span className="spacer" />
        <ZoomControls
          percent={Math.round(zoomPercent(views.scale, dpr))}
          isFit={views.isFit}
          lensOn={lensOn}
          reference={reference ? `${reference.title} (${frame.width}×${frame.height})` : null}
          onZoom={views.zoomBy}
          onFit={views.fit}
          onActualPixels={views.actualPixels}
          onLens={toggleLens}
        />
      </div>
      <ShapeNote shown={shown.filter((p) => p.url)} frame={frame} sizeOf={sizeOf} />
      {single ? (
        <div className="stage-slider">
          <PairLabels
            left={left}
            right={right}
            natural={natural}
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
            paint={paint}
          />
        </div>
      ) : (
        <PaneGrid panes={panes} before={before} holding={holding} natural={natural} layerOf={layerOf} surfaceProps={surfaceProps} />
      )}
    </div>
  )
}
