import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { test, expect } from './fixtures'

/** Real pictures (gradients, so thumbnails visibly differ), one truncated JPEG and one text file named .png. */
async function makeFolder(root: string): Promise<string> {
  const dir = join(root, 'shoot-2026')
  await mkdir(join(dir, 'details'), { recursive: true })
  const picture = (w: number, h: number, hue: [number, number, number]) => {
    const raw = Buffer.alloc(w * h * 3)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) raw.set([(hue[0] * x) / w, (hue[1] * y) / h, hue[2]], (y * w + x) * 3)
    return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
  }
  await picture(640, 480, [255, 120, 60]).png().toFile(join(dir, 'sneaker.png'))
  await picture(480, 640, [60, 200, 255]).jpeg({ quality: 85 }).toFile(join(dir, 'bag.jpg'))
  await picture(512, 512, [200, 255, 90]).png().toFile(join(dir, 'details', 'watch.png'))
  const jpeg = await picture(400, 300, [255, 255, 255]).jpeg().toBuffer()
  await writeFile(join(dir, 'broken.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)))
  await writeFile(join(dir, 'notes.png'), 'Shot list: sneaker, bag, watch. Retouch by Friday.\n')
  return dir
}

test('importing a folder streams in thumbnails and explains each problem file', async ({ page, app }) => {
  const dir = await makeFolder(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  const library = page.getByTestId('library-view')
  await expect(library.getByRole('heading', { name: 'Add your photos' })).toBeVisible()

  app.dialogs.directories.push([dir])
  await library.getByRole('button', { name: 'Add folder' }).first().click()

  const tiles = library.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(5)
  await expect(library.getByRole('navigation', { name: 'Sources' })).toContainText('shoot-2026')

  // Problem files say what is wrong with them, in the grid and in the details panel.
  const notes = tiles.filter({ hasText: 'notes.png' })
  await expect(notes).toHaveClass(/problem/)
  await expect(notes.locator('.tile-detail')).not.toHaveText('')
  const broken = tiles.filter({ hasText: 'broken.jpg' })
  await expect(broken).toHaveClass(/problem/)
  await broken.click()
  const inspector = page.getByRole('complementary', { name: 'Image details' })
  await expect(inspector.getByRole('note')).toBeVisible()
  const reason = (await inspector.getByRole('note').innerText()).trim()
  expect(reason.length).toBeGreaterThan(10)
  const listed = await page.evaluate(() => window.pixdesk.invoke('library.assets', { filter: 'problems' }))
  expect(listed.map((a) => a.error?.message)).toContain(reason)

  await library.getByRole('radio', { name: /Problems/ }).click()
  await expect(tiles).toHaveCount(2)
  await library.getByRole('radio', { name: 'All' }).click()
  await expect(tiles).toHaveCount(5)

  // Keyboard: the grid takes focus, arrows move, shift extends the selection.
  await tiles.filter({ hasText: 'sneaker.png' }).click()
  await page.keyboard.press('Shift+ArrowLeft')
  await expect(library.getByRole('toolbar', { name: 'Selection' })).toContainText('2 selected')

  await tiles.filter({ hasText: 'sneaker.png' }).click()
  await page.screenshot({ path: 'test-results/screens/library.png' })

  // Every good image shows a decoded thumbnail served by the main process.
  for (const name of ['sneaker.png', 'bag.jpg', 'watch.png']) {
    const img = tiles.filter({ hasText: name }).locator('img')
    await expect(img).toHaveJSProperty('complete', true)
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0)
  }
  await page.screenshot({ path: 'test-results/screens/library.png' })
})

test('single files come in through "Add files" as their own source, and a source can be removed again', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  const library = page.getByTestId('library-view')
  const tiles = library.getByTestId('asset-tile')
  const loose = join(app.home, 'loose-shot.png')
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#6a4c93' } }).png().toFile(loose)
  app.dialogs.files.push([loose])
  await library.getByRole('button', { name: 'Add files' }).first().click()
  await expect(tiles).toHaveCount(1)
  await expect(tiles).toContainText('300×200')
  const sources = library.getByRole('navigation', { name: 'Sources' })
  await expect(sources).toContainText('loose-shot.png')
  await sources.getByRole('button', { name: 'Remove loose-shot.png from the library' }).click()
  await expect(tiles).toHaveCount(0)
  await expect(sources).not.toContainText('loose-shot.png')
  // The main process agrees: the file is no longer part of the library.
  expect(await page.evaluate(() => window.pixdesk.invoke('library.roots', {}))).toEqual([])
  await expect(library.getByRole('heading', { name: 'Add your photos' })).toBeVisible()
})

test('an image pasted from the clipboard or dropped on the window joins the library', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  const library = page.getByTestId('library-view')
  const tiles = library.getByTestId('asset-tile')
  await expect(library.getByRole('heading', { name: 'Add your photos' })).toBeVisible()

  const png = (await sharp({ create: { width: 200, height: 120, channels: 3, background: '#ff9f1c' } }).png().toBuffer()).toString('base64')
  await page.evaluate((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
    const clip = new DataTransfer()
    clip.items.add(new File([bytes], 'clipboard.png', { type: 'image/png' }))
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clip }))
  }, png)
  await expect(tiles).toHaveCount(1)
  await expect(tiles.first()).toContainText('200×120')
  await expect(page.getByRole('region', { name: 'Notifications' })).toContainText('One image added to the library.')

  // A dropped file that is not a picture is refused with the reason, and nothing is added.
  await page.evaluate(() => {
    const drop = new DataTransfer()
    drop.items.add(new File(['not a picture'], 'notes.txt', { type: 'text/plain' }))
    const shell = document.querySelector('[data-testid="app-shell"]')!
    shell.dispatchEvent(new DragEvent('dragover', { dataTransfer: drop, bubbles: true, cancelable: true }))
    shell.dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }))
  })
  await expect(page.getByRole('region', { name: 'Notifications' }).getByRole('alert')).toContainText('not an image')
  await expect(tiles).toHaveCount(1)
})
