import { copyFile, mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import { realPhotos } from '../support/corpus'
import { test, expect, type PixdeskFixture } from './fixtures'

/*
 * The viewer draws before and after in one coordinate frame: whatever the zoom, mode or device pixel
 * ratio, the two pictures' boxes coincide, and side by side every pane shows the same spot. Real
 * photos from the Lomiri wallpapers (CC-BY-SA), edited in the sandbox.
 */

type Rect = { x: number; y: number; width: number; height: number }

const rects = (pictures: Locator): Promise<Rect[]> =>
  pictures.evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect()
      return { x: r.x, y: r.y, width: r.width, height: r.height }
    })
  )

/** Each picture's box relative to its own pane, for panes laid out side by side. */
const rectsInPanes = (surfaces: Locator): Promise<Rect[]> =>
  surfaces.evaluateAll((els) =>
    els.map((surface) => {
      const s = surface.getBoundingClientRect()
      const r = surface.querySelector('img.viewer-img')!.getBoundingClientRect()
      return { x: r.x - s.x, y: r.y - s.y, width: r.width, height: r.height }
    })
  )

function expectSameBox(rs: Rect[], what: string) {
  expect(rs.length, what).toBeGreaterThanOrEqual(2)
  const [first, ...others] = rs
  for (const other of others) {
    for (const k of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(other[k] - first![k]), `${what}: ${k} ${JSON.stringify(rs)}`).toBeLessThanOrEqual(1)
  }
}

async function importPhoto(page: Page, app: PixdeskFixture, source: string): Promise<string> {
  const dir = join(app.home, 'shoot')
  await mkdir(dir, { recursive: true })
  const name = basename(source)
  await copyFile(source, join(dir, name))
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: name })
  await expect(tile).toBeVisible()
  await expect(tile).not.toContainText('Inspecting', { timeout: 30_000 })
  await tile.click()
  return name
}

const loaded = async (pictures: Locator, count: number) => {
  await expect(pictures).toHaveCount(count)
  for (const img of await pictures.all()) await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 20_000 }).toBeGreaterThan(0)
}

const kleiber = () => realPhotos().find((p) => basename(p).startsWith('Kleiber'))!

