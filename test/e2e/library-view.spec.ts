import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { test, expect } from './fixtures'

/**
 * A recursive shoot: pictures of different sizes and dates in nested folders, one with transparency,
 * one damaged file. Modification times are set so "newest first" has one right answer.
 */
async function makeShoot(root: string): Promise<string> {
  const dir = join(root, 'spring-shoot')
  await mkdir(join(dir, 'shoes', 'close-ups'), { recursive: true })
  await mkdir(join(dir, 'bags'), { recursive: true })
  const gradient = (w: number, h: number, hue: [number, number, number]) => {
    const raw = Buffer.alloc(w * h * 3)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([(hue[0] * x) / w, (hue[1] * y) / h, hue[2]], (y * w + x) * 3)
    return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
  }
  const files: Array<[string, Promise<unknown>, number]> = [
    ['cover.jpg', gradient(900, 500, [255, 140, 40]).jpeg({ quality: 92 }).toFile(join(dir, 'cover.jpg')), 3],
    ['shoes/sneaker.jpg', gradient(400, 300, [60, 200, 255]).jpeg({ quality: 60 }).toFile(join(dir, 'shoes', 'sneaker.jpg')), 1],
    ['shoes/close-ups/lace.png', gradient(300, 300, [200, 255, 90]).png().toFile(join(dir, 'shoes', 'close-ups', 'lace.png')), 4],
    [
      'bags/cutout.png',
      sharp({ create: { width: 320, height: 320, channels: 4, background: { r: 230, g: 57, b: 70, alpha: 0 } } })
        .composite([{ input: Buffer.from('<svg width="320" height="320"><circle cx="160" cy="160" r="120" fill="#e63946"/></svg>') }])
        .png()
        .toFile(join(dir, 'bags', 'cutout.png')),
      2
    ]
  ]
  for (const [, made] of files) await made
  const jpeg = await gradient(500, 400, [255, 255, 255]).jpeg().toBuffer()
  await writeFile(join(dir, 'bags', 'torn.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)))
  files.push(['bags/torn.jpg', Promise.resolve(), 0])
  // Days ago per file: lace is the oldest, torn the newest.
  for (const [rel, , daysAgo] of files) {
    const when = new Date(Date.UTC(2026, 10, 20) - daysAgo * 86_400_000)
    await utimes(join(dir, rel), when, when)
  }
  return dir
}

const names = async (page: Page) => (await page.getByTestId('asset-tile').locator('.tile-name').allInnerTexts()).map((n) => n.trim())

test('the library sorts, sizes and frames its thumbnails, and remembers the choice', async ({ page, app }) => {
  const dir = await makeShoot(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  const library = page.getByTestId('library-view')
  app.dialogs.directories.push([dir])
  await library.getByRole('button', { name: 'Add folder' }).first().click()
  const tiles = library.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(5)
  await expect(tiles.filter({ hasText: 'Inspecting' })).toHaveCount(0)

  // Name order is by path, as a file browser lists a recursive folder.
  await expect.poll(() => names(page)).toEqual(['cutout.png', 'torn.jpg', 'cover.jpg', 'lace.png', 'sneaker.jpg'])
  const sort = library.getByLabel('Sort images by')
  await sort.selectOption('date')
  await expect.poll(() => names(page)).toEqual(['torn.jpg', 'sneaker.jpg', 'cutout.png', 'cover.jpg', 'lace.png'])
  await sort.selectOption('size')
  const sizes = await page.evaluate(() => window.pixdesk.invoke('library.assets', { filter: 'all' }))
  const bySize = [...sizes].sort((a, b) => b.bytes - a.bytes).map((a) => a.name)
  await expect.poll(() => names(page)).toEqual(bySize)
  await sort.selectOption('problems')
  await expect.poll(async () => (await names(page))[0]).toBe('torn.jpg')

  // Thumbnail size: tiles get larger, fewer per row.
  const width = async () => (await tiles.first().boundingBox())!.width
  const medium = await width()
  await library.getByRole('radiogroup', { name: 'Thumbnail size' }).getByRole('radio', { name: 'L' }).click()
  await expect.poll(width).toBeGreaterThan(medium + 40)
  await library.getByRole('radiogroup', { name: 'Thumbnail size' }).getByRole('radio', { name: 'S' }).click()
  await expect.poll(width).toBeLessThan(medium - 20)

  // Fit shows the whole picture; fill crops it to the square.
  const coverImg = tiles.filter({ hasText: 'cover.jpg' }).locator('img')
  await expect(coverImg).toHaveCSS('object-fit', 'contain')
  await library.getByRole('radio', { name: 'Fill' }).click()
  await expect(coverImg).toHaveCSS('object-fit', 'cover')

  // An opaque JPEG never sits on the transparency checkerboard; the PNG with alpha does.
  const cover = tiles.filter({ hasText: 'cover.jpg' }).locator('.thumb')
  await expect(cover).not.toHaveClass(/alpha/)
  expect(await cover.evaluate((el) => getComputedStyle(el).backgroundImage)).toBe('none')
  const cutout = tiles.filter({ hasText: 'cutout.png' }).locator('.thumb')
  await expect(cutout).toHaveClass(/alpha/)
  expect(await cutout.evaluate((el) => getComputedStyle(el).backgroundImage)).toContain('conic-gradient')
  await page.screenshot({ path: 'test-results/screens/library-sorted-small-fill.png' })

  // The choices hold after the window reloads.
  await page.reload()
  await expect(tiles).toHaveCount(5)
  await expect(library.getByLabel('Sort images by')).toHaveValue('problems')
  await expect(library.getByRole('radiogroup', { name: 'Thumbnail size' }).getByRole('radio', { name: 'S' })).toHaveAttribute('aria-checked', 'true')
  await expect(library.getByRole('radio', { name: 'Fill' })).toHaveAttribute('aria-checked', 'true')
  await expect.poll(width).toBeLessThan(medium - 20)
})

test('a recursive import shows its folder tree; a folder shows its images and the details say where a file lives', async ({ page, app }) => {
  const dir = await makeShoot(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  const library = page.getByTestId('library-view')
  app.dialogs.directories.push([dir])
  await library.getByRole('button', { name: 'Add folder' }).first().click()
  const tiles = library.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(5)

  const sources = library.getByRole('navigation', { name: 'Sources' })
  // First-level subfolders show at once, with their counts (subfolders included).
  await expect(sources.getByRole('button', { name: /^shoes\s*2$/ })).toBeVisible()
  await expect(sources.getByRole('button', { name: /^bags\s*1\s*2$/ })).toBeVisible()
  await expect(sources.getByRole('button', { name: /^close-ups/ })).toHaveCount(0)
  await sources.getByRole('button', { name: 'Show subfolders of shoes' }).click()
  await expect(sources.getByRole('button', { name: /^close-ups\s*1$/ })).toBeVisible()

  await sources.getByRole('button', { name: /^shoes\s*2$/ }).click()
  await expect.poll(() => names(page)).toEqual(['lace.png', 'sneaker.jpg'])
  await sources.getByRole('button', { name: /^close-ups/ }).click()
  await expect.poll(() => names(page)).toEqual(['lace.png'])

  await tiles.first().click()
  const details = page.getByRole('complementary', { name: 'Image details' })
  await expect(details.getByTestId('details-folder')).toHaveText(join(dir, 'shoes', 'close-ups'))
  await page.screenshot({ path: 'test-results/screens/library-folder-tree.png' })

  await sources.getByRole('button', { name: /^spring-shoot/ }).click()
  await expect(tiles).toHaveCount(5)
  await tiles.filter({ hasText: 'cover.jpg' }).click()
  await expect(details.getByTestId('details-folder')).toHaveText(dir)
})

test('the details panel folds away, giving the grid its width, and stays as it was left', async ({ page, app }) => {
  const dir = await makeShoot(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  const library = page.getByTestId('library-view')
  app.dialogs.directories.push([dir])
  await library.getByRole('button', { name: 'Add folder' }).first().click()
  await expect(library.getByTestId('asset-tile')).toHaveCount(5)

  const details = page.getByRole('complementary', { name: 'Image details' })
  const toggle = library.getByRole('button', { name: 'Details' })
  await expect(details).toBeVisible()
  await expect(toggle).toHaveAttribute('aria-expanded', 'true')
  const grid = library.getByRole('listbox', { name: 'Images' })
  const open = (await grid.boundingBox())!.width
  await toggle.click()
  await expect(details).toHaveCount(0)
  await expect(toggle).toHaveAttribute('aria-expanded', 'false')
  await expect.poll(async () => (await grid.boundingBox())!.width).toBeGreaterThan(open + 200)
  await page.screenshot({ path: 'test-results/screens/library-details-closed.png' })

  await page.reload()
  await expect(library.getByTestId('asset-tile')).toHaveCount(5)
  await expect(details).toHaveCount(0)
  await library.getByRole('button', { name: 'Details' }).click()
  await expect(details).toBeVisible()
  await expect(details).toContainText('Select an image to see its details.')

  // At a small laptop window the details still open when asked, and every control stays on screen.
  await page.setViewportSize({ width: 1024, height: 700 })
  await expect(details).toBeVisible()
  for (const button of await library.locator('.view-header button, .view-header select').all()) await expect(button).toBeInViewport()
  expect(await library.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true)
  await page.screenshot({ path: 'test-results/screens/library-1024.png' })
})
