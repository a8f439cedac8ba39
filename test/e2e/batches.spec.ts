import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { test, expect } from './fixtures'

const colours = ['#e63946', '#f1faee', '#a8dadc', '#457b9d']

test('a batch shows its estimate before starting, live progress, pause and resume, and a report of every failure', async ({ page, app }) => {
  const dir = join(app.home, 'catalogue')
  await mkdir(dir, { recursive: true })
  for (const [i, colour] of colours.entries()) {
    await sharp({ create: { width: 400 + i * 40, height: 400, channels: 3, background: colour } }).png().toFile(join(dir, `item-${i + 1}.png`))
  }
  await app.services.settings.update({ provider: { sandbox: true }, jobs: { concurrency: 1 } })
  // The sandbox refuses the first prompt it sees (content policy) and answers slowly enough to watch.
  const sandboxUrl = await app.services.sandbox.ensure()
  const plan = await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ latencyMs: 700, queue: [{ kind: 'prompt_rejected' }] }) })
  expect(plan.ok).toBe(true)

  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tiles = page.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(4)
  await expect(tiles.filter({ hasText: 'Inspecting' })).toHaveCount(0)
  await tiles.first().click()
  await page.keyboard.press('Control+a')
  const selection = page.getByRole('toolbar', { name: 'Selection' })
  await expect(selection).toContainText('4 selected')
  await selection.getByRole('button', { name: 'Batch…' }).click()

  const form = page.getByTestId('batch-form')
  await expect(form).toBeVisible()
  await expect(form.getByText('4 images')).toBeVisible()
  await form.getByLabel('Name').fill('Spring catalogue')
  await form.getByLabel('Prompt').fill('Cut out the product onto pure white with a soft contact shadow')
  const start = form.getByTestId('start-batch')

  // The estimate comes from the main process and is on screen before Start is possible.
  const estimate = form.getByTestId('batch-estimate')
  const total = estimate.locator('.estimate-total')
  await expect(total).toContainText('≈ 8 cr for 4 requests')
  await expect(start).toBeEnabled()
  const models = form.getByRole('group', { name: /Models/ })
  await models.getByRole('combobox', { name: 'Add a model' }).fill('GPT Image 1.5')
  await models.getByRole('option', { name: /GPT Image 1\.5/ }).click()
  await expect(total).toContainText('≈ 64 cr for 8 requests')
  await models.getByRole('button', { name: 'Remove GPT Image 1.5' }).click()
  await expect(total).toContainText('≈ 8 cr for 4 requests')
  await form.getByLabel('Budget for this batch (credits)').fill('100')
  await expect(estimate.getByText('Updating for your changes…')).toBeHidden()
  await page.screenshot({ path: 'test-results/screens/batch-new.png' })
  await start.click()

  const detail = page.getByTestId('batch-detail')
  await expect(detail.getByRole('heading', { name: 'Spring catalogue' })).toBeVisible()
  await expect(detail.getByTestId('batch-item')).toHaveCount(4)
  const controls = detail.getByRole('toolbar', { name: 'Batch controls' })
  await controls.getByRole('button', { name: 'Pause' }).click()
  await expect(controls.getByRole('button', { name: 'Resume' })).toBeVisible()
  await expect(detail.locator('.batch-summary .pill')).toHaveText('Paused')
  // While paused, the last queued image is moved up: the queue order follows.
  const queued = detail.getByTestId('batch-item').filter({ has: page.getByText('Queued', { exact: true }) })
  const lastQueued = (await queued.last().locator('.cell-source').innerText()).trim()
  await detail.getByRole('button', { name: `Move ${lastQueued} up` }).click()
  await expect
    .poll(async () => {
      const batchId = (await page.evaluate(() => window.pixdesk.invoke('jobs.list', {})))[0]!.id
      const items = (await page.evaluate((id) => window.pixdesk.invoke('jobs.get', { batchId: id }), batchId)).items
      const names = items.filter((i) => i.state === 'queued').map((i) => i.sourceName)
      return names.indexOf(lastQueued) === names.length - 2
    })
    .toBe(true)
  await controls.getByRole('button', { name: 'Resume' }).click()

  const report = detail.getByTestId('batch-report')
  await expect(report).toBeVisible({ timeout: 45_000 })
  await expect(detail.getByTestId('batch-counts')).toContainText('4 / 4 · 3 done')
  await expect(report).toContainText('3 requests succeeded')
  const failure = report.locator('.failure-list li')
  await expect(failure).toHaveCount(1)
  await expect(failure).not.toHaveText(/Interrupted before/)
  await expect(failure).toContainText('request')
  await page.screenshot({ path: 'test-results/screens/batches.png' })

  // Retry just the failed item: the fault was one-shot, so it succeeds now.
  await controls.getByRole('button', { name: 'Retry failed' }).click()
  await expect(detail.getByTestId('batch-counts')).toContainText('4 / 4 · 4 done', { timeout: 30_000 })
  await expect(report).toContainText('Nothing failed')
  const history = await page.evaluate(() => window.pixdesk.invoke('history.query', {}))
  expect(history.items.filter((i) => i.status === 'succeeded')).toHaveLength(4)
  expect(history.items.filter((i) => i.status === 'failed')).toHaveLength(1)

  // Each finished row shows its own output in the file manager.
  const row = detail.getByTestId('batch-item').filter({ hasText: 'item-3.png' })
  const batchId = (await page.evaluate(() => window.pixdesk.invoke('jobs.list', {})))[0]!.id
  const item = (await page.evaluate((id) => window.pixdesk.invoke('jobs.get', { batchId: id }), batchId)).items.find((i) => i.sourceName === 'item-3.png')!
  const record = await app.services.history.get(item.recordId!)
  await row.getByRole('button', { name: /^Show .* in folder$/ }).click()
  await expect.poll(() => app.dialogs.revealed).toEqual([record!.outputs[0]!.path])
  // Phase times are on the row, in the order a request goes through them.
  await expect(row.getByTestId('item-time')).toHaveAttribute('title', /Preparing .*Uploading .*Running/)

  // At a small laptop window the table keeps every column it needs readable.
  await page.setViewportSize({ width: 1024, height: 700 })
  await expect(row.getByRole('button', { name: /^Show .* in folder$/ })).toBeInViewport()
  await page.screenshot({ path: 'test-results/screens/batches-1024.png' })
})

