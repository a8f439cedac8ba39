import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { test, expect } from './fixtures'

test('a result smaller than asked is marked on its item, in the history details and in the totals per model; Settings chooses what happens to it', async ({ page, app }) => {
  const dir = join(app.home, 'packshots')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 640, height: 640, channels: 3, background: '#2a9d8f' } }).png().toFile(join(dir, 'bottle.png'))
  await app.services.settings.update({ provider: { sandbox: true } })
  // The sandbox plays a model that ignores the size: half the asked width and height.
  const sandboxUrl = await app.services.sandbox.ensure()
  const plan = await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ queue: [{ kind: 'small_output', scale: 0.5 }] }) })
  expect(plan.ok).toBe(true)

  await app.open(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  await expect(page.getByTestId('asset-tile')).toHaveCount(1)
  const ids = (await page.evaluate(() => window.pixdesk.invoke('library.assets', { filter: 'all' }))).map((a) => a.id)
  await page.evaluate(async (assetIds) => {
    await window.pixdesk.invoke('jobs.start', { assetIds, prompt: 'Clean white backdrop', models: ['gemini-3-pro-image'], params: { n: 1, size: '2048x2048' }, name: 'Square hero' })
  }, ids)

  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Batches' }).click()
  // One image is a single edit: shown with every run.
  const list = page.getByRole('navigation', { name: 'Batches' })
  await list.getByRole('radiogroup', { name: 'Show runs' }).getByRole('radio', { name: /^All/ }).click()
  await list.getByRole('listitem').filter({ hasText: 'Square hero' }).click()
  const detail = page.getByTestId('batch-detail')
  await expect(detail.getByRole('heading', { name: 'Square hero' })).toBeVisible()
  const item = detail.getByTestId('batch-item')
  await expect(item).toContainText('asked 2048×2048 (2K, 1:1), got 1024×1024', { timeout: 30_000 })
  await page.screenshot({ path: 'test-results/screens/size-mismatch-item.png' })

  await page.getByRole('button', { name: /^History/ }).click()
  const view = page.getByTestId('history-view')
  const totals = view.getByRole('complementary', { name: 'Totals' })
  await expect(totals).toContainText('1 request delivered a size other than the one asked for.')
  await expect(totals.locator('.totals-table').getByRole('row', { name: /Gemini 3 Pro/ }).locator('td').last()).toHaveText('1')
  await view.getByTestId('history-row').first().click()
  const entry = view.getByTestId('history-detail')
  await expect(entry).toContainText('asked 2048×2048 (2K, 1:1), got 1024×1024')
  // Signed in the app's own process, the same way the installed app signs: "not signed: …" would fail here.
  await expect(entry.locator('dt', { hasText: 'Content Credentials' }).locator('+ dd')).toHaveText(/^signed$/)
  await page.screenshot({ path: 'test-results/screens/size-mismatch-history.png' })

  await page.getByRole('button', { name: /^Settings/ }).click()
  const choice = page.getByRole('radiogroup', { name: 'Results not at the asked size' })
  await expect(choice.getByRole('radio', { name: 'Keep results as delivered' })).toHaveAttribute('aria-checked', 'true')
  await choice.getByRole('radio', { name: 'Resize results to the asked size' }).click()
  await expect.poll(() => app.services.settings.get().output.sizeMismatch).toBe('finish')
  await expect(page.getByText('Also copy the GPS position')).toHaveCount(0)
  await page.getByText("Copy the source's EXIF to outputs").click()
  await expect.poll(() => app.services.settings.get().output.copySourceExif).toBe(true)
  await expect(page.getByText('Also copy the GPS position')).toBeVisible()
  await page.screenshot({ path: 'test-results/screens/settings-output-provenance.png', fullPage: true })
})
