import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent as ReactKeyboardEvent, type PointerEvent as ReactPointerEvent, type ReactNode } from 'react'
import { actualPixelsScale, frameAt, frameBox, LENS_FACTOR, panBy, resolveView, scaleLimits, viewportAt, zoomPercent, zoomTo, type Box, type Point, type Size, type ViewState } from './geometry'

/** One picture drawn into the frame; `url` null or failed shows `placeholder` instead. */
export interface Layer {
  key: string
  url: string | null
  alt: string
  kind: 'before' | 'after'
  placeholder?: ReactNode
  /** Kept loaded but not drawn while the before is held in its place. */
  hiddenByHold?: boolean
  onNaturalSize?(url: string, size: Size): void
}

interface SurfaceProps {
  label: string
  className?: string
  frame: Size
  view: ViewState
  devicePixelRatio: number
  /** Bottom layer first. With a slider, the second layer shows right of the divider only. */
  layers: Layer[]
  /** Divider position, 0–1 of the width, when this surface is a slider. */
  split?: number
  onSplit?(split: number): void
  /** The frame point the lens magnifies, when the lens is on. */
  lens: Point | null
  onLens?(point: Point): void
  onView(update: (view: ViewState, viewport: Size) => ViewState): void
  onSize(size: Size): void
  /** Shown over the pictures (a running or failed result's state). */
  overlay?: ReactNode
  /** Drawn over the pictures in the frame's box (a mask being painted), above the pictures and below the controls. */
  paint?(box: Box): ReactNode
}

const LENS_RADIUS = 90

function useElementSize(onSize: (size: Size) => void) {
  const ref = useRef<HTMLDivElement | null>(null)
  const [size, setSize] = useState<Size>({ width: 0, height: 0 })
  const report = useRef(onSize)
  useEffect(() => {
    report.current = onSize
  })
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    const measure = () => {
      const next = { width: el.clientWidth, height: el.clientHeight }
      setSize((prev) => (prev.width === next.width && prev.height === next.height ? prev : next))
      report.current(next)
    }
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  return { ref, size }
}

const boxStyle = (box: Box): CSSProperties => ({ left: box.left, top: box.top, width: box.width, height: box.height })

function LayerImage({ layer, box, pixelated, hidden }: { layer: Layer; box: Box; pixelated: boolean; hidden?: boolean }) {
  const [failed, setFailed] = useState<string | null>(null)
  if (!layer.url || failed === layer.url) return hidden ? null : <div className="viewer-placeholder">{layer.url ? 'The image could not be loaded.' : (layer.placeholder ?? 'No image')}</div>
  const url = layer.url
  return (
    <img
      className={`viewer-img${pixelated ? ' pixelated' : ''}`}
      style={{ ...boxStyle(box), visibility: hidden ? 'hidden' : undefined }}
      src={url}
      alt={layer.alt}
      draggable={false}
      data-layer={layer.kind}
      data-key={layer.key}
      onLoad={(e) => layer.onNaturalSize?.(url, { width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
      onError={() => setFailed(url)}
    />
  )
}

/** The circle that magnifies the frame point under the pointer, here and in every synchronised pane. */
function Lens({ layer, box, centre, factor }: { layer: Layer | undefined; box: Box; centre: Point; factor: number }) {
  if (!layer?.url) return null
  const inner: Box = { left: LENS_RADIUS - (centre.x - box.left) * factor, top: LENS_RADIUS - (centre.y - box.top) * factor, width: box.width * factor, height: box.height * factor }
  return (
    <div className="viewer-lens" style={{ left: centre.x - LENS_RADIUS, top: centre.y - LENS_RADIUS, width: LENS_RADIUS * 2, height: LENS_RADIUS * 2 }} data-testid="viewer-lens" aria-hidden>
      <img className="viewer-img pixelated" style={boxStyle(inner)} src={layer.url} alt="" draggable={false} />
    </div>
  )
}

function SliderHandle({ split, width, onSplit, labels }: { split: number; width: number; onSplit(split: number): void; labels: [string, string] }) {
  const dragging = useRef(false)
  const move = (e: ReactPointerEvent<HTMLDivElement>) => {
    if (!dragging.current) return
    const rect = e.currentTarget.parentElement!.getBoundingClientRect()
    onSplit(Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width)))
  }
  const onKeyDown = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    const step = e.shiftKey ? 0.1 : 0.02
    const next = e.key === 'ArrowLeft' ? split - step : e.key === 'ArrowRight' ? split + step : e.key === 'Home' ? 0 : e.key === 'End' ? 1 : null
    if (next === null) return
    e.preventDefault()
    e.stopPropagation()
    onSplit(Math.min(1, Math.max(0, next)))
  }
  return (
    <div
      className="viewer-divider"
      style={{ left: Math.round(split * width) }}
      role="slider"
      tabIndex={0}
      aria-label={`Divider between ${labels[0]} and ${labels[1]}`}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(split * 100)}
      aria-valuetext={`${Math.round(split * 100)}% ${labels[0]}`}
      onKeyDown={onKeyDown}
      onPointerDown={(e) => {
        e.stopPropagation()
        dragging.current = true
        e.currentTarget.setPointerCapture(e.pointerId)
      }}
      onPointerMove={move}
      onPointerUp={() => {
        dragging.current = false
      }}
      onPointerCancel={() => {
        dragging.current = false
      }}
    >
      <span className="viewer-divider-knob" aria-hidden>
        ‹ ›
      </span>
    </div>
  )
}

