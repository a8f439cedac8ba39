import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { displayCopyAt } from '../../renderer/src/components/viewer/displayCopy'
import { actualPixelsScale, aspectLabel, frameAt, frameBox, panBy, shapesDiffer, zoomPercent, zoomTo, type ViewState } from '../../renderer/src/components/viewer/geometry'

const frame = { width: 1024, height: 576 }
const viewport = { width: 800, height: 600 }

describe('viewer geometry', () => {
  it('fits the frame in the viewport, centred, touching one side', () => {
    const box = frameBox({ fit: true }, frame, viewport)
    expect(box.width).toBeCloseTo(800)
    expect(box.height).toBeCloseTo(450)
    expect(box.left).toBe(0)
    expect(box.top).toBe(75)
  })

  it('puts one image pixel on one device pixel at 100%, whatever the ratio', () => {
    for (const dpr of [1, 1.25, 2, 3]) {
      const view = zoomTo({ fit: true }, actualPixelsScale(dpr), frame, viewport, dpr)
      const box = frameBox(view, frame, viewport, dpr)
      expect(box.width * dpr, `dpr ${dpr}`).toBeCloseTo(1024)
      expect(Math.round(zoomPercent(view.fit ? 0 : view.scale, dpr)), `dpr ${dpr}`).toBe(100)
      // The corner on a device pixel, so image pixels are not split between two.
      expect(Math.abs(box.left * dpr - Math.round(box.left * dpr)), `dpr ${dpr}`).toBeLessThan(1e-9)
      expect(Math.abs(box.top * dpr - Math.round(box.top * dpr)), `dpr ${dpr}`).toBeLessThan(1e-9)
    }
  })

  it('snaps the corner to a device pixel wherever the view is panned to', () => {
    for (const dpr of [1, 1.5, 2]) {
      const box = frameBox({ fit: false, scale: actualPixelsScale(dpr), cx: 511.3, cy: 287.9 }, frame, viewport, dpr)
      expect(Math.abs(box.left * dpr - Math.round(box.left * dpr)), `dpr ${dpr}`).toBeLessThan(1e-9)
      expect(Math.abs(box.top * dpr - Math.round(box.top * dpr)), `dpr ${dpr}`).toBeLessThan(1e-9)
    }
  })

  it('keeps a zoomed view on the picture when the window grows', () => {
    const atLeftEdge = panBy({ fit: false, scale: 2, cx: 512, cy: 288 }, 10_000, 0, frame, viewport)
    const wider = { width: 1600, height: 600 }
    expect(frameBox(atLeftEdge, frame, wider).left).toBe(0)
  })

  it('zooms about the anchor: the detail under the pointer stays under it', () => {
    const start: ViewState = { fit: false, scale: 2, cx: 512, cy: 288 }
    const anchor = { x: 500, y: 250 }
    const before = frameAt(start, frame, viewport, anchor)
    const after = zoomTo(start, 3, frame, viewport, 1, anchor)
    expect(frameAt(after, frame, viewport, anchor).x).toBeCloseTo(before.x)
    expect(frameAt(after, frame, viewport, anchor).y).toBeCloseTo(before.y)
  })

  it('never pans the picture off the view, and centres it where it is smaller', () => {
    const zoomed: ViewState = { fit: false, scale: 2, cx: 512, cy: 288 }
    const far = panBy(zoomed, 10_000, -10_000, frame, viewport)
    const box = frameBox(far, frame, viewport)
    expect(box.left).toBe(0)
    expect(box.top + box.height).toBeCloseTo(viewport.height)
    const small = frameBox(panBy({ fit: false, scale: 0.5, cx: 0, cy: 0 }, 300, 300, frame, viewport), frame, viewport)
    expect(small.left + small.width / 2).toBeCloseTo(viewport.width / 2)
    expect(small.top + small.height / 2).toBeCloseTo(viewport.height / 2)
  })

  it('keeps the picture covering or centred on each axis after any zooms and pans', () => {
    const step = fc.oneof(
      fc.record({ zoom: fc.double({ min: 0.05, max: 40, noNaN: true }), x: fc.double({ min: 0, max: 800, noNaN: true }), y: fc.double({ min: 0, max: 600, noNaN: true }) }),
      fc.record({ dx: fc.double({ min: -3000, max: 3000, noNaN: true }), dy: fc.double({ min: -3000, max: 3000, noNaN: true }) })
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), fc.constantFrom(1, 2), (steps, dpr) => {
        let view: ViewState = { fit: true }
        for (const s of steps) view = 'zoom' in s ? zoomTo(view, s.zoom, frame, viewport, dpr, { x: s.x, y: s.y }) : panBy(view, s.dx, s.dy, frame, viewport)
        const box = frameBox(view, frame, viewport, dpr)
        const tolerance = 1 / dpr
        for (const [start, length, room] of [
          [box.left, box.width, viewport.width],
          [box.top, box.height, viewport.height]
        ] as const) {
          if (length <= room) expect(Math.abs(start + length / 2 - room / 2)).toBeLessThanOrEqual(tolerance)
          else {
            expect(start).toBeLessThanOrEqual(tolerance)
            expect(start + length).toBeGreaterThanOrEqual(room - tolerance)
          }
        }
      })
    )
  })

  it('tells shapes apart beyond rounding, and names simple ratios', () => {
    expect(shapesDiffer({ width: 6028, height: 3391 }, { width: 1024, height: 576 })).toBe(false)
    expect(shapesDiffer({ width: 2048, height: 1152 }, { width: 1024, height: 1024 })).toBe(true)
    expect(aspectLabel({ width: 1024, height: 576 })).toBe('16:9')
    expect(aspectLabel({ width: 6000, height: 4000 })).toBe('3:2')
    expect(aspectLabel({ width: 1000, height: 1000 })).toBe('1:1')
  })

  it('asks display copies for the result size, and leaves other URLs alone', () => {
    expect(displayCopyAt('pixdesk-asset://local/display/0123456789abcdef01234567?v=abc', 1024)).toBe('pixdesk-asset://local/display/0123456789abcdef01234567?v=abc&size=1024')
    expect(displayCopyAt('http://127.0.0.1:1/asset/display/0123456789abcdef01234567?v=abc', 9000)).toBe('http://127.0.0.1:1/asset/display/0123456789abcdef01234567?v=abc&size=4096')
    expect(displayCopyAt('http://127.0.0.1:1/asset/original/0123456789abcdef01234567?v=abc', 1024)).toBe('http://127.0.0.1:1/asset/original/0123456789abcdef01234567?v=abc')
    expect(displayCopyAt('http://127.0.0.1:1/asset/display/0123456789abcdef01234567?v=abc')).toBe('http://127.0.0.1:1/asset/display/0123456789abcdef01234567?v=abc')
    expect(displayCopyAt(null, 1024)).toBeNull()
  })
})
