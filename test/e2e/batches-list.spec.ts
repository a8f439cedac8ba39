import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { realPhotos } from '../support/corpus'
import { test, expect } from './fixtures'

/** Selects every image of the library and opens a new batch over them from the Library toolbar. */
async function batchFromLibrary(page: Page, count: number) {
  const tiles = page.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(count)
  await expect(tiles.filter({ hasText: 'Inspecting' })).toHaveCount(0, { timeout: 30_000 })
  await tiles.first().click()
  await page.keyboard.press('Control+a')
  const selection = page.getByRole('toolbar', { name: 'Selection' })
  await expect(selection).toContainText(`${count} selected`)
  await selection.getByRole('button', { name: 'Batch…' }).click()
  return page.getByTestId('batch-form')
}

/** Cumulative layout shift from now on, as the browser scores it (shifts right after input excluded). */
async function watchLayoutShift(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { __cls: number }
    w.__cls = 0
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean }>) if (!entry.hadRecentInput) w.__cls += entry.value
    }).observe({ type: 'layout-shift' })
  })
  return () => page.evaluate(() => (window as unknown as { __cls: number }).__cls)
}

test('an unnamed batch is named after its prompt, folder and time, holds its layout while it runs, and ends with a toast', async ({ page, app }) => {
  const dir = join(app.home, 'spring-catalogue')
  await mkdir(dir, { recursive: true })
  for (const [i, colour] of ['#e63946', '#f1faee', '#a8dadc', '#457b9d', '#1d3557', '#ffb703'].entries()) {
    await sharp({ create: { width: 360 + i * 20, height: 360, channels: 3, background: colour } }).png().toFile(join(dir, `look-${i + 1}.png`))
  }
  await app.services.settings.update({ provider: { sandbox: true }, jobs: { concurrency: 2 } })
  const sandboxUrl = await app.services.sandbox.ensure()
  await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 600 }) })

  await app.open(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const form = await batchFromLibrary(page, 6)
  await form.getByLabel('Prompt').fill('Cut out the product onto pure white with a soft contact shadow')
  await expect(form.getByTestId('batch-estimate').locator('.estimate-total')).toContainText('for 6 requests')
  await expect(form.getByTestId('start-batch')).toBeEnabled()
  await form.getByTestId('start-batch').click()

  const detail = page.getByTestId('batch-detail')
  await expect(detail.getByRole('heading', { name: /^Cut out the product onto pure white… · spring-catalogue · / })).toBeVisible()
  const cls = await watchLayoutShift(page)
  await expect(detail.getByTestId('batch-report')).toBeVisible({ timeout: 60_000 })
  const shift = await cls()
  // Progress, counts and rows change in place: nothing jumps while the batch runs.
  expect(shift).toBeLessThan(0.02)

  const notifications = page.getByRole('region', { name: 'Notifications' })
  await expect(notifications).toContainText(/Batch “Cut out the product onto pure white… · spring-catalogue · .*” finished: 6 done · ≈?\s?\d+ cr\./)
  await page.screenshot({ path: 'test-results/screens/batch-finished-toast.png' })
})

test('the Batches list keeps batches apart from single edits and comparisons', async ({ page, app }) => {
  const dir = join(app.home, 'lookbook')
  await mkdir(dir, { recursive: true })
  for (const [i, colour] of ['#2a9d8f', '#e9c46a'].entries()) {
    await sharp({ create: { width: 320, height: 320, channels: 3, background: colour } }).png().toFile(join(dir, `shot-${i + 1}.png`))
  }
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  await expect(page.getByTestId('asset-tile')).toHaveCount(2)
  const ids = (await page.evaluate(() => window.pixdesk.invoke('library.assets', { filter: 'all' }))).map((a) => a.id)

  // One of each, as the Edit, Compare and Batches views start them.
  await page.evaluate(async (assetIds) => {
    const invoke = window.pixdesk.invoke
    await invoke('jobs.start', { assetIds, prompt: 'Soft window light', models: ['gemini-2.5-flash-image'], name: 'Window light set' })
    await invoke('jobs.start', { assetIds: [assetIds[0]!], prompt: 'Remove the reflection', models: ['gemini-2.5-flash-image'] })
    await invoke('jobs.start', { assetIds: [assetIds[1]!], prompt: 'Warm grey backdrop', models: ['gemini-2.5-flash-image', 'gpt-image-1.5'], compare: true })
  }, ids)

  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Batches' }).click()
  const list = page.getByRole('navigation', { name: 'Batches' })
  const filters = list.getByRole('radiogroup', { name: 'Show runs' })
  await expect(filters.getByRole('radio', { name: /^Batches/ })).toHaveAttribute('aria-checked', 'true')
  const runs = list.getByRole('listitem')
  await expect(runs).toHaveCount(1)
  await expect(runs).toContainText('Window light set')

  await filters.getByRole('radio', { name: /^Single edits/ }).click()
  await expect(runs).toHaveCount(1)
  await expect(runs).toContainText(/Remove the reflection · shot-1\.png · /)
  await filters.getByRole('radio', { name: /^Comparisons/ }).click()
  await expect(runs).toHaveCount(1)
  await expect(runs).toContainText(/Compare: Warm grey backdrop · shot-2\.png · /)
  await filters.getByRole('radio', { name: /^All/ }).click()
  await expect(runs).toHaveCount(3)
  await expect(runs.filter({ hasText: 'Single edit ·' })).toHaveCount(1)
  await expect(runs.filter({ hasText: 'Comparison ·' })).toHaveCount(1)
  await expect(filters.getByRole('radio', { name: /^All/ })).toContainText('3')
  await page.screenshot({ path: 'test-results/screens/batches-filter-all.png' })

  // The filter is remembered.
  await page.reload()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Batches' }).click()
  await expect(page.getByRole('navigation', { name: 'Batches' }).getByRole('radiogroup', { name: 'Show runs' }).getByRole('radio', { name: /^All/ })).toHaveAttribute(
    'aria-checked',
    'true'
  )
})

