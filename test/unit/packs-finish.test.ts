import { readFileSync } from 'node:fs'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { packFinishSchema, type PackFinish } from '../../shared/packs'
import { borderShare, checkOutput, finishImage } from '../../electron/core/packs/finish'
import { realPhotos } from '../support/corpus'
import { pictureDistance } from '../support/pixels'

const spec = (over: Partial<PackFinish>): PackFinish =>
  packFinishSchema.parse({ packId: 'test', packName: 'Test', target: 'Target', width: 1080, height: 1350, format: 'jpeg', quality: 90, background: 'keep', method: 'recompose', ...over })

let photo: Buffer
/** A real photo as a "product" in the middle of a plain backdrop of the given colour, as a model might answer. */
async function productOn(backdrop: { r: number; g: number; b: number }, size = 1024): Promise<Buffer> {
  const product = await sharp(photo).resize(Math.round(size * 0.6), Math.round(size * 0.6), { fit: 'cover' }).toBuffer()
  return sharp({ create: { width: size, height: size, channels: 3, background: backdrop } })
    .composite([{ input: product, gravity: 'centre' }])
    .png()
    .toBuffer()
}

beforeAll(() => {
  photo = readFileSync(realPhotos()[0]!)
}, 120_000)

describe('finishing a real photo to a target', () => {
  it('covers and crops to the exact frame, keeps the picture, and fits the byte cap by lowering quality', async () => {
    const full = await finishImage(photo, spec({ width: 1080, height: 1350, quality: 95 }))
    const cap = Math.round(full.bytes.length * 0.6)
    const target = spec({ width: 1080, height: 1350, maxBytes: cap, quality: 95 })
    const done = await finishImage(photo, target)
    const meta = await sharp(done.bytes).metadata()
    expect([meta.width, meta.height, meta.format]).toEqual([1080, 1350, 'jpeg'])
    expect(done.bytes.length).toBeLessThanOrEqual(cap)
    expect(done.finish.quality).toBeLessThan(95)
    expect(done.finish.steps).toMatch(/lowered from q95/)
    const checks = await checkOutput(done.bytes, target)
    expect(checks.map((c) => [c.rule, c.passed])).toEqual([
      ['size', true],
      ['bytes', true]
    ])
    // The centre of the frame is the centre of the photo: cropped, not squashed.
    const centre = await sharp(photo).resize(1080, 1350, { fit: 'cover' }).toBuffer()
    expect(await pictureDistance(done.bytes, centre)).toBeLessThan(4)
  })

  it('pads instead of cropping when the target says so, with the edge colour', async () => {
    const target = spec({ width: 1200, height: 628, method: 'pad', format: 'webp', quality: 80 })
    const done = await finishImage(photo, target)
    const meta = await sharp(done.bytes).metadata()
    expect([meta.width, meta.height, meta.format]).toEqual([1200, 628, 'webp'])
    expect(done.finish.steps).toMatch(/padded/)
  })

  it('flags an upscale when the answer is smaller than the frame', async () => {
    const small = await sharp(photo).resize(512, 512).jpeg().toBuffer()
    const done = await finishImage(small, spec({ width: 1080, height: 1080 }))
    expect(done.finish.upscaled).toBeCloseTo(2.11, 2)
    expect(done.finish.steps).toMatch(/upscaled ×2\.11/)
  })

  it('reports a file over its cap, with what was measured', async () => {
    const target = spec({ width: 1080, height: 1350, format: 'png', maxBytes: 1024 * 1024 })
    const done = await finishImage(photo, { ...target, maxBytes: 50 * 1024 * 1024 })
    const checks = await checkOutput(done.bytes, { ...target, maxBytes: 2048 })
    expect(checks.find((c) => c.rule === 'bytes')).toMatchObject({ passed: false, measured: done.bytes.length })
    expect(checks.find((c) => c.rule === 'bytes')?.message).toMatch(/allows at most 2 KB/)
    const wrongSize = await checkOutput(done.bytes, { ...target, width: 1000 })
    expect(wrongSize[0]).toMatchObject({ rule: 'size', passed: false })
    expect(wrongSize[0]?.message).toBe('The file is 1080×1350; Target asks for exactly 1000×1350.')
  })
})

describe('pure white background, measured on the border', () => {
  it('passes for a product on an off-white backdrop the model made: the edge region becomes exactly 255', async () => {
    const answer = await productOn({ r: 250, g: 251, b: 249 })
    expect(await borderShare(answer, 'white')).toBe(0)
    const target = spec({ width: 2000, height: 2000, background: 'white', quality: 92 })
    const done = await finishImage(answer, target)
    const checks = await checkOutput(done.bytes, target)
    const white = checks.find((c) => c.rule === 'white-border')!
    expect(white.passed).toBe(true)
    expect(white.measured).toBeGreaterThanOrEqual(0.99)
    // The product itself is untouched by the whitening: its centre still looks like the photo.
    const centre = await sharp(done.bytes).extract({ left: 700, top: 700, width: 600, height: 600 }).toBuffer()
    const expected = await sharp(photo).resize(1200, 1200, { fit: 'cover' }).extract({ left: 300, top: 300, width: 600, height: 600 }).toBuffer()
    expect(await pictureDistance(centre, expected)).toBeLessThan(6)
  })

  it('FAILS for a grey backdrop, and says why', async () => {
    const answer = await productOn({ r: 200, g: 200, b: 200 })
    const target = spec({ width: 2000, height: 2000, background: 'white' })
    const done = await finishImage(answer, target)
    const white = (await checkOutput(done.bytes, target)).find((c) => c.rule === 'white-border')!
    expect(white.passed).toBe(false)
    expect(white.measured).toBe(0)
    expect(white.message).toMatch(/^Only 0% of the border is pure white \(255,255,255\); at least 90% is needed/)
  })

  it('FAILS when the photo reaches the edges', async () => {
    const target = spec({ width: 1080, height: 1080, background: 'white' })
    const done = await finishImage(photo, target)
    expect((await checkOutput(done.bytes, target)).find((c) => c.rule === 'white-border')?.passed).toBe(false)
  })

  it('keys the white edge out to transparency for a transparent target', async () => {
    const answer = await productOn({ r: 255, g: 255, b: 255 })
    const target = spec({ width: 1080, height: 1080, background: 'transparent', format: 'png', keyOutWhite: true })
    const done = await finishImage(answer, target)
    const meta = await sharp(done.bytes).metadata()
    expect(meta.hasAlpha).toBe(true)
    const checks = await checkOutput(done.bytes, target)
    expect(checks.find((c) => c.rule === 'transparent-border')).toMatchObject({ passed: true })
    const opaque = await finishImage(answer, { ...target, keyOutWhite: false })
    expect((await checkOutput(opaque.bytes, target)).find((c) => c.rule === 'transparent-border')?.passed).toBe(false)
  })
})
