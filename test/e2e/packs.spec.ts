import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { test, expect } from './fixtures'

/** Serious and critical accessibility violations inside the Packs view (contrast only for its own pack-* elements). */
async function axeProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include('[data-testid="packs-view"]').analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.filter((n) => v.id !== 'color-contrast' || /class="[^"]*\bpack-/.test(n.html)).map((n) => `${v.id}: ${n.html}`))
}

test('packs: choose images, a pack and a model, see the plan with sizes, finishing and prices, run it, review the contact sheet', async ({ page, app }) => {
  test.setTimeout(180_000)
  const dir = join(app.home, 'products')
  await mkdir(dir, { recursive: true })
  for (const [i, colour] of ['#c8553d', '#2d3047'].entries()) {
    await sharp({ create: { width: 900, height: 700, channels: 3, background: '#f4f1ea' } })
      .composite([{ input: await sharp({ create: { width: 300, height: 380, channels: 3, background: colour } }).png().toBuffer(), left: 300, top: 160 }])
      .jpeg()
      .toFile(join(dir, `product-${i + 1}.jpg`))
  }
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  await expect(page.getByTestId('asset-tile')).toHaveCount(2)
  await expect(page.getByTestId('asset-tile').filter({ hasText: 'Inspecting' })).toHaveCount(0)

  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Packs', exact: true }).click()
  const view = page.getByTestId('packs-view')
  const form = view.getByRole('region', { name: 'Run a pack' })
  await expect(form.getByLabel('Pack', { exact: true })).toContainText('Marketplace')
  await form.getByLabel('Pack', { exact: true }).selectOption('web')
  await expect(form.getByTestId('pack-targets')).toContainText('Hero 1920×1080 · Link preview 1200×628')
  await form.getByLabel('Model', { exact: true }).selectOption('gemini-3.1-flash-image')
  await form.getByRole('checkbox', { name: 'product-1.jpg' }).check()
  await form.getByRole('checkbox', { name: 'product-2.jpg' }).check()

  // The plan, from the main process, before anything is sent: model size, finishing and price per target.
  const plan = view.getByTestId('pack-plan')
  await expect(plan.getByRole('row', { name: /^Hero/ })).toContainText('2K 16:9 (2752×1536)')
  await expect(plan.getByRole('row', { name: /^Hero/ })).toContainText('scale 2752×1536 to cover 1920×1080, crop the overflow, WebP q82, ≤ 600 KB')
  await expect(plan.getByRole('row', { name: /^Link preview/ })).toContainText('1K 16:9 (1376×768)')
  await expect(view.getByTestId('pack-total')).toHaveText('20 cr')
  expect(await axeProblems(page)).toEqual([])

  // A target larger than the model makes: explained, and Run waits for consent to upscale.
  await form.getByLabel('Pack', { exact: true }).selectOption('marketplace')
  await form.getByLabel('Model', { exact: true }).selectOption('gpt-image-1.5')
  await expect(plan.getByRole('row', { name: /^Main image/ })).toContainText('the largest gpt-image-1.5 makes at this aspect ratio is 1024×1024')
  await expect(view.getByTestId('run-pack')).toBeDisabled()
  await form.getByLabel(/Upscale with sharp/).check()
  await expect(view.getByTestId('run-pack')).toBeEnabled()
  await form.getByLabel(/Upscale with sharp/).uncheck()

  await form.getByLabel('Pack', { exact: true }).selectOption('web')
  await form.getByLabel('Model', { exact: true }).selectOption('gemini-3.1-flash-image')
  await expect(view.getByTestId('pack-total')).toHaveText('20 cr')
  await view.getByTestId('run-pack').click()

  const sheet = view.getByTestId('pack-sheet')
  await expect(sheet.getByRole('status')).toHaveText('4 of 4 outputs done', { timeout: 60_000 })
  const cards = sheet.getByRole('listitem').filter({ has: page.locator('.pack-card-body') })
  await expect(cards).toHaveCount(4)
  const hero = sheet.getByRole('listitem', { name: 'Hero, product-1.jpg' })
  await expect(hero).toContainText('1920×1080')
  await expect(hero.getByRole('list', { name: 'Checks for Hero' })).toContainText('Pass: 1920×1080 as asked')
  await expect(hero.getByRole('list', { name: 'Checks for Hero' })).toContainText(/Pass: \d+ KB, within 600 KB/)
  const preview = sheet.getByRole('listitem', { name: 'Link preview, product-2.jpg' })
  await expect(preview.getByRole('list', { name: 'Checks for Link preview' })).toContainText('Pass: 1200×628 as asked')
  await expect(hero.locator('img')).toHaveJSProperty('naturalWidth', 1920)
  await page.screenshot({ path: 'test-results/screens/packs-contact-sheet.png' })
  expect(await axeProblems(page)).toEqual([])
})

test('packs: a pack of your own is written as JSON, saved, run with a pure-white target whose failed check is explained, and deleted', async ({ page, app }) => {
  test.setTimeout(120_000)
  const dir = join(app.home, 'grey')
  await mkdir(dir, { recursive: true })
  // A product on a grey backdrop: the white-background rule must fail on it, and say why.
  await sharp({ create: { width: 800, height: 800, channels: 3, background: '#9a9a9a' } })
    .composite([{ input: await sharp({ create: { width: 300, height: 300, channels: 3, background: '#1d3557' } }).png().toBuffer(), left: 250, top: 250 }])
    .png()
    .toFile(join(dir, 'bottle.png'))
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  await expect(page.getByTestId('asset-tile').filter({ hasText: 'Inspecting' })).toHaveCount(0)
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Packs', exact: true }).click()
  const view = page.getByTestId('packs-view')

  await view.getByRole('button', { name: 'New pack' }).click()
  const editor = view.getByRole('region', { name: 'New pack' })
  await editor.getByLabel('New pack (JSON)').fill(JSON.stringify({ name: 'White square', targets: [{ name: 'Shop', width: 1000, height: 1000, format: 'png', background: 'white', method: 'pad' }] }))
  await editor.getByRole('button', { name: 'Save pack' }).click()
  await expect(view.getByText('Saved White square.')).toBeVisible()
  const form = view.getByRole('region', { name: 'Run a pack' })
  await expect(form.getByLabel('Pack', { exact: true })).toHaveValue('white-square')
  await form.getByLabel('Model', { exact: true }).selectOption('gemini-3-pro-image')
  await form.getByRole('checkbox', { name: 'bottle.png' }).check()
  await expect(view.getByTestId('pack-plan').getByRole('row', { name: /^Shop/ })).toContainText('flatten on white, edge whitened, PNG')
  await view.getByTestId('run-pack').click()

  const card = view.getByTestId('pack-sheet').getByRole('listitem', { name: 'Shop, bottle.png' })
  const checks = card.getByRole('list', { name: 'Checks for Shop' })
  await expect(checks).toContainText('Pass: 1000×1000 as asked', { timeout: 60_000 })
  await expect(checks).toContainText(/Fail: Only \d+(\.\d)?% of the border is pure white \(255,255,255\); at least 90% is needed/)
  await expect(view.getByTestId('pack-sheet').getByRole('status')).toContainText('1 misses a rule')

  await form.getByRole('button', { name: 'Delete White square' }).click()
  await expect(view.getByText('Pack deleted.')).toBeVisible()
  await expect(form.getByLabel('Pack', { exact: true })).not.toContainText('White square')
})
