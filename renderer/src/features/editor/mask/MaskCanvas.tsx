import { useLayoutEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Box } from '../../../components/viewer/geometry'
import { compositeFeatherSigma } from '@shared/feather'
import { applyOp, compositeWeights, createRaster, drawSegment, renderOps, type Dirty, type MaskOp, type MaskRaster, type Point } from './maskModel'
import { useMask } from './maskStore'

/** The overlay's colour (a magenta that reads on skin, sky and foliage alike) and its strength at full coverage. */
const OVERLAY_RGB = [232, 0, 128] as const
const OVERLAY_ALPHA = 0.5

/** Paints `values` (the raster's own, or the composite's weights) over the dirty region. */
function paintOverlay(canvas: HTMLCanvasElement, raster: MaskRaster, dirty: Dirty, values: Uint8Array = raster.data) {
  const context = canvas.getContext('2d')
  if (!context) return
  const width = dirty.right - dirty.left
  const height = dirty.bottom - dirty.top
  if (width <= 0 || height <= 0) return
  const pixels = context.createImageData(width, height)
  for (let y = 0; y < height; y++) {
    const row = (dirty.top + y) * raster.width + dirty.left
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      pixels.data[o] = OVERLAY_RGB[0]
      pixels.data[o + 1] = OVERLAY_RGB[1]
      pixels.data[o + 2] = OVERLAY_RGB[2]
      pixels.data[o + 3] = Math.round(values[row + x]! * OVERLAY_ALPHA)
    }
  }
  context.putImageData(pixels, dirty.left, dirty.top)
}

type Gesture = { kind: 'stroke'; op: MaskOp & { kind: 'stroke' } } | { kind: 'rect'; from: Point; to: Point } | { kind: 'lasso'; points: Point[] }

/**
 * The mask over the picture, drawn in the frame's box. Pointer positions become picture pixels through
 * the canvas's own box, so what is painted lands on the same detail at any zoom or pan; strokes show as
 * they are drawn, rectangles and lassos as an outline until released.
 */
