import { describe, expect, it } from 'vitest'
import { compositeFeatherSigma } from '../../shared/feather'
import { featherWeights } from '../../electron/core/masks/composite'
import {
  applyOp,
  brushValue,
  compositeWeights,
  coverage,
  createRaster,
  EDIT_THRESHOLD,
  emptyHistory,
  feathered,
  greyscaleRgba,
  maskBounds,
  maskProblem,
  pushOp,
  redo,
  renderOps,
  undo,
  type MaskOp
} from '../../renderer/src/features/editor/mask/maskModel'

const at = (r: { width: number; data: Uint8Array }, x: number, y: number) => r.data[y * r.width + x]!

describe('strokes to a mask raster', () => {
  it('a hard stroke marks a capsule of its radius around the path, in image pixels', () => {
    const r = renderOps({ width: 200, height: 100 }, [{ kind: 'stroke', erase: false, points: [{ x: 50, y: 50 }, { x: 150, y: 50 }], radius: 10, hardness: 1 }])
    expect(at(r, 100, 50)).toBe(255)
    expect(at(r, 100, 58)).toBe(255)
    expect(at(r, 100, 62)).toBe(0)
    // The round caps reach past the ends by the radius.
    expect(at(r, 45, 50)).toBe(255)
    expect(at(r, 35, 50)).toBe(0)
    expect(maskBounds(r)).toEqual({ left: 40, top: 40, right: 160, bottom: 60 })
  })

  it('a soft brush fades from the core to the rim; drawing piece by piece equals the whole stroke', () => {
    expect(brushValue(0, 20, 0.5)).toBe(255)
    expect(brushValue(15, 20, 0.5)).toBeGreaterThan(0)
    expect(brushValue(15, 20, 0.5)).toBeLessThan(255)
    expect(brushValue(21, 20, 0.5)).toBe(0)
    const stroke: MaskOp = { kind: 'stroke', erase: false, points: [{ x: 10, y: 10 }, { x: 60, y: 40 }, { x: 90, y: 15 }], radius: 8, hardness: 0.3 }
    const whole = renderOps({ width: 100, height: 60 }, [stroke])
    const pieces = createRaster({ width: 100, height: 60 })
    applyOp(pieces, { ...stroke, points: stroke.points.slice(0, 2) })
    applyOp(pieces, { ...stroke, points: stroke.points.slice(1) })
    expect(Buffer.from(pieces.data).equals(Buffer.from(whole.data))).toBe(true)
  })

  it('the eraser takes out what the brush painted, rectangles and lassos fill their area', () => {
    const ops: MaskOp[] = [
      { kind: 'rect', erase: false, from: { x: 80, y: 60 }, to: { x: 20, y: 10 } },
      { kind: 'stroke', erase: true, points: [{ x: 50, y: 35 }], radius: 5, hardness: 1 }
    ]
    const r = renderOps({ width: 100, height: 80 }, ops)
    expect(at(r, 25, 15)).toBe(255)
    expect(at(r, 50, 35)).toBe(0)
    expect(at(r, 10, 10)).toBe(0)
    expect(coverage(r)).toBeCloseTo((60 * 50 - Math.PI * 25) / 8000, 2)

    const tri = renderOps({ width: 100, height: 100 }, [{ kind: 'lasso', erase: false, points: [{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 0, y: 100 }] }])
    expect(at(tri, 10, 10)).toBe(255)
    expect(at(tri, 90, 90)).toBe(0)
    expect(coverage(tri)).toBeCloseTo(0.5, 1)
  })

  it('a picture larger than the raster limit is drawn scaled, its operations still in image pixels', () => {
    const r = renderOps({ width: 8000, height: 4000 }, [{ kind: 'rect', erase: false, from: { x: 4000, y: 0 }, to: { x: 8000, y: 4000 } }], 2000)
    expect([r.width, r.height, r.scale]).toEqual([2000, 1000, 0.25])
    expect(at(r, 999, 500)).toBe(0)
    expect(at(r, 1000, 500)).toBe(255)
  })
})

