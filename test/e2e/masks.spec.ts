import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import sharp from 'sharp'
import { test, expect, type PixdeskFixture } from './fixtures'

const W = 640
const H = 480
/** The area masked in every step, in picture pixels, and how far a soft or feathered edge may reach past it. */
const MASK = { left: 200, top: 150, right: 440, bottom: 330 }
const EDGE = 6

/** A picture with detail everywhere, so a change anywhere shows in its pixels. */
async function makeFolder(root: string): Promise<string> {
  const dir = join(root, 'shoot')
  await mkdir(dir, { recursive: true })
  const pixels = Buffer.alloc(W * H * 3)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3
      pixels[i] = (x * 255) / W
      pixels[i + 1] = (y * 255) / H
      pixels[i + 2] = ((x >> 4) + (y >> 4)) % 2 ? 200 : 60
    }
  }
  await sharp(pixels, { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(dir, 'jacket.png'))
  return dir
}

async function rgb(path: string): Promise<Buffer> {
  return sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer()
}

const outside = (x: number, y: number) => x < MASK.left - EDGE || x >= MASK.right + EDGE || y < MASK.top - EDGE || y >= MASK.bottom + EDGE
const inside = (x: number, y: number) => x >= MASK.left + EDGE && x < MASK.right - EDGE && y >= MASK.top + EDGE && y < MASK.bottom - EDGE

/** Largest channel difference outside the mask, and the share of pixels inside it that changed. */
function compare(before: Buffer, after: Buffer, width = W, height = H) {
  let outsideMax = 0
  let insideChanged = 0
  let insideCount = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const d = Math.max(Math.abs(before[i]! - after[i]!), Math.abs(before[i + 1]! - after[i + 1]!), Math.abs(before[i + 2]! - after[i + 2]!))
      if (outside(x, y)) outsideMax = Math.max(outsideMax, d)
      else if (inside(x, y)) {
        insideCount++
        if (d > 8) insideChanged++
      }
    }
  }
  return { outsideMax, insideChanged: insideChanged / insideCount }
}

/**
 * The mask drawn with real pointer events on the canvas: a rectangle over most of the area, then a brush
 * stroke filling its bottom band, so both tools take part.
 */
async function drawMask(page: Page, editor: Locator) {
  await editor.getByRole('button', { name: /^(Draw|Edit) mask$/ }).click()
  const tools = editor.getByRole('toolbar', { name: 'Mask tools' })
  await expect(tools).toBeVisible()
  const canvas = editor.getByTestId('mask-canvas')
  /** Screen points of picture points, measured just before each gesture (the stage may have been laid out anew). */
  const screen = async () => {
    const box = (await canvas.boundingBox())!
    return (x: number, y: number) => ({ x: box.x + (x / W) * box.width, y: box.y + (y / H) * box.height })
  }
  await tools.getByRole('radio', { name: 'Rectangle' }).click()
  let at = await screen()
  const from = at(MASK.left, MASK.top)
  const to = at(MASK.right, MASK.bottom - 40)
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 })
  await page.mouse.move(to.x, to.y, { steps: 4 })
  await page.mouse.up()
  // B picks the brush; the brush's radius is in picture pixels, whatever the zoom.
  await page.keyboard.press('b')
  await expect(tools.getByRole('radio', { name: 'Brush' })).toHaveAttribute('aria-checked', 'true')
  await tools.getByLabel('Size').fill('20')
  await tools.getByLabel('Hardness').fill('100')
  at = await screen()
  const a = at(MASK.left + 20, MASK.bottom - 20)
  const b = at(MASK.right - 20, MASK.bottom - 20)
  await page.mouse.move(a.x, a.y)
  await page.mouse.down()
  await page.mouse.move(b.x, b.y, { steps: 12 })
  await page.mouse.up()
  await expect(editor.getByTestId('mask-coverage')).toContainText(/Mask: 1[2-5]% of the picture/)
}

async function chooseModel(editor: Locator, id: string) {
  await editor.getByRole('combobox', { name: 'Model' }).fill(id)
  await editor.getByRole('option', { name: new RegExp(id.replace(/\./g, '\\.')) }).first().click()
}

/** Runs the edit and waits for its record (the stage may still say Done from the run before). */
async function runAndWait(app: PixdeskFixture, editor: Locator, prompt: string) {
  const before = (await app.services.history.query({})).total
  await editor.getByLabel('Prompt').fill(prompt)
  await editor.getByTestId('run-edit').click()
  await expect.poll(async () => (await app.services.history.query({})).total, { timeout: 30_000 }).toBe(before + 1)
  await expect(editor.locator('.stage-label.right')).toContainText('Done', { timeout: 10_000 })
}

/** The newest record's first output, with the record. */
async function newestOutput(app: PixdeskFixture) {
  const page = await app.services.history.query({ sort: 'newest' })
  const record = page.items[0]!
  return { record, path: record.outputs[0]!.path }
}

