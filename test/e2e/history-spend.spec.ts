import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { batchSpecPayload } from '../../shared/contract'
import type { RequestRecord } from '../../shared/records'
import { makeRecord } from '../support/history-fixtures'
import { test, expect } from './fixtures'

const LONG_ID = 'req_01JH8Z3XQ4V7M2N5P9R3T6W8Y0_final-attempt'

function record(over: Partial<RequestRecord> & Pick<RequestRecord, 'id' | 'model' | 'startedAt'>): RequestRecord {
  return makeRecord({ inputs: [], attempts: [], finishedAt: over.startedAt, latencyMs: 3000, ...over })
}

/** Noon local time, `daysAgo` days before today: the chart's open range ends today. */
function daysAgo(days: number): string {
  const d = new Date()
  d.setHours(12, 0, 0, 0)
  d.setDate(d.getDate() - days)
  return d.toISOString()
}

test('History shows request ids, copies them and a support bundle, and charts spend by model', async ({ page, app }) => {
  const out = join(app.home, 'outputs')
  await mkdir(out, { recursive: true })
  const bytes = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } }).png().toBuffer()
  const outputPath = join(out, 'bottle_gemini_1.png')
  await writeFile(outputPath, bytes)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const records = [
    record({ id: 'rec-1', model: 'gemini-2.5-flash-image', startedAt: daysAgo(9), prompt: 'Bottle on white', requestIds: ['req-gem-1'], cost: { credits: 2, estimated: false, estimate: 2 }, outputs: [{ path: outputPath, sha256, bytes: bytes.length, width: 64, height: 48, format: 'png' }] }),
    record({ id: 'rec-2', model: 'gpt-image-1.5', startedAt: daysAgo(9), prompt: 'Bottle on marble', requestIds: ['req-gpt-2'], cost: { credits: 14, estimated: false, estimate: 14 } }),
    record({ id: 'rec-3', model: 'gpt-image-1.5', startedAt: daysAgo(4), prompt: 'Watch without glare', requestIds: ['req-gpt-3a', LONG_ID], taskId: 'task-77', batchId: 'batch-9', status: 'failed', error: { code: 'server', message: 'The provider failed (HTTP 502).', status: 502, requestId: LONG_ID }, cost: { credits: 0, estimated: true, estimate: 14 } }),
    record({ id: 'rec-4', model: 'gpt-image-1.5', startedAt: daysAgo(2), prompt: 'Shoe cut out', requestIds: [], status: 'interrupted', error: { code: 'interrupted', message: 'Interrupted (may have been charged).' }, cost: { credits: 0, estimated: true, estimate: 14 } })
  ]
  for (const r of records) await app.services.history.append(r)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.getByRole('button', { name: /^History/ }).click()
  const view = page.getByTestId('history-view')
  const rows = view.getByTestId('history-row')
  await expect(rows).toHaveCount(4)

  // Every row has a request id column: long ids lose their middle on screen, never for hover or screen readers.
  const failedRow = rows.filter({ hasText: 'Watch without glare' })
  const idCell = failedRow.getByTestId('request-id')
  await expect(idCell).toHaveAttribute('title', LONG_ID)
  await expect(idCell.locator('.request-id-text')).toHaveText('req_01JH…attempt')
  await expect(idCell).toContainText(LONG_ID)
  await expect(rows.filter({ hasText: 'Bottle on white' }).getByTestId('request-id')).toContainText('req-gem-1')
  await expect(rows.filter({ hasText: 'Shoe cut out' })).toContainText('—')

  // Its copy button puts the whole id on the clipboard without opening the entry; focus shows the whole id.
  const copy = failedRow.getByRole('button', { name: `Copy request id ${LONG_ID}` })
  await copy.focus()
  await expect(idCell.locator('.request-id-full')).toBeVisible()
  await copy.click()
  await expect.poll(() => app.dialogs.clipboard.at(-1)).toBe(LONG_ID)
  await expect(page.getByRole('status').filter({ hasText: 'copied to the clipboard' }).first()).toBeVisible()
  await expect(view.getByTestId('history-detail')).toHaveCount(0)

  // Ctrl+Shift+C copies the id of the row holding the focus.
  await rows.filter({ hasText: 'Bottle on marble' }).getByRole('button').first().focus()
  await page.keyboard.press('Control+Shift+C')
  await expect.poll(() => app.dialogs.clipboard.at(-1)).toBe('req-gpt-2')

  // Details: every id with its own copy button, and the support bundle.
  await rows.filter({ hasText: 'Bottle on white' }).click()
  const detail = view.getByTestId('history-detail')
  await expect(detail).toBeVisible()
  await detail.getByRole('button', { name: 'Copy record id rec-1' }).click()
  await expect.poll(() => app.dialogs.clipboard.at(-1)).toBe('rec-1')
  await detail.getByRole('button', { name: 'Copy support bundle' }).click()
  await expect.poll(() => app.dialogs.clipboard.at(-1)).toContain('Pixdesk support bundle')
  const bundle = app.dialogs.clipboard.at(-1) ?? ''
  expect(bundle).toContain('Record id: rec-1')
  expect(bundle).toContain('Request ids: req-gem-1')
  expect(bundle).toContain('Model: Nano Banana')
  expect(bundle).toContain(`bottle_gemini_1.png png 64×48 ${bytes.length} bytes sha256 ${sha256}`)
  expect(bundle).not.toContain('Bottle on white')
  expect(bundle).not.toContain(out)
  // With the focus nowhere in particular, the shortcut copies the open entry's id.
  await page.locator('body').click({ position: { x: 2, y: 2 } })
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.keyboard.press('Control+Shift+C')
  await expect.poll(() => app.dialogs.clipboard.at(-1)).toBe('req-gem-1')
  await detail.getByRole('button', { name: 'Close details' }).click()

  // The palette lists the shortcut.
  await page.keyboard.press('Control+k')
  await expect(page.getByRole('option', { name: /Copy request id of the focused or selected request/ })).toContainText('Ctrl+Shift+C')
  await page.keyboard.press('Escape')

  // Spend at a glance: stacked bars by model, in the theme's colours, with the same figures as text.
  const chart = view.getByTestId('spend-chart')
  await expect(chart.locator('.recharts-bar-rectangle path').first()).toBeVisible()
  await expect(chart.getByRole('list', { name: 'Chart legend' })).toContainText('GPT Image 1.5')
  await expect(chart.getByRole('list', { name: 'Chart legend' })).toContainText('Nano Banana')
  await expect(chart.getByRole('list', { name: 'Chart legend' })).toContainText('At risk (interrupted)')
  await expect(chart.getByTestId('spend-summary')).toContainText('Credits by day')
  await expect(chart.getByTestId('spend-summary')).toContainText('16 cr in 4 requests')
  await expect(chart.getByTestId('spend-summary')).toContainText('14 cr more at risk')
  const table = chart.getByTestId('spend-table')
  await expect(table.locator('tbody tr')).toHaveCount(3)
  await expect(table.locator('thead')).toContainText('GPT Image 1.5')
  // The theme's accent as the page resolves it (a light/dark pair), read through a probe element.
  const colours = await chart.locator('.spend-bar-m0 path').first().evaluate((bar) => {
    const probe = document.createElement('span')
    probe.style.color = 'var(--accent)'
    document.body.append(probe)
    const accent = getComputedStyle(probe).color
    probe.remove()
    return { bar: getComputedStyle(bar).fill, accent }
  })
  expect(colours.bar).toBe(colours.accent)
  await page.screenshot({ path: 'test-results/screens/history-spend.png' })

  // Weekly buckets on request; a range without requests says so instead of drawing an empty chart.
  await chart.getByRole('radio', { name: 'week' }).click()
  await expect(chart.getByTestId('spend-summary')).toContainText('Credits by week')
  await view.getByLabel('From', { exact: true }).fill('2020-01-01')
  await view.getByLabel('To', { exact: true }).fill('2020-01-31')
  await expect(rows).toHaveCount(0)
  await expect(chart.getByTestId('spend-empty')).toBeVisible()
  await expect(chart.locator('.recharts-bar-rectangle')).toHaveCount(0)
})

