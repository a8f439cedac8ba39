/*
 * The mask being drawn, independent of the screen. Every operation is kept in the picture's own pixels
 * (its full upright size, not the display copy's and not the zoom's), so the same operations give the
 * same mask at any zoom, and undo is replaying all but the last. The raster is one byte per pixel,
 * 255 where the edit may happen, as the main process stores masks (white = edit).
 */

export interface Point {
  x: number
  y: number
}

export interface Size {
  width: number
  height: number
}

export type MaskTool = 'brush' | 'eraser' | 'rect' | 'lasso'

/** A freehand stroke; `radius` in image pixels, `hardness` 0 (soft edge over the whole radius) to 1 (hard). */
export interface StrokeOp {
  kind: 'stroke'
  erase: boolean
  points: Point[]
  radius: number
  hardness: number
}

export interface RectOp {
  kind: 'rect'
  erase: boolean
  from: Point
  to: Point
}

export interface LassoOp {
  kind: 'lasso'
  erase: boolean
  points: Point[]
}

export type MaskOp = StrokeOp | RectOp | LassoOp | { kind: 'invert' } | { kind: 'clear' }

export interface MaskRaster {
  width: number
  height: number
  /** Raster pixels per image pixel (below 1 only for pictures larger than the raster limit). */
  scale: number
  data: Uint8Array
}

/** A region of the raster that changed, in raster pixels; the overlay repaints only that. */
export interface Dirty {
  left: number
  top: number
  right: number
  bottom: number
}

/**
 * Masks of very large pictures are drawn at most this long; the main process scales the mask to the
 * picture's size (linearly), which moves an edge by less than a pixel of the picture.
 */
export const MAX_RASTER_EDGE = 4096
/** Values at or above this count as "to edit", as in the main process. */
export const EDIT_THRESHOLD = 128

export function createRaster(image: Size, maxEdge = MAX_RASTER_EDGE): MaskRaster {
  if (!(image.width > 0 && image.height > 0)) throw new Error(`A mask needs the picture's size; got ${image.width}×${image.height}.`)
  const scale = Math.min(1, maxEdge / Math.max(image.width, image.height))
  const width = Math.max(1, Math.round(image.width * scale))
  const height = Math.max(1, Math.round(image.height * scale))
  return { width, height, scale, data: new Uint8Array(width * height) }
}

const clampInt = (v: number, min: number, max: number) => Math.min(max, Math.max(min, Math.floor(v)))
const whole = (r: MaskRaster): Dirty => ({ left: 0, top: 0, right: r.width, bottom: r.height })

/** Coverage of one brush dab at distance `d` from its centre: full inside the hard core, then falling to 0 at the rim. */
export function brushValue(d: number, radius: number, hardness: number): number {
  const soft = Math.max(radius * (1 - hardness), 1)
  const core = radius - soft
  // With a hard brush the last pixel is still anti-aliased, so the edge does not stair-step.
  if (d <= core) return 255
  const t = (radius + 0.5 - d) / (soft + 0.5)
  return t <= 0 ? 0 : Math.round(255 * Math.min(1, t))
}

function distanceToSegment(px: number, py: number, a: Point, b: Point): number {
  const dx = b.x - a.x
  const dy = b.y - a.y
  const length2 = dx * dx + dy * dy
  const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - a.x) * dx + (py - a.y) * dy) / length2))
  return Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy))
}

/**
 * One piece of a stroke (a dab when `a` equals `b`), in image pixels. Painting keeps the larger value and
 * erasing the smaller, so a stroke drawn piece by piece while the pointer moves ends up the same as the
 * whole stroke drawn at once, and overlapping dabs do not build up.
 */
export function drawSegment(r: MaskRaster, a: Point, b: Point, radius: number, hardness: number, erase: boolean): Dirty | null {
  const s = r.scale
  const ra = { x: a.x * s, y: a.y * s }
  const rb = { x: b.x * s, y: b.y * s }
  const rr = Math.max(0.5, radius * s)
  const left = clampInt(Math.min(ra.x, rb.x) - rr - 1, 0, r.width)
  const right = clampInt(Math.max(ra.x, rb.x) + rr + 2, 0, r.width)
  const top = clampInt(Math.min(ra.y, rb.y) - rr - 1, 0, r.height)
  const bottom = clampInt(Math.max(ra.y, rb.y) + rr + 2, 0, r.height)
  if (left >= right || top >= bottom) return null
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const v = brushValue(distanceToSegment(x + 0.5, y + 0.5, ra, rb), rr, hardness)
      if (v === 0) continue
      const i = y * r.width + x
      r.data[i] = erase ? Math.min(r.data[i]!, 255 - v) : Math.max(r.data[i]!, v)
    }
  }
  return { left, top, right, bottom }
}