/** The slider at both ends, screenshotted: outside the mask the two pictures are the same on screen. */
async function sliderShowsChangesInside(editor: Locator) {
  const surface = editor.locator('.compare-slider')
  const divider = surface.getByRole('slider')
  const frame = (await surface.locator('img[data-layer="before"]').boundingBox())!
  const origin = (await surface.boundingBox())!
  const shot = async () => {
    const png = await surface.screenshot()
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    return { data, width: info.width }
  }
  await divider.focus()
  await divider.press('End')
  const beforeShot = await shot()
  await divider.press('Home')
  const afterShot = await shot()
  const scale = frame.width / W
  let outsideMax = 0
  let insideDiffers = 0
  let insideCount = 0
  // Screen pixels inside the picture, away from its border (where the divider and knob are drawn).
  for (let sy = Math.ceil(frame.y - origin.y) + 2; sy < frame.y - origin.y + frame.height - 2; sy++) {
    for (let sx = Math.ceil(frame.x - origin.x) + 24; sx < frame.x - origin.x + frame.width - 24; sx++) {
      const x = (sx - (frame.x - origin.x)) / scale
      const y = (sy - (frame.y - origin.y)) / scale
      const i = (sy * beforeShot.width + sx) * 3
      const d = Math.max(...[0, 1, 2].map((c) => Math.abs(beforeShot.data[i + c]! - afterShot.data[i + c]!)))
      if (x < MASK.left - EDGE - 2 / scale || x >= MASK.right + EDGE + 2 / scale || y < MASK.top - EDGE - 2 / scale || y >= MASK.bottom + EDGE + 2 / scale) outsideMax = Math.max(outsideMax, d)
      else if (inside(x, y)) {
        insideCount++
        if (d > 8) insideDiffers++
      }
    }
  }
  expect(outsideMax).toBeLessThanOrEqual(2)
  expect(insideDiffers / insideCount).toBeGreaterThan(0.3)
}

test('draw a mask, run it on a Gemini and a GPT model and continue twice: outside the mask every result keeps the original', async ({ page, app }) => {
  test.setTimeout(150_000)
  const dir = await makeFolder(app.home)
  const original = join(dir, 'jacket.png')
  await app.services.settings.update({ provider: { sandbox: true } })
  // The simulated model also changes the top fifth of the picture, outside the mask: the leak to be measured and undone.
  const sandboxUrl = await app.services.sandbox.ensure()
  await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ leakOutsideMask: 0.2 }) })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: 'jacket.png' })
  await expect(tile).not.toContainText('Inspecting')
  await tile.click()
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Edit' }).click()
  const editor = page.getByTestId('editor-view')

  // Gemini takes no mask: only the masked region is sent, and the answer is placed back.
  await chooseModel(editor, 'gemini-2.5-flash-image')
  await drawMask(page, editor)
  await page.screenshot({ path: 'test-results/screens/editor-mask.png' })
  await editor.getByRole('button', { name: 'Done' }).click()
  await expect(editor.getByRole('button', { name: 'Edit mask' })).toBeVisible()
  await runAndWait(app, editor, 'Make the jacket red')
  const gemini = await newestOutput(app)
  expect(gemini.record).toMatchObject({ model: 'gemini-2.5-flash-image', status: 'succeeded', mask: { route: 'crop' } })
  let diff = compare(await rgb(original), await rgb(gemini.path))
  expect(diff.outsideMax).toBeLessThanOrEqual(1)
  expect(diff.insideChanged).toBeGreaterThan(0.3)
  await expect(editor.getByTestId('mask-leak')).toContainText(/outside the mask changed/)
  await sliderShowsChangesInside(editor)

  // GPT takes the mask itself; the same drawn mask goes with the same picture.
  await chooseModel(editor, 'gpt-image-1.5')
  await runAndWait(app, editor, 'Make the jacket blue')
  const gpt = await newestOutput(app)
  expect(gpt.record).toMatchObject({ model: 'gpt-image-1.5', status: 'succeeded', mask: { route: 'native' } })
  expect(gpt.record.mask!.leak[0]).toBeGreaterThan(0.05)
  expect(gpt.record.mask!.sha256).toBe(gemini.record.mask!.sha256)
  diff = compare(await rgb(original), await rgb(gpt.path))
  expect(diff.outsideMax).toBeLessThanOrEqual(1)
  expect(diff.insideChanged).toBeGreaterThan(0.3)
  const leak = gpt.record.mask!.leak[0]! * 100
  const leakPercent = leak < 10 ? leak.toFixed(1) : String(Math.round(leak))
  await expect(editor.getByTestId('mask-leak')).toContainText(`${leakPercent}% of pixels outside the mask changed`)
  await sliderShowsChangesInside(editor)

  // Continue from the result twice, a mask drawn over each version: a chain of three masked versions.
  let parent = gpt
  for (const [step, prompt] of ['Add a zip', 'Darker collar'].entries()) {
    await editor.getByRole('button', { name: 'Continue from this' }).click()
    await expect(editor.getByTestId('edit-base')).toBeVisible()
    // The chain of the original: both first edits, then each continued version.
    await expect(editor.getByTestId('version-chip')).toHaveCount(step + 2)
    // Another picture: its mask starts empty.
    await expect(editor.getByRole('button', { name: 'Draw mask' })).toBeVisible()
    await drawMask(page, editor)
    await editor.getByRole('button', { name: 'Done' }).click()
    await runAndWait(app, editor, prompt)
    const next = await newestOutput(app)
    expect(next.record.parent?.recordId).toBe(parent.record.id)
    expect(next.record.mask?.route).toBe('native')
    diff = compare(await rgb(parent.path), await rgb(next.path))
    expect(diff.outsideMax).toBeLessThanOrEqual(1)
    expect(diff.insideChanged).toBeGreaterThan(0.3)
    parent = next
  }
  await expect(editor.getByTestId('version-chip')).toHaveCount(4, { timeout: 10_000 })
  // Each version in the strip says it was made within a mask.
  await expect(editor.getByTestId('version-chip').filter({ has: page.locator('.mask-tag') })).toHaveCount(4)

  // History details: the mask, how it went, and the leak.
  await page.getByRole('button', { name: /^History/ }).click()
  const view = page.getByTestId('history-view')
  await view.getByTestId('history-row').filter({ hasText: 'Make the jacket blue' }).getByRole('button').first().click()
  const detail = view.getByTestId('history-mask')
  await expect(detail).toContainText('Masked edit, sent to the model as its mask.')
  await expect(detail).toContainText(`${leakPercent}% of pixels outside the mask changed; the original was kept there.`)
  const thumb = detail.getByRole('img', { name: /The mask/ })
  await expect.poll(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(W)
})