describe('invert, clear, undo and redo', () => {
  it('invert swaps inside and outside; clear empties; both are undone like any stroke', () => {
    const size = { width: 40, height: 40 }
    let h = pushOp(emptyHistory, { kind: 'rect', erase: false, from: { x: 0, y: 0 }, to: { x: 10, y: 40 } })
    h = pushOp(h, { kind: 'invert' })
    expect(coverage(renderOps(size, h.done))).toBe(0.75)
    h = pushOp(h, { kind: 'clear' })
    expect(coverage(renderOps(size, h.done))).toBe(0)
    h = undo(h)
    expect(coverage(renderOps(size, h.done))).toBe(0.75)
    h = undo(h)
    expect(coverage(renderOps(size, h.done))).toBe(0.25)
    h = redo(h)
    expect(coverage(renderOps(size, h.done))).toBe(0.75)
    // A new operation after undo drops what was undone.
    h = undo(h)
    h = pushOp(h, { kind: 'rect', erase: false, from: { x: 30, y: 0 }, to: { x: 40, y: 40 } })
    expect(h.undone).toEqual([])
    expect(redo(h)).toBe(h)
    expect(coverage(renderOps(size, h.done))).toBe(0.5)
    expect(undo(emptyHistory)).toBe(emptyHistory)
  })

  it('names the masks the main process would refuse: nothing or everything marked', () => {
    const size = { width: 20, height: 20 }
    expect(maskProblem(renderOps(size, []))).toMatch(/nothing/)
    expect(maskProblem(renderOps(size, [{ kind: 'invert' }]))).toMatch(/whole picture/)
    expect(maskProblem(renderOps(size, [{ kind: 'rect', erase: false, from: { x: 0, y: 0 }, to: { x: 5, y: 5 } }]))).toBeNull()
  })
})

describe('feather', () => {
  const size = { width: 200, height: 100 }
  const rect = renderOps(size, [{ kind: 'rect', erase: false, from: { x: 50, y: 20 }, to: { x: 150, y: 80 } }])

  it('fades the edit in inside the edge and never marks a pixel outside what was drawn', () => {
    const soft = feathered(rect, 12)
    for (let i = 0; i < soft.length; i++) {
      if (rect.data[i]! < EDIT_THRESHOLD) expect(soft[i]).toBe(0)
      else expect(soft[i]).toBeGreaterThanOrEqual(EDIT_THRESHOLD)
    }
    const row = 50 * rect.width
    expect(soft[row + 50]!).toBeLessThan(150)
    expect(soft[row + 55]!).toBeGreaterThan(soft[row + 50]!)
    expect(soft[row + 100]).toBe(255)
  })

  it('no feather leaves the mask as drawn', () => {
    expect(Buffer.from(feathered(rect, 0)).equals(Buffer.from(rect.data))).toBe(true)
  })

  it('exports white where the edit goes, opaque everywhere', () => {
    const rgba = greyscaleRgba(Uint8Array.from([0, 200]))
    expect([...rgba]).toEqual([0, 0, 0, 255, 200, 200, 200, 255])
  })
})

describe('the feather preview', () => {
  const size = { width: 640, height: 480 }
  const rect = renderOps(size, [{ kind: 'rect', erase: false, from: { x: 200, y: 150 }, to: { x: 440, y: 330 } }])
  const sigma = compositeFeatherSigma(size.width, size.height)

  it('shows the weights the composite blends with, within two levels, at any feather', async () => {
    for (const feather of [0, 12, 40]) {
      const drawn = feather ? feathered(rect, feather) : rect.data
      const core = await featherWeights({ width: size.width, height: size.height, data: Buffer.from(drawn) })
      const preview = compositeWeights(rect, feather, sigma)
      let worst = 0
      let outside = 0
      for (let i = 0; i < preview.length; i++) {
        worst = Math.max(worst, Math.abs(preview[i]! - core[i]!))
        // Nothing outside what was drawn, as in the composite.
        if (rect.data[i]! < EDIT_THRESHOLD && preview[i] !== 0) outside++
      }
      expect(worst, `feather ${feather}`).toBeLessThanOrEqual(2)
      expect(outside).toBe(0)
    }
  })

  it('widens the soft band inside the edge as the feather grows', () => {
    const softBand = (feather: number) => {
      const w = compositeWeights(rect, feather, sigma)
      const row = 240 * rect.width
      let soft = 0
      for (let x = 200; x < 440; x++) if (w[row + x]! > 0 && w[row + x]! < 250) soft++
      return soft
    }
    expect(softBand(0)).toBeGreaterThan(0)
    expect(softBand(20)).toBeGreaterThan(softBand(0) + 10)
    expect(softBand(60)).toBeGreaterThan(softBand(20) + 20)
  })
})