test.describe('on a high-density screen', () => {
  test.use({ deviceScaleFactor: 2 })

  test('the editor overlays before and after at fit, 100% and zoomed in; Space holds the before, L shows the lens', async ({ page, app }) => {
    await importPhoto(page, app, kleiber())
    await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Edit' }).click()
    const editor = page.getByTestId('editor-view')
    await editor.getByLabel('Prompt').fill('Warmer evening light over the whole scene')
    await editor.getByTestId('run-edit').click()
    await expect(editor.locator('.stage-label.right')).toContainText('Done', { timeout: 60_000 })

    const slider = editor.locator('.compare-slider')
    const pictures = slider.locator('img.viewer-img')
    await loaded(pictures, 2)
    // "Before" is the original's upright display copy at the result's resolution, never the thumbnail.
    const before = slider.locator('img[data-layer="before"]')
    const after = slider.locator('img[data-layer="after"]')
    expect(await before.getAttribute('src')).toMatch(/\/asset\/display\/[0-9a-f]{24}\?.*size=1024/)
    const naturals = await pictures.evaluateAll((els) => els.map((el) => [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).naturalHeight]))
    expect(naturals).toEqual([
      [1024, 576],
      [1024, 576]
    ])
    await expect(editor.getByTestId('viewer-shape-note')).toHaveCount(0)
    // The labels say what is drawn: a display copy of the 6028×3391 file against the 1024×576 result.
    await expect(editor.locator('.stage-label').first()).toContainText('1024×576 copy of 6028×3391')
    await expect(editor.locator('.stage-label.right')).toContainText('1024×576')

    // Fit: one box for both, inside the view.
    expectSameBox(await rects(pictures), 'fit')
    const view = (await slider.boundingBox())!
    const fit = (await rects(after))[0]!
    expect(fit.width).toBeLessThanOrEqual(view.width + 1)
    expect(fit.height).toBeLessThanOrEqual(view.height + 1)
    expect(Math.min(view.width - fit.width, view.height - fit.height)).toBeLessThanOrEqual(1)

    // 100%: one image pixel per device pixel, i.e. 512 CSS px for 1024 px at a ratio of 2.
    await slider.click()
    await page.keyboard.press('1')
    await expect(editor.getByTestId('viewer-zoom')).toHaveText('100%')
    expectSameBox(await rects(pictures), '100%')
    expect((await rects(after))[0]!.width).toBeCloseTo(512, 0)

    // Zoomed in at a point, then dragged: still one box.
    await page.mouse.move(view.x + view.width * 0.3, view.y + view.height * 0.4)
    await page.mouse.wheel(0, -1200)
    await expect.poll(async () => (await rects(after))[0]!.width).toBeGreaterThan(view.width * 1.2)
    expectSameBox(await rects(pictures), 'zoomed in')
    const zoomed = (await rects(after))[0]!
    await page.mouse.down()
    await page.mouse.move(view.x + view.width * 0.3 + 60, view.y + view.height * 0.4 + 30, { steps: 4 })
    await page.mouse.up()
    const panned = (await rects(after))[0]!
    expect(panned.x).not.toBeCloseTo(zoomed.x, 0)
    expectSameBox(await rects(pictures), 'panned')

    // The divider moves by pointer and by keyboard; it changes what is shown, never where.
    const divider = slider.getByRole('slider')
    const knob = (await divider.locator('.viewer-divider-knob').boundingBox())!
    await page.mouse.move(knob.x + knob.width / 2, knob.y + knob.height / 2)
    await page.mouse.down()
    await page.mouse.move(view.x + view.width * 0.7, knob.y + knob.height / 2, { steps: 5 })
    await page.mouse.up()
    await expect(divider).toHaveAttribute('aria-valuenow', '70')
    expectSameBox(await rects(pictures), 'divider dragged')
    await page.screenshot({ path: 'test-results/screens/viewer-slider-dragged.png' })
    await divider.focus()
    await page.keyboard.press('Shift+ArrowLeft')
    await expect(divider).toHaveAttribute('aria-valuenow', '60')
    expectSameBox(await rects(pictures), 'divider moved by keyboard')

    // Hold to compare: Space shows the before in place of the after, for as long as it is held.
    await editor.getByRole('radio', { name: 'Hold to compare' }).click()
    const hold = editor.locator('.viewer-hold')
    // The clicked mode button did not take the focus: Space is not a second click on it.
    await expect(editor.getByRole('radio', { name: 'Hold to compare' })).not.toBeFocused()
    const showing = editor.getByTestId('viewer-showing')
    await expect(showing).toHaveText(/Showing After/)
    await page.keyboard.down(' ')
    await expect(showing).toHaveText('Showing Before')
    await expect(hold.locator('img[data-layer="after"]')).toHaveCSS('visibility', 'hidden')
    expectSameBox(await rects(hold.locator('img.viewer-img')), 'held')
    await page.keyboard.up(' ')
    await expect(showing).toHaveText(/Showing After/)
    await expect(hold.locator('img[data-layer="after"]')).toHaveCSS('visibility', 'visible')

    // The lens: L shows it at the centre, arrows move it, L hides it.
    const lens = editor.getByTestId('viewer-lens')
    await expect(lens).toHaveCount(0)
    await page.keyboard.press('l')
    await expect(lens).toBeVisible()
    await expect(editor.getByRole('button', { name: 'Magnifier lens' })).toHaveAttribute('aria-pressed', 'true')
    const lensBefore = (await lens.boundingBox())!
    await page.keyboard.press('ArrowRight')
    await expect.poll(async () => (await lens.boundingBox())!.x).toBeGreaterThan(lensBefore.x + 10)
    // The lens magnifies: its picture is larger than the one in the view.
    const inLens = (await rects(lens.locator('img')))[0]!
    expect(inLens.width).toBeGreaterThan((await rects(hold.locator('img[data-layer="after"]')))[0]!.width * 1.5)
    await page.keyboard.press('l')
    await expect(lens).toHaveCount(0)

    // Side by side: one zoom and pan for both panes.
    await editor.getByRole('radio', { name: 'Side by side' }).click()
    const panes = editor.locator('.stage-view .viewer-surface')
    await expect(panes).toHaveCount(2)
    await loaded(editor.locator('.stage-view img.viewer-img'), 2)
    expectSameBox(await rectsInPanes(panes), 'side by side, fit')
    const first = (await panes.first().boundingBox())!
    await page.mouse.move(first.x + first.width * 0.7, first.y + first.height * 0.3)
    await page.mouse.wheel(0, -500)
    await page.mouse.down()
    await page.mouse.move(first.x + first.width * 0.7 - 80, first.y + first.height * 0.3 + 40, { steps: 4 })
    await page.mouse.up()
    await expect.poll(async () => (await rectsInPanes(panes))[1]!.width).toBeGreaterThan(first.width * 1.2)
    expectSameBox(await rectsInPanes(panes), 'side by side, zoomed and panned in one pane')
    await page.screenshot({ path: 'test-results/screens/viewer-side-by-side.png' })

    // A result of another shape is fitted into the same box, and the viewer says so.
    await editor.getByLabel('Size').selectOption('1024x1024')
    await editor.getByTestId('run-edit').click()
    await expect(editor.getByTestId('viewer-shape-note')).toContainText('Different shapes', { timeout: 60_000 })
    await expect(editor.getByTestId('viewer-shape-note')).toContainText('1:1 (1024×1024)')
    await editor.getByRole('radio', { name: 'Slider' }).click()
    await loaded(slider.locator('img.viewer-img'), 2)
    await page.keyboard.press('0')
    expectSameBox(await rects(slider.locator('img.viewer-img')), 'different shapes, fit')
    await page.screenshot({ path: 'test-results/screens/viewer-shapes.png' })
  })
})

