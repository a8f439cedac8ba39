/*
 * The viewer's one coordinate frame. Every picture compared is drawn into the same box: the frame,
 * measured in the reference picture's pixels. A view says which frame point sits at the viewport's
 * centre and how many CSS pixels one frame pixel takes, so panes of equal size that share a view show
 * the same detail at the same place, and layers in one pane overlay exactly.
 */

export interface Size {
  width: number
  height: number
}

export interface Point {
  x: number
  y: number
}

/** `fit` follows the viewport; otherwise `scale` CSS px per frame px with frame point (cx, cy) centred. */
export type ViewState = { fit: true } | { fit: false; scale: number; cx: number; cy: number }

export interface Box {
  left: number
  top: number
  width: number
  height: number
}

const MIN_SCALE_FACTOR = 0.5
const MAX_DEVICE_PIXELS_PER_IMAGE_PIXEL = 32
/** The lens shows this many times the view's zoom. */
export const LENS_FACTOR = 4

const fitScale = (frame: Size, viewport: Size): number => (frame.width > 0 && frame.height > 0 && viewport.width > 0 && viewport.height > 0 ? Math.min(viewport.width / frame.width, viewport.height / frame.height) : 1)

/** One image pixel on one device pixel: what a retoucher calls 100%. */
export const actualPixelsScale = (devicePixelRatio: number): number => 1 / (devicePixelRatio > 0 ? devicePixelRatio : 1)

export function resolveView(view: ViewState, frame: Size, viewport: Size): { scale: number; cx: number; cy: number } {
  if (view.fit) return { scale: fitScale(frame, viewport), cx: frame.width / 2, cy: frame.height / 2 }
  return clampCentre(view, frame, viewport)
}

/** Keeps the picture covering the viewport where it is larger than it, and centred where it is smaller. */
function clampCentre(view: { scale: number; cx: number; cy: number }, frame: Size, viewport: Size): { scale: number; cx: number; cy: number } {
  const axis = (c: number, frameLength: number, viewportLength: number) => {
    const half = viewportLength / 2 / view.scale
    if (frameLength <= half * 2) return frameLength / 2
    return Math.min(Math.max(c, half), frameLength - half)
  }
  return { scale: view.scale, cx: axis(view.cx, frame.width, viewport.width), cy: axis(view.cy, frame.height, viewport.height) }
}

/**
 * Where the frame lies in the viewport, in CSS px, its corner on a device pixel so that at 100% each
 * image pixel lands on one screen pixel instead of being spread over two.
 */
export function frameBox(view: ViewState, frame: Size, viewport: Size, devicePixelRatio = 1): Box {
  const { scale, cx, cy } = resolveView(view, frame, viewport)
  const snap = (v: number) => Math.round(v * devicePixelRatio) / devicePixelRatio
  return { left: snap(viewport.width / 2 - cx * scale), top: snap(viewport.height / 2 - cy * scale), width: frame.width * scale, height: frame.height * scale }
}

export function scaleLimits(frame: Size, viewport: Size, devicePixelRatio: number): { min: number; max: number } {
  const fit = fitScale(frame, viewport)
  return { min: Math.min(fit, actualPixelsScale(devicePixelRatio)) * MIN_SCALE_FACTOR, max: MAX_DEVICE_PIXELS_PER_IMAGE_PIXEL / devicePixelRatio }
}

/** The view at `scale`, keeping the frame point under viewport point `anchor` where it is. */
export function zoomTo(view: ViewState, scale: number, frame: Size, viewport: Size, devicePixelRatio: number, anchor?: Point): ViewState {
  const current = resolveView(view, frame, viewport)
  const { min, max } = scaleLimits(frame, viewport, devicePixelRatio)
  const next = Math.min(Math.max(scale, min), max)
  const at = anchor ?? { x: viewport.width / 2, y: viewport.height / 2 }
  // The frame point under the anchor, before and after, must be the same one.
  const fx = current.cx + (at.x - viewport.width / 2) / current.scale
  const fy = current.cy + (at.y - viewport.height / 2) / current.scale
  const cx = fx - (at.x - viewport.width / 2) / next
  const cy = fy - (at.y - viewport.height / 2) / next
  return { fit: false, ...clampCentre({ scale: next, cx, cy }, frame, viewport) }
}

export function panBy(view: ViewState, dx: number, dy: number, frame: Size, viewport: Size): ViewState {
  const current = resolveView(view, frame, viewport)
  return { fit: false, ...clampCentre({ scale: current.scale, cx: current.cx - dx / current.scale, cy: current.cy - dy / current.scale }, frame, viewport) }
}

/** The frame point under a viewport point. */
export function frameAt(view: ViewState, frame: Size, viewport: Size, point: Point): Point {
  const { scale, cx, cy } = resolveView(view, frame, viewport)
  return { x: cx + (point.x - viewport.width / 2) / scale, y: cy + (point.y - viewport.height / 2) / scale }
}

/** The viewport point showing a frame point. */
export function viewportAt(view: ViewState, frame: Size, viewport: Size, point: Point): Point {
  const { scale, cx, cy } = resolveView(view, frame, viewport)
  return { x: viewport.width / 2 + (point.x - cx) * scale, y: viewport.height / 2 + (point.y - cy) * scale }
}

/** Device pixels per image pixel of the reference, as a percentage: 100 means one on one. */
export const zoomPercent = (scale: number, devicePixelRatio: number): number => scale * devicePixelRatio * 100

/** Width ÷ height differing by more than half a percent: the pictures cannot overlay point for point. */
export const shapesDiffer = (a: Size, b: Size): boolean => a.width > 0 && a.height > 0 && b.width > 0 && b.height > 0 && Math.abs(a.width / a.height / (b.width / b.height) - 1) > 0.005

/** "3:2", "1:1", "16:9" when the ratio is a simple one, else the ratio to two decimals. */
export function aspectLabel(size: Size): string {
  const ratio = size.width / size.height
  for (let d = 1; d <= 16; d++) {
    const n = Math.round(ratio * d)
    if (n > 0 && Math.abs(n / d / ratio - 1) < 0.01) return `${n}:${d}`
  }
  return `${ratio.toFixed(2)}:1`
}