export function MaskCanvas({ box, label }: { box: Box; label: string }) {
  const { target, tool, radius, hardness, feather, done } = useMask(
    useShallow((s) => ({ target: s.target, tool: s.tool, radius: s.radius, hardness: s.hardness, feather: s.feather, done: s.history.done }))
  )
  const canvasRef = useRef<HTMLCanvasElement | null>(null)
  const rasterRef = useRef<MaskRaster | null>(null)
  /** The operations the raster holds, so a stroke drawn live is not drawn a second time when it is recorded. */
  const appliedRef = useRef<readonly MaskOp[] | null>(null)
  const gesture = useRef<Gesture | null>(null)
  const [outline, setOutline] = useState<Gesture | null>(null)
  const [pointer, setPointer] = useState<{ x: number; y: number } | null>(null)
  const size = target?.size

  // The whole overlay shows the edge the composite will have: the feather, then the main process's own
  // edge blur. While a stroke is drawn only its raw dabs are painted; the edge follows on release.
  useLayoutEffect(() => {
    const canvas = canvasRef.current
    if (!canvas || !size) return
    const fresh = appliedRef.current !== done || !rasterRef.current
    if (fresh) {
      const raster = renderOps(size, done)
      rasterRef.current = raster
      appliedRef.current = done
      canvas.width = raster.width
      canvas.height = raster.height
    }
    const raster = rasterRef.current!
    paintOverlay(canvas, raster, { left: 0, top: 0, right: raster.width, bottom: raster.height }, compositeWeights(raster, feather, compositeFeatherSigma(size.width, size.height)))
  }, [size, done, feather])

  if (!target || !size) return null
  const scale = box.width / size.width

  const pictureAt = (e: { clientX: number; clientY: number }): Point => {
    const rect = canvasRef.current!.getBoundingClientRect()
    return { x: ((e.clientX - rect.left) / rect.width) * size.width, y: ((e.clientY - rect.top) / rect.height) * size.height }
  }
  const raster = () => (rasterRef.current ??= createRaster(size))
  const repaint = (dirty: Dirty | null) => {
    if (dirty && canvasRef.current) paintOverlay(canvasRef.current, raster(), dirty)
  }
  const record = (op: MaskOp) => {
    useMask.getState().push(op)
    appliedRef.current = useMask.getState().history.done
  }

  const onPointerDown = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return
    // The picture under the mask pans on drag; while painting the drag is the brush's.
    e.stopPropagation()
    e.currentTarget.setPointerCapture(e.pointerId)
    const at = pictureAt(e)
    if (tool === 'brush' || tool === 'eraser') {
      const op = { kind: 'stroke' as const, erase: tool === 'eraser', points: [at], radius, hardness: hardness / 100 }
      gesture.current = { kind: 'stroke', op }
      repaint(drawSegment(raster(), at, at, op.radius, op.hardness, op.erase))
    } else if (tool === 'rect') {
      gesture.current = { kind: 'rect', from: at, to: at }
    } else {
      gesture.current = { kind: 'lasso', points: [at] }
    }
    setOutline(gesture.current.kind === 'stroke' ? null : { ...gesture.current })
  }

  const onPointerMove = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect()
    setPointer({ x: e.clientX - rect.left, y: e.clientY - rect.top })
    const g = gesture.current
    if (!g) return
    const at = pictureAt(e)
    if (g.kind === 'stroke') {
      const prev = g.op.points.at(-1)!
      g.op.points.push(at)
      repaint(drawSegment(raster(), prev, at, g.op.radius, g.op.hardness, g.op.erase))
    } else if (g.kind === 'rect') {
      g.to = at
      setOutline({ ...g })
    } else {
      g.points.push(at)
      setOutline({ kind: 'lasso', points: [...g.points] })
    }
  }

  const finish = () => {
    const g = gesture.current
    gesture.current = null
    setOutline(null)
    if (!g) return
    if (g.kind === 'stroke') return record(g.op)
    const op: MaskOp = g.kind === 'rect' ? { kind: 'rect', erase: false, from: g.from, to: g.to } : { kind: 'lasso', erase: false, points: g.points }
    const dirty = applyOp(raster(), op)
    // A click without a drag draws nothing and is not worth an undo step.
    if (!dirty) return
    repaint(dirty)
    record(op)
  }

  const ring = tool === 'brush' || tool === 'eraser' ? radius * scale : 0
  return (
    <div className="mask-layer" style={{ left: box.left, top: box.top, width: box.width, height: box.height }}>
      <canvas
        ref={canvasRef}
        className={`mask-canvas tool-${tool}`}
        role="img"
        aria-label={label}
        data-testid="mask-canvas"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={finish}
        onPointerCancel={finish}
        onPointerLeave={() => setPointer(null)}
        onDoubleClick={(e) => e.stopPropagation()}
      />
      {outline && outline.kind !== 'stroke' ? (
        <svg className="mask-outline" viewBox={`0 0 ${size.width} ${size.height}`} preserveAspectRatio="none" aria-hidden>
          {outline.kind === 'rect' ? (
            <rect
              x={Math.min(outline.from.x, outline.to.x)}
              y={Math.min(outline.from.y, outline.to.y)}
              width={Math.abs(outline.to.x - outline.from.x)}
              height={Math.abs(outline.to.y - outline.from.y)}
              vectorEffect="non-scaling-stroke"
            />
          ) : (
            <polygon points={outline.points.map((p) => `${p.x},${p.y}`).join(' ')} vectorEffect="non-scaling-stroke" />
          )}
        </svg>
      ) : null}
      {pointer && ring > 0 ? <span className="mask-ring" style={{ left: pointer.x - ring, top: pointer.y - ring, width: ring * 2, height: ring * 2 }} aria-hidden /> : null}
    </div>
  )
}