test('compare shows the original against any result, in register, with zoom in step side by side', async ({ page, app }) => {
  await importPhoto(page, app, kleiber())
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Compare models' }).click()
  const view = page.getByTestId('compare-view')
  await view.getByLabel('Prompt').fill('Turn the bird into a watercolour study')
  await view.getByTestId('run-compare').click()
  const rows = view.locator('.compare-table tbody tr')
  await expect(rows).toHaveCount(2)
  await expect(rows.nth(0)).toContainText('Done', { timeout: 60_000 })
  await expect(rows.nth(1)).toContainText('Done', { timeout: 60_000 })

  // Side by side: the original and both results, one zoom and pan for all.
  const panes = view.locator('.stage-view .viewer-surface')
  await expect(panes).toHaveCount(3)
  await loaded(view.locator('.stage-view img.viewer-img'), 3)
  expectSameBox(await rectsInPanes(panes), 'fit')
  const middle = (await panes.nth(1).boundingBox())!
  await page.mouse.move(middle.x + middle.width / 2, middle.y + middle.height / 2)
  await page.mouse.wheel(0, -600)
  await page.mouse.down()
  await page.mouse.move(middle.x + middle.width / 2 + 50, middle.y + middle.height / 2 - 30, { steps: 4 })
  await page.mouse.up()
  await expect.poll(async () => (await rectsInPanes(panes))[0]!.width).toBeGreaterThan(middle.width * 1.5)
  expectSameBox(await rectsInPanes(panes), 'zoomed and panned in the middle pane')
  await page.keyboard.press('1')
  await expect(view.getByTestId('viewer-zoom')).toHaveText('100%')
  expectSameBox(await rectsInPanes(panes), '100%')

  // The slider: the original on the left, result B on the right.
  await view.getByRole('radio', { name: 'Slider' }).click()
  await view.getByLabel('Left of the slider').selectOption({ label: 'Original' })
  const right = view.getByLabel('Right of the slider')
  await right.selectOption({ index: 2 })
  await expect(view.locator('.stage-label').first()).toContainText('Original')
  await expect(view.locator('.stage-label.right')).toContainText(/^B ·/)
  const pictures = view.locator('.compare-slider img.viewer-img')
  await loaded(pictures, 2)
  await expect(pictures.first()).toHaveAttribute('src', /\/asset\/display\//)
  for (const key of ['0', '1', '+']) {
    await page.keyboard.press(key)
    expectSameBox(await rects(pictures), `slider after ${key}`)
  }
  await page.screenshot({ path: 'test-results/screens/viewer-compare-original.png' })
})
