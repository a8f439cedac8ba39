import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { test, expect } from './fixtures'

test('comparing two models side by side and under a slider, with swap, full view and a saved verdict', async ({ page, app }) => {
  const dir = join(app.home, 'compare')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 600, height: 600, channels: 3, background: '#2a9d8f' } })
    .composite([{ input: await sharp({ create: { width: 200, height: 300, channels: 3, background: '#e9c46a' } }).png().toBuffer(), left: 200, top: 150 }])
    .png()
    .toFile(join(dir, 'bottle.png'))
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: 'bottle.png' })
  await expect(tile).toContainText('600×600')
  await tile.click()
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Compare models' }).click()

  const view = page.getByTestId('compare-view')
  await expect(view).toBeVisible()
  // Starts with one Gemini and one GPT model; the price of each is shown next to it.
  const models = view.getByRole('group', { name: /Models/ })
  await expect(models.getByRole('list', { name: 'Chosen models' }).getByRole('listitem')).toHaveCount(2)
  await expect(models.locator('.model-option.checked')).toContainText(['Nano Banana', 'GPT Image'])

  // Each model shows only the settings it takes: GPT its quality, Gemini its aspect ratio.
  const gpt = models.getByRole('group', { name: /^GPT Image.* settings$/ })
  const gemini = models.getByRole('group', { name: /^Nano Banana.* settings$/ })
  await expect(gemini.getByLabel('Aspect')).toBeVisible()
  await expect(gemini.getByLabel('Quality')).toHaveCount(0)
  await expect(gpt.getByLabel('Aspect')).toHaveCount(0)
  // Unset, GPT is priced at high; low makes the comparison cheaper.
  const total = view.locator('.cost-line .cost-badge')
  await expect(total).toHaveText('≈ 16 cr')
  await gpt.getByLabel('Quality').selectOption('low')
  await expect(total).toHaveText('≈ 3 cr')

  await view.getByLabel('Prompt').fill('Place the bottle on wet black slate with dramatic rim light')
  await view.getByTestId('run-compare').click()

  const rows = view.locator('.compare-table tbody tr')
  await expect(rows).toHaveCount(2)
  await expect(rows.nth(0)).toContainText('Done', { timeout: 30_000 })
  await expect(rows.nth(1)).toContainText('Done', { timeout: 30_000 })
  // Each result carries its latency and credits.
  for (const row of await rows.all()) {
    await expect(row.locator('td').nth(3)).not.toHaveText('—')
    await expect(row.locator('.cost-badge')).toBeVisible()
  }
  // Each result's request id copies whole from the table.
  const firstId = await rows.nth(0).getByTestId('request-id').getAttribute('title')
  expect(firstId).toBeTruthy()
  await rows.nth(0).getByRole('button', { name: `Copy request id ${firstId}` }).click()
  await expect.poll(() => app.dialogs.clipboard.at(-1)).toBe(firstId)

  // Swap (C) exchanges A and B.
  const firstModel = await rows.nth(0).locator('td').nth(1).innerText()
  await page.locator('body').press('c')
  await expect(rows.nth(1).locator('td').nth(1)).toHaveText(firstModel)

  // Slider mode, then full view, which Esc leaves.
  await view.getByRole('radio', { name: 'Slider' }).click()
  await expect(view.locator('.compare-slider')).toBeVisible()
  await page.locator('body').press('f')
  const full = page.getByRole('dialog', { name: 'Comparison, full view' })
  await expect(full).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(full).toBeHidden()
  await view.getByRole('radio', { name: 'Side by side' }).click()

  // Zoom is shared: zooming in moves every picture to the same scale and place.
  await view.getByRole('button', { name: 'Zoom in' }).click()
  const boxes = () =>
    view.locator('.stage-view .viewer-surface').evaluateAll((els) =>
      els.map((surface) => {
        const s = surface.getBoundingClientRect()
        const r = surface.querySelector('img')?.getBoundingClientRect()
        return r ? [Math.round(r.x - s.x), Math.round(r.y - s.y), Math.round(r.width), Math.round(r.height), Math.round(s.width)] : []
      })
    )
  await expect
    .poll(async () => {
      const all = await boxes()
      return all.length === 3 && new Set(all.map((b) => b.join())).size === 1 && all[0]![2]! > all[0]![4]! * 1.2
    })
    .toBe(true)
  await view.getByRole('button', { name: 'Fit to view' }).click()

  await view.getByRole('button', { name: 'A is better' }).click()
  await expect(view.getByText('Verdict saved')).toBeVisible()
  const saved = await page.evaluate(() => window.pixdesk.invoke('history.query', {}))
  expect(saved.total).toBe(2)
  expect(saved.items.every((i) => i.verdict === 'a_better')).toBe(true)

  await expect(view.locator('.stage-view')).toHaveCount(3)
  await page.screenshot({ path: 'test-results/screens/compare.png' })
  const pictures = view.locator('.stage-view img')
  await expect(pictures).toHaveCount(3)
  for (const img of await pictures.all()) await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0)
  await page.screenshot({ path: 'test-results/screens/compare.png' })

  // The GPT arm was sent its own quality; the Gemini arm none, as it has no such setting.
  const sent = await Promise.all(saved.items.map(async (i) => (await app.services.history.get(i.id))!))
  expect(sent.find((r) => r.model.startsWith('gpt'))!.params.quality).toBe('low')
  expect(sent.find((r) => r.model.startsWith('gemini'))!.params).not.toHaveProperty('quality')

  // Each arm's output can be shown in the file manager, from the row that names its model.
  const recordIds = saved.items.map((i) => i.id)
  const paths = await Promise.all(recordIds.map(async (id) => (await app.services.history.get(id))!.outputs[0]!.path))
  await view.getByRole('button', { name: /^Show A \(.*\) in folder$/ }).click()
  await expect.poll(() => app.dialogs.revealed).toHaveLength(1)
  expect(paths).toContain(app.dialogs.revealed[0])
  await view.getByRole('button', { name: /^Show B \(.*\) in folder$/ }).click()
  await expect.poll(() => app.dialogs.revealed).toHaveLength(2)
  expect([...app.dialogs.revealed].sort()).toEqual([...paths].sort())

  await page.setViewportSize({ width: 1024, height: 700 })
  await page.screenshot({ path: 'test-results/screens/compare-1024.png' })

  // Either arm can be edited further: its output opens in the editor as the image to edit, with its model.
  await view.getByRole('button', { name: 'Continue from A' }).click()
  const editor = page.getByTestId('editor-view')
  await expect(editor.getByTestId('edit-base')).toBeVisible()
  const label = await editor.getByRole('list', { name: 'Chosen models' }).getByRole('listitem').first().innerText()
  const chosen = /GPT Image 1\.5/.test(label) ? 'gpt-image-1.5' : /Gemini 2\.5 Flash Image/.test(label) ? 'gemini-2.5-flash-image' : label
  expect(saved.items.map((i) => i.model)).toContain(chosen)
  const before = editor.locator('.compare-slider img').first()
  const armOutput = saved.items.find((i) => i.model === chosen)!.outputs[0]!.url
  await expect.poll(() => before.getAttribute('src')).toBe(armOutput)
})