/**
 * A viewport onto the frame: every layer in it is drawn into the same box, so layers overlay pixel for
 * pixel. Wheel zooms at the pointer, drag pans, double-click switches between fit and 100%.
 */
export function Surface(props: SurfaceProps) {
  const { frame, view, devicePixelRatio: dpr, layers, split, lens, onView } = props
  const { ref, size } = useElementSize(props.onSize)
  const box = frameBox(view, frame, size, dpr)
  const { scale } = resolveView(view, frame, size)
  // From 200% on a retoucher inspects pixels: show them as squares, not smoothed.
  const pixelated = zoomPercent(scale, dpr) >= 199.5
  const drag = useRef<{ id: number; x: number; y: number } | null>(null)
  const latest = useRef({ frame, size, dpr, onView })
  useEffect(() => {
    latest.current = { frame, size, dpr, onView }
  })

  // React's wheel listener is passive: the page would scroll while zooming.
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const onWheel = (e: WheelEvent) => {
      e.preventDefault()
      const rect = el.getBoundingClientRect()
      const anchor = { x: e.clientX - rect.left, y: e.clientY - rect.top }
      const factor = Math.exp(-e.deltaY * (e.ctrlKey ? 0.01 : 0.002))
      const { frame: f, dpr: ratio } = latest.current
      latest.current.onView((v, viewport) => zoomTo(v, resolveView(v, f, viewport).scale * factor, f, viewport, ratio, anchor))
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => el.removeEventListener('wheel', onWheel)
  }, [ref])

  const local = (e: { clientX: number; clientY: number }) => {
    const rect = ref.current!.getBoundingClientRect()
    return { x: e.clientX - rect.left, y: e.clientY - rect.top }
  }

  const splitPx = split === undefined ? 0 : Math.round(split * size.width)
  const lensCentre = lens ? viewportAt(view, frame, size, lens) : null
  // Under a slider the lens shows the side its centre is on; elsewhere the picture on top.
  const rightOfSplit = split !== undefined && layers.length > 1 && lensCentre !== null && lensCentre.x >= splitPx && !layers[1]!.hiddenByHold
  const lensLayer = split !== undefined && layers.length > 1 ? layers[rightOfSplit ? 1 : 0] : layers.findLast((l) => !l.hiddenByHold)
  const lensFactor = lensCentre ? Math.min(LENS_FACTOR, scaleLimits(frame, size, dpr).max / scale) : 1

  return (
    <div
      ref={ref}
      className={`viewer-surface${props.className ? ` ${props.className}` : ''}`}
      role="group"
      aria-label={`${props.label}: scroll to zoom, drag to pan`}
      tabIndex={0}
      data-testid="viewer-surface"
      onPointerDown={(e) => {
        if (e.button !== 0) return
        drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY }
        e.currentTarget.setPointerCapture(e.pointerId)
      }}
      onPointerMove={(e) => {
        if (lens && props.onLens) props.onLens(frameAt(view, frame, size, local(e)))
        const d = drag.current
        if (!d || d.id !== e.pointerId) return
        const dx = e.clientX - d.x
        const dy = e.clientY - d.y
        drag.current = { id: d.id, x: e.clientX, y: e.clientY }
        onView((v, viewport) => panBy(v, dx, dy, frame, viewport))
      }}
      onPointerUp={() => {
        drag.current = null
      }}
      onPointerCancel={() => {
        drag.current = null
      }}
      onDoubleClick={(e) => {
        const anchor = local(e)
        onView((v, viewport) => (v.fit ? zoomTo(v, actualPixelsScale(dpr), frame, viewport, dpr, anchor) : { fit: true }))
      }}
    >
      {layers.map((layer, i) =>
        split !== undefined && i === 1 ? (
          <div key={layer.key} className="viewer-clip" style={{ clipPath: `inset(0 0 0 ${splitPx}px)` }}>
            <LayerImage layer={layer} box={box} pixelated={pixelated} hidden={layer.hiddenByHold} />
          </div>
        ) : (
          <LayerImage key={layer.key} layer={layer} box={box} pixelated={pixelated} hidden={layer.hiddenByHold} />
        )
      )}
      {props.paint?.(box)}
      {split !== undefined && props.onSplit && layers.length > 1 ? <SliderHandle split={split} width={size.width} onSplit={props.onSplit} labels={[layers[0]!.alt, layers[1]!.alt]} /> : null}
      {lensCentre ? <Lens layer={lensLayer} box={box} centre={lensCentre} factor={lensFactor} /> : null}
      {props.overlay ? <div className="viewer-overlay">{props.overlay}</div> : null}
    </div>
  )
}