test('the spend chart says there is nothing to chart before the first request', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.getByRole('button', { name: /^History/ }).click()
  const chart = page.getByTestId('spend-chart')
  await expect(chart.getByTestId('spend-empty')).toBeVisible()
  await expect(chart.locator('svg.recharts-surface')).toHaveCount(0)
  await page.screenshot({ path: 'test-results/screens/history-spend-empty.png' })
})

test('a batch item copies its request id from the items table', async ({ page, app }) => {
  const dir = join(app.home, 'shoot')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#e76f51' } }).png().toFile(join(dir, 'vase.png'))
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.services.library.importPaths([dir])
  const [asset] = app.services.findAssets({ filter: 'all' })
  expect(asset).toBeDefined()
  const started = await app.services.startBatch(batchSpecPayload.parse({ name: 'Vase', assetIds: [asset!.id], prompt: 'Soft daylight', models: ['gemini-2.5-flash-image'], duplicates: 'run' }))
  const engine = await app.services.jobs()
  await expect.poll(() => engine.get(started.id).items[0]?.state, { timeout: 30_000 }).toBe('done')
  const requestId = engine.get(started.id).items[0]?.requestIds.at(-1)
  expect(requestId).toBeTruthy()

  await app.open(page)
  await page.getByRole('button', { name: /^Batches/ }).click()
  // One image on one model is a single edit, listed under its own filter.
  await page.getByRole('radiogroup', { name: 'Show runs' }).getByRole('radio', { name: /^All/ }).click()
  await page.getByTestId('batches-view').getByText('Vase').first().click()
  const item = page.getByTestId('batch-item').first()
  await item.getByRole('button', { name: `Copy request id ${requestId}` }).click()
  await expect.poll(() => app.dialogs.clipboard.at(-1)).toBe(requestId)
})