test('images that cannot be sent are listed with their reason before Start, and leave the batch in one click', async ({ page, app }) => {
  const dir = join(app.home, 'mixed')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 320, height: 320, channels: 3, background: '#e63946' } }).png().toFile(join(dir, 'red.png'))
  await sharp({ create: { width: 320, height: 320, channels: 3, background: '#457b9d' } }).png().toFile(join(dir, 'blue.png'))
  const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ffffff' } }).jpeg().toBuffer()
  await writeFile(join(dir, 'truncated-catalogue-shot-with-a-very-long-file-name-from-the-studio.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)))
  await app.services.settings.update({ provider: { sandbox: true } })

  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tiles = page.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(3)
  await expect(tiles.filter({ hasText: 'Inspecting' })).toHaveCount(0)
  const reason = (await page.evaluate(() => window.pixdesk.invoke('library.assets', { filter: 'problems' })))[0]?.error?.message
  expect(reason).toBeTruthy()

  // The whole selection, unusable file included, goes to a new batch from the command palette.
  await tiles.first().click()
  await page.keyboard.press('Control+a')
  await expect(page.getByRole('toolbar', { name: 'Selection' })).toContainText('3 selected')
  await page.keyboard.press('Control+k')
  await page.keyboard.type('new batch')
  await page.keyboard.press('Enter')

  const form = page.getByTestId('batch-form')
  await expect(form.getByText('3 images')).toBeVisible()
  await form.getByLabel('Prompt').fill('Square crop, centred, white background')
  const problems = form.getByTestId('batch-problems')
  await expect(problems).toContainText('truncated-catalogue-shot')
  await expect(problems).toContainText(reason!)
  // The estimate covers the two usable images only, and Start runs them (the third is skipped, not a blocker).
  await expect(form.getByTestId('batch-estimate').locator('.estimate-total')).toContainText('for 2 requests')
  await expect(form.getByTestId('start-batch')).toBeEnabled()
  await page.screenshot({ path: 'test-results/screens/batch-problems.png' })

  await problems.getByRole('button', { name: 'Remove it from the batch' }).click()
  await expect(form.getByText('2 images', { exact: true })).toBeVisible()
  await expect(problems).toBeHidden()
  await expect(form.getByTestId('start-batch')).toBeEnabled()
  await expect(form.getByTestId('batch-estimate').locator('.estimate-total')).toContainText('for 2 requests')

  await page.setViewportSize({ width: 1024, height: 700 })
  await page.screenshot({ path: 'test-results/screens/batch-new-1024.png' })
})
