import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { batchSpecPayload, continueFromPayload, maskPayload } from '../../shared/contract'
import { decodeStoredMask, coverage } from '../../electron/core/masks/read'
import { drawnMaskRef, storeDrawnMask } from '../../electron/core/masks/store'

/** A mask drawn in the window: the contract's checks at the edge, then the same checks and storage as a mask file. */

let dir: string
let picture: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-mask-drawn-'))
  picture = join(dir, 'shoe.png')
  await sharp({ create: { width: 800, height: 600, channels: 3, background: '#c96' } }).png().toFile(picture)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A greyscale mask (white = edit) with a white rectangle, as the editor sends it. */
async function drawn(width: number, height: number, area?: { left: number; top: number; width: number; height: number }): Promise<Buffer> {
  const base = sharp({ create: { width, height, channels: 3, background: '#000' } })
  if (!area) return base.png().toBuffer()
  const white = await sharp({ create: { width: area.width, height: area.height, channels: 3, background: '#fff' } }).png().toBuffer()
  return base.composite([{ input: white, left: area.left, top: area.top }]).png().toBuffer()
}

describe('the mask payload', () => {
  it('takes PNG bytes in base64 and refuses anything else', async () => {
    const png = (await drawn(40, 30, { left: 0, top: 0, width: 10, height: 10 })).toString('base64')
    expect(maskPayload.safeParse({ pngBase64: png }).success).toBe(true)
    const jpeg = (await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).jpeg().toBuffer()).toString('base64')
    expect(maskPayload.safeParse({ pngBase64: jpeg }).error?.issues[0]?.message).toBe('The mask is not a PNG')
    expect(maskPayload.safeParse({ pngBase64: `${png.slice(0, -4)}!!!!` }).error?.issues[0]?.message).toBe('The mask is not valid base64')
    expect(maskPayload.safeParse({ pngBase64: png, path: '/etc/passwd' }).success).toBe(false)
  })

  it('goes with exactly one image to edit, and with a continued version', async () => {
    const mask = { pngBase64: (await drawn(40, 30, { left: 0, top: 0, width: 10, height: 10 })).toString('base64') }
    const spec = { prompt: 'red', models: ['gpt-image-1.5'], mask }
    expect(batchSpecPayload.safeParse({ ...spec, assetIds: ['a'] }).success).toBe(true)
    expect(batchSpecPayload.safeParse({ ...spec, assetIds: ['a', 'b'] }).error?.issues[0]?.message).toBe('A mask goes with exactly one image to edit')
    expect(batchSpecPayload.safeParse({ ...spec, kind: 'generate' }).success).toBe(false)
    expect(continueFromPayload.safeParse({ recordId: 'r', outputIndex: 0, prompt: 'red', model: 'gpt-image-1.5', mask }).success).toBe(true)
  })
})

describe('storeDrawnMask', () => {
  it('scales a mask drawn at a smaller size to the picture and keeps it by hash', async () => {
    const stored = await storeDrawnMask(dir, await drawn(400, 300, { left: 100, top: 75, width: 200, height: 150 }), picture)
    expect(stored).toMatchObject({ width: 800, height: 600, scaledFrom: { width: 400, height: 300 } })
    expect(stored.path).toBe(join(dir, 'masks', `${stored.sha256}.png`))
    const kept = await decodeStoredMask(await readFile(stored.path))
    expect(coverage(kept)).toBeCloseTo(0.25, 2)
  })

  it('refuses a drawn mask that marks nothing, or one of another shape, naming it as drawn', async () => {
    await expect(storeDrawnMask(dir, await drawn(400, 300), picture)).rejects.toMatchObject({ code: 'validation', data: { field: 'mask' }, message: expect.stringContaining('The mask drawn in the editor marks nothing to edit') })
    await expect(storeDrawnMask(dir, await drawn(300, 300, { left: 0, top: 0, width: 50, height: 50 }), picture)).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('aspect ratios differ') })
  })

  it('needs exactly one image that can be sent', async () => {
    const png = (await drawn(80, 60, { left: 10, top: 10, width: 20, height: 20 })).toString('base64')
    await expect(drawnMaskRef(dir, png, [])).rejects.toMatchObject({ data: { field: 'mask' }, message: expect.stringContaining('exactly one image') })
    await expect(drawnMaskRef(dir, png, [{ path: picture }, { path: picture }])).rejects.toMatchObject({ data: { field: 'mask' } })
    const ref = await drawnMaskRef(dir, png, [{ path: picture }])
    expect(ref.sha256).toHaveLength(64)
  })
})