function fillRect(r: MaskRaster, op: RectOp): Dirty | null {
  const s = r.scale
  const left = clampInt(Math.min(op.from.x, op.to.x) * s + 0.5, 0, r.width)
  const right = clampInt(Math.max(op.from.x, op.to.x) * s + 0.5, 0, r.width)
  const top = clampInt(Math.min(op.from.y, op.to.y) * s + 0.5, 0, r.height)
  const bottom = clampInt(Math.max(op.from.y, op.to.y) * s + 0.5, 0, r.height)
  if (left >= right || top >= bottom) return null
  const value = op.erase ? 0 : 255
  for (let y = top; y < bottom; y++) r.data.fill(value, y * r.width + left, y * r.width + right)
  return { left, top, right, bottom }
}

/** The polygon filled by the even-odd rule, sampled at pixel centres (a self-crossing lasso leaves its loops' overlaps out, as drawing apps do). */
function fillLasso(r: MaskRaster, op: LassoOp): Dirty | null {
  if (op.points.length < 3) return null
  const pts = op.points.map((p) => ({ x: p.x * r.scale, y: p.y * r.scale }))
  const top = clampInt(Math.min(...pts.map((p) => p.y)), 0, r.height)
  const bottom = clampInt(Math.max(...pts.map((p) => p.y)) + 1, 0, r.height)
  const value = op.erase ? 0 : 255
  let left = r.width
  let right = 0
  const crossings: number[] = []
  for (let y = top; y < bottom; y++) {
    const cy = y + 0.5
    crossings.length = 0
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i]!
      const b = pts[(i + 1) % pts.length]!
      if (a.y <= cy === b.y <= cy) continue
      crossings.push(a.x + ((cy - a.y) / (b.y - a.y)) * (b.x - a.x))
    }
    crossings.sort((p, q) => p - q)
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const x0 = clampInt(crossings[k]! + 0.5, 0, r.width)
      const x1 = clampInt(crossings[k + 1]! + 0.5, 0, r.width)
      if (x0 >= x1) continue
      r.data.fill(value, y * r.width + x0, y * r.width + x1)
      left = Math.min(left, x0)
      right = Math.max(right, x1)
    }
  }
  return left < right ? { left, top, right, bottom } : null
}

/** Applies one operation; answers what changed. */
export function applyOp(r: MaskRaster, op: MaskOp): Dirty | null {
  switch (op.kind) {
    case 'stroke': {
      const [first, ...rest] = op.points
      if (!first) return null
      let dirty = drawSegment(r, first, first, op.radius, op.hardness, op.erase)
      let prev = first
      for (const p of rest) {
        dirty = union(dirty, drawSegment(r, prev, p, op.radius, op.hardness, op.erase))
        prev = p
      }
      return dirty
    }
    case 'rect':
      return fillRect(r, op)
    case 'lasso':
      return fillLasso(r, op)
    case 'invert':
      for (let i = 0; i < r.data.length; i++) r.data[i] = 255 - r.data[i]!
      return whole(r)
    case 'clear':
      r.data.fill(0)
      return whole(r)
  }
}

export function union(a: Dirty | null, b: Dirty | null): Dirty | null {
  if (!a) return b
  if (!b) return a
  return { left: Math.min(a.left, b.left), top: Math.min(a.top, b.top), right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) }
}

export function renderOps(image: Size, ops: readonly MaskOp[], maxEdge = MAX_RASTER_EDGE): MaskRaster {
  const r = createRaster(image, maxEdge)
  for (const op of ops) applyOp(r, op)
  return r
}

/** Share of the raster marked for editing (0..1). */
export function coverage(r: MaskRaster): number {
  let inside = 0
  for (const v of r.data) if (v >= EDIT_THRESHOLD) inside++
  return inside / r.data.length
}

/** The smallest box holding every pixel marked for editing, in raster pixels; null for an empty mask. */
export function maskBounds(r: MaskRaster): Dirty | null {
  let left = r.width
  let right = -1
  let top = r.height
  let bottom = -1
  for (let y = 0; y < r.height; y++) {
    const row = y * r.width
    for (let x = 0; x < r.width; x++) {
      if (r.data[row + x]! < EDIT_THRESHOLD) continue
      if (x < left) left = x
      if (x > right) right = x
      if (y < top) top = y
      bottom = y
    }
  }
  return right < 0 ? null : { left, top, right: right + 1, bottom: bottom + 1 }
}

/** One pass of a running-sum box blur along rows (`stride` 1) or columns (`stride` = width). */
function boxPass(src: Uint8Array, dst: Uint8Array, lines: number, length: number, lineStep: number, stride: number, radius: number) {
  const span = radius * 2 + 1
  for (let line = 0; line < lines; line++) {
    const base = line * lineStep
    const at = (i: number) => src[base + Math.min(length - 1, Math.max(0, i)) * stride]!
    let sum = 0
    for (let i = -radius; i <= radius; i++) sum += at(i)
    for (let i = 0; i < length; i++) {
      dst[base + i * stride] = Math.round(sum / span)
      sum += at(i + radius + 1) - at(i - radius)
    }
  }
}