test('the mask tools: undo, redo, invert, clear and a mask that marks everything refused before anything is sent', async ({ page, app }) => {
  const dir = await makeFolder(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: 'jacket.png' })
  await expect(tile).not.toContainText('Inspecting')
  await tile.click()
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Edit' }).click()
  const editor = page.getByTestId('editor-view')
  await drawMask(page, editor)
  const tools = editor.getByRole('toolbar', { name: 'Mask tools' })
  const coverage = editor.getByTestId('mask-coverage')
  const before = await coverage.textContent()
  await page.keyboard.press('Control+z')
  await expect(coverage).not.toHaveText(before!)
  await page.keyboard.press('Control+Shift+z')
  await expect(coverage).toHaveText(before!)

  // A lasso adds an area away from the rest, the eraser (E) takes a band out of it; both are undone.
  const box = (await editor.getByTestId('mask-canvas').boundingBox())!
  const at = (x: number, y: number) => ({ x: box.x + (x / W) * box.width, y: box.y + (y / H) * box.height })
  await tools.getByRole('radio', { name: 'Lasso' }).click()
  const corners = [at(20, 20), at(180, 20), at(180, 140), at(20, 140)]
  await page.mouse.move(corners[0]!.x, corners[0]!.y)
  await page.mouse.down()
  for (const c of corners.slice(1)) await page.mouse.move(c.x, c.y, { steps: 5 })
  await page.mouse.up()
  const percent = async () => Number(/(\d+(?:\.\d+)?)% of the picture/.exec((await coverage.textContent()) ?? '')?.[1] ?? NaN)
  const drawn = Number(/(\d+)%/.exec(before!)![1])
  // 160 × 120 more picture pixels: about 6% of it.
  await expect.poll(percent).toBeGreaterThanOrEqual(drawn + 5)
  const withLasso = await coverage.textContent()
  await page.keyboard.press('e')
  const [from, to] = [at(30, 80), at(170, 80)]
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 10 })
  await page.mouse.up()
  await expect.poll(percent).toBeLessThan(Number(/(\d+)%/.exec(withLasso!)![1]))
  await tools.getByRole('button', { name: 'Undo' }).click()
  await expect(coverage).toHaveText(withLasso!)
  await tools.getByRole('button', { name: 'Undo' }).click()
  await expect(coverage).toHaveText(before!)
  await tools.getByRole('button', { name: 'Invert' }).click()
  await expect(coverage).toContainText(/Mask: 8[5-8]% of the picture/)
  // [ and ] change the brush size.
  const size = tools.getByLabel('Size')
  await page.keyboard.press(']')
  await expect(size).toHaveValue('25')
  await page.keyboard.press('[')
  await expect(size).toHaveValue('20')
  await tools.getByRole('button', { name: 'Clear' }).click()
  await expect(coverage).toHaveText('Paint where the edit may happen')
  await tools.getByRole('button', { name: 'Invert' }).click()
  await expect(coverage).toContainText('Mask: 100% of the picture')
  await editor.getByLabel('Prompt').fill('Anything')
  await editor.getByTestId('run-edit').click()
  await expect(editor).toContainText('The mask covers the whole picture, which is the same as no mask')
  expect((await app.services.history.query({})).total).toBe(0)
})