test('a damaged photo in a batch started from the Library is skipped with its reason: estimate, Start, report, counts and History say so', async ({ page, app }) => {
  const dir = join(app.home, 'location-shoot')
  await mkdir(dir, { recursive: true })
  const photos = realPhotos()
  for (const photo of photos) await copyFile(photo, join(dir, basename(photo)))
  // A real photo cut off half-way, as an interrupted copy leaves it.
  const whole = await readFile(photos[0]!)
  const damagedName = `cut-off-${basename(photos[0]!)}`
  await writeFile(join(dir, damagedName), whole.subarray(0, Math.floor(whole.length / 2)))
  await app.services.settings.update({ provider: { sandbox: true }, jobs: { concurrency: 2 } })

  await app.open(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const total = photos.length + 1
  const form = await batchFromLibrary(page, total)
  const reason = (await page.evaluate(() => window.pixdesk.invoke('library.assets', { filter: 'problems' })))[0]?.error?.message
  expect(reason).toBeTruthy()

  // Every selected image reaches the form; the damaged one is announced, not dropped.
  await expect(form.getByText(`${total} images · 1 will be skipped`)).toBeVisible()
  await form.getByLabel('Name').fill('Location shoot')
  await form.getByLabel('Prompt').fill('Replace the sky with a clear late-afternoon sky')
  const estimate = form.getByTestId('batch-estimate')
  await expect(estimate.locator('.estimate-total')).toContainText(`for ${photos.length} requests`)
  const skipped = estimate.getByTestId('batch-problems')
  await expect(skipped).toContainText(damagedName)
  await expect(skipped).toContainText(`skipped: ${reason}`)
  await expect(form.getByTestId('start-batch')).toBeEnabled()
  await page.screenshot({ path: 'test-results/screens/batch-skipped-estimate.png' })
  await form.getByTestId('start-batch').click()

  const detail = page.getByTestId('batch-detail')
  await expect(detail.getByRole('heading', { name: 'Location shoot' })).toBeVisible()
  const report = detail.getByTestId('batch-report')
  await expect(report).toBeVisible({ timeout: 90_000 })
  await expect(report).toContainText(`${photos.length} requests succeeded`)
  await expect(report).toContainText('1 skipped')
  await expect(report).not.toContainText('Nothing failed')
  await expect(report.getByTestId('report-skipped')).toContainText(damagedName)
  await expect(report.getByTestId('report-skipped')).toContainText(`skipped: ${reason}`)
  await expect(detail.getByTestId('batch-counts')).toContainText(`${total} / ${total} · ${photos.length} done`)
  await expect(detail.getByTestId('batch-counts')).toContainText('1 skipped')
  const row = detail.getByTestId('batch-item').filter({ hasText: damagedName })
  await expect(row).toContainText('Skipped')
  await page.screenshot({ path: 'test-results/screens/batch-skipped-report.png' })

  // History: the file has a record of its own, status "skipped", 0 credits, with the reason.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'History' }).click()
  await page.getByLabel('Status').selectOption('skipped')
  const rows = page.getByTestId('history-row')
  await expect(rows).toHaveCount(1)
  await expect(rows).toContainText('Skipped')
  await expect(rows).toContainText(reason!)
  await expect(rows).toContainText('0 cr')
  const records = await page.evaluate(() => window.pixdesk.invoke('history.query', { status: 'skipped' }))
  expect(records.items[0]).toMatchObject({ status: 'skipped', credits: 0, inputs: [expect.objectContaining({ name: damagedName })] })
  await page.screenshot({ path: 'test-results/screens/history-skipped.png' })
})