/**
 * The feathered mask: the edit fades in over `radius` image pixels inside the edge drawn, and never
 * spreads outside it. Pixels below the edit threshold stay 0, so the area the main process treats as
 * "keep the original" is exactly the one drawn, at any feather.
 */
export function feathered(r: MaskRaster, radius: number): Uint8Array {
  const rr = Math.round(radius * r.scale)
  if (rr < 1) return r.data.slice()
  // Three box passes each way approximate a Gaussian; a third of the radius each keeps the fade within it.
  const passRadius = Math.max(1, Math.round(rr / 3))
  const a = r.data.slice()
  const b = new Uint8Array(a.length)
  for (let pass = 0; pass < 3; pass++) {
    boxPass(a, b, r.height, r.width, r.width, 1, passRadius)
    boxPass(b, a, r.width, r.height, 1, r.width, passRadius)
  }
  const blurred = a
  const out = new Uint8Array(blurred.length)
  for (let i = 0; i < out.length; i++) {
    const v = r.data[i]!
    if (v < EDIT_THRESHOLD) continue
    // The blurred value falls to about half at the edge; spreading 128–255 keeps every drawn pixel "inside".
    const fade = Math.max(0, (blurred[i]! - 128) / 127)
    out[i] = Math.min(v, Math.max(EDIT_THRESHOLD, Math.round(EDIT_THRESHOLD + fade * 127)))
  }
  return out
}

/**
 * A separable Gaussian blur of `sigma` raster pixels, its kernel cut where it falls below a fifth of its
 * peak, as libvips (sharp's blur) cuts it, so the preview and the composite agree.
 */
function gaussianBlur(values: Uint8Array, width: number, height: number, sigma: number): Uint8Array {
  const reach = Math.max(1, Math.floor(sigma * Math.sqrt(2 * Math.log(5))))
  const kernel = Array.from({ length: reach * 2 + 1 }, (_, i) => Math.exp(-((i - reach) ** 2) / (2 * sigma * sigma)))
  const total = kernel.reduce((a, b) => a + b, 0)
  const weights = kernel.map((k) => k / total)
  const pass = (src: Float32Array, lines: number, length: number, lineStep: number, stride: number) => {
    const dst = new Float32Array(src.length)
    for (let line = 0; line < lines; line++) {
      const base = line * lineStep
      for (let i = 0; i < length; i++) {
        let sum = 0
        for (let k = -reach; k <= reach; k++) sum += src[base + Math.min(length - 1, Math.max(0, i + k)) * stride]! * weights[k + reach]!
        dst[base + i * stride] = sum
      }
    }
    return dst
  }
  const rows = pass(Float32Array.from(values), height, width, width, 1)
  const both = pass(rows, width, height, 1, width)
  return Uint8Array.from(both, (v) => Math.round(v))
}

/**
 * The blend weights the composite will use, at the raster's scale: the feather drawn in the editor,
 * then the main process's own edge blur (a Gaussian of `sigma` image pixels, kept inside the mask). The
 * overlay shows these, so the edge on screen is the edge of the result.
 */
export function compositeWeights(r: MaskRaster, feather: number, sigma: number): Uint8Array {
  const drawn = feather > 0 ? feathered(r, feather) : r.data
  const blurred = gaussianBlur(drawn, r.width, r.height, sigma * r.scale)
  const out = new Uint8Array(drawn.length)
  for (let i = 0; i < out.length; i++) out[i] = drawn[i]! < EDIT_THRESHOLD ? 0 : Math.min(drawn[i]!, blurred[i]!)
  return out
}

/** The history of a mask: operations applied, and those undone (cleared by any new operation). */
export interface MaskHistory {
  done: readonly MaskOp[]
  undone: readonly MaskOp[]
}

export const emptyHistory: MaskHistory = { done: [], undone: [] }

export const pushOp = (h: MaskHistory, op: MaskOp): MaskHistory => ({ done: [...h.done, op], undone: [] })

export function undo(h: MaskHistory): MaskHistory {
  const last = h.done.at(-1)
  return last ? { done: h.done.slice(0, -1), undone: [...h.undone, last] } : h
}

export function redo(h: MaskHistory): MaskHistory {
  const next = h.undone.at(-1)
  return next ? { done: [...h.done, next], undone: h.undone.slice(0, -1) } : h
}

/** Why this mask cannot be sent, in words, or null: the main process refuses the same two cases. */
export function maskProblem(r: MaskRaster): string | null {
  const share = coverage(r)
  if (share === 0) return 'The mask marks nothing to edit: paint the area to change.'
  if (share === 1) return 'The mask covers the whole picture, which is the same as no mask: erase the area to keep.'
  return null
}

/** RGBA pixels of the mask as a greyscale picture (white = edit), the form sent to the main process. */
export function greyscaleRgba(values: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const rgba = new Uint8ClampedArray(values.length * 4)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    rgba[i * 4] = v
    rgba[i * 4 + 1] = v
    rgba[i * 4 + 2] = v
    rgba[i * 4 + 3] = 255
  }
  return rgba
}
