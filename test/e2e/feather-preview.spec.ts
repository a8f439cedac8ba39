import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import sharp from 'sharp'
import { test, expect } from './fixtures'

const W = 640
const H = 480
/** The rectangle masked, in picture pixels. */
const MASK = { left: 200, top: 150, right: 440, bottom: 330 }

/**
 * The overlay's alpha along the picture's middle row, read from the overlay canvas itself (its pixels are
 * the mask raster's, at the picture's own size), from the mask's left edge inwards.
 */
async function edgeProfile(canvas: Locator): Promise<number[]> {
  return canvas.evaluate(
    (el, { y, from, to }) => {
      const c = el as HTMLCanvasElement
      const data = c.getContext('2d')!.getImageData(0, y, c.width, 1).data
      const alphas: number[] = []
      for (let x = from; x < to; x++) alphas.push(data[x * 4 + 3]!)
      return alphas
    },
    { y: (MASK.top + MASK.bottom) >> 1, from: MASK.left - 4, to: (MASK.left + MASK.right) >> 1 }
  )
}

/** Pixels of the profile between clear and full: the width of the soft edge. */
const softWidth = (profile: number[]) => {
  const full = Math.max(...profile)
  return profile.filter((a) => a > 0 && a < full - 2).length
}

async function drawRectangle(page: Page, editor: Locator) {
  await editor.getByRole('button', { name: /^(Draw|Edit) mask$/ }).click()
  const tools = editor.getByRole('toolbar', { name: 'Mask tools' })
  await tools.getByRole('radio', { name: 'Rectangle' }).click()
  const box = (await editor.getByTestId('mask-canvas').boundingBox())!
  const at = (x: number, y: number) => ({ x: box.x + (x / W) * box.width, y: box.y + (y / H) * box.height })
  const from = at(MASK.left, MASK.top)
  const to = at(MASK.right, MASK.bottom)
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 6 })
  await page.mouse.up()
  return tools
}

test('the mask overlay shows the feathered edge the composite will use, and follows the feather control', async ({ page, app }) => {
  const dir = join(app.home, 'shoot')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: W, height: H, channels: 3, background: '#6b8fb3' } }).png().toFile(join(dir, 'jacket.png'))
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: 'jacket.png' })
  await expect(tile).not.toContainText('Inspecting')
  await tile.dblclick()
  const editor = page.getByTestId('editor-view')
  const tools = await drawRectangle(page, editor)
  const canvas = editor.getByTestId('mask-canvas')
  await expect(editor.getByTestId('mask-coverage')).toContainText(/Mask: 1[3-5]% of the picture/)

  // No feather: only the composite's own edge blur (under a pixel at this size) softens the edge.
  const hard = await edgeProfile(canvas)
  expect(hard.slice(0, 3)).toEqual([0, 0, 0])
  expect(softWidth(hard)).toBeLessThanOrEqual(3)

  const feather = tools.getByRole('slider', { name: 'Feather' })
  await feather.fill('30')
  await expect.poll(async () => softWidth(await edgeProfile(canvas))).toBeGreaterThan(15)
  const soft30 = await edgeProfile(canvas)
  // Outside the mask stays clear: the feather fades the edit in inside the edge, never past it.
  expect(soft30.slice(0, 3)).toEqual([0, 0, 0])
  // The fade rises steadily inwards and reaches the full overlay within the feather's reach.
  const inner = soft30.slice(4, 4 + 40)
  for (let i = 1; i < inner.length; i++) expect(inner[i]!).toBeGreaterThanOrEqual(inner[i - 1]!)
  expect(soft30[4 + 40]).toBe(Math.max(...soft30))
  await page.screenshot({ path: 'test-results/screens/editor-mask-feather.png' })

  await feather.fill('80')
  await expect.poll(async () => softWidth(await edgeProfile(canvas))).toBeGreaterThan(softWidth(soft30) + 15)
  await feather.fill('0')
  await expect.poll(async () => softWidth(await edgeProfile(canvas))).toBeLessThanOrEqual(3)
})
