import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coverage, readMask } from '../../electron/core/masks/read'
import { cropBox, editBounds } from '../../electron/core/masks/route-shapes'

/** The two mask conventions read the same, and the crop route's box holds the painted area with a margin. */

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-mask-read-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const W = 400
const H = 300
const rect = { left: 100, top: 80, width: 120, height: 60 }

describe('readMask', () => {
  it('reads "transparent = edit" and "white = edit" as the same mask', async () => {
    const white = join(dir, 'white.png')
    const alpha = join(dir, 'alpha.png')
    const hole = await sharp({ create: { width: rect.width, height: rect.height, channels: 3, background: '#fff' } }).png().toBuffer()
    await sharp({ create: { width: W, height: H, channels: 3, background: '#000' } }).composite([{ input: hole, left: rect.left, top: rect.top }]).png().toFile(white)
    // Opaque everywhere but the rectangle, which is fully transparent (OpenAI's convention).
    const rgba = Buffer.alloc(W * H * 4)
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= rect.left && x < rect.left + rect.width && y >= rect.top && y < rect.top + rect.height
        rgba.set([20, 200, 20, inside ? 0 : 255], (y * W + x) * 4)
      }
    }
    await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toFile(alpha)
    const a = await readMask(white, { width: W, height: H })
    const b = await readMask(alpha, { width: W, height: H })
    expect(coverage(a)).toBeCloseTo((rect.width * rect.height) / (W * H), 4)
    expect(Buffer.compare(a.data, b.data)).toBe(0)
    expect(editBounds(a)).toEqual(rect)
    const box = cropBox(a)!
    expect(box.left).toBeLessThan(rect.left)
    expect(box.left + box.width).toBeGreaterThan(rect.left + rect.width)
    expect(box.top).toBeLessThan(rect.top)
  })

  it('scales a mask of the same proportions and says from what size', async () => {
    const small = join(dir, 'small.png')
    await sharp({ create: { width: W / 4, height: H / 4, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 30, height: 15, channels: 3, background: '#fff' } }).png().toBuffer(), left: 25, top: 20 }])
      .png()
      .toFile(small)
    const mask = await readMask(small, { width: W, height: H })
    expect(mask.scaledFrom).toEqual({ width: W / 4, height: H / 4 })
    expect([mask.width, mask.height]).toEqual([W, H])
    const bounds = editBounds(mask)!
    expect(Math.abs(bounds.left - rect.left)).toBeLessThanOrEqual(2)
    expect(Math.abs(bounds.width - rect.width)).toBeLessThanOrEqual(4)
  })
})
