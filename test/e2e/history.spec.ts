import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import type { RequestRecord } from '../../shared/records'
import { makeRecord } from '../support/history-fixtures'
import { test, expect } from './fixtures'

async function png(path: string, colour: string): Promise<RequestRecord['outputs'][number]> {
  const data = await sharp({ create: { width: 320, height: 240, channels: 3, background: colour } }).png().toBuffer()
  await writeFile(path, data)
  return { path, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length, width: 320, height: 240, format: 'png' }
}

/** The shared fixture record, with this view's defaults: no inputs or attempts, 4 credits, 4.2 s. */
function record(over: Partial<RequestRecord> & Pick<RequestRecord, 'id' | 'model' | 'prompt' | 'startedAt'>): RequestRecord {
  return makeRecord({
    params: { n: 1 },
    inputs: [],
    requestIds: [],
    attempts: [],
    finishedAt: over.startedAt,
    latencyMs: 4200,
    cost: { credits: 4, estimated: false, estimate: 4 },
    ...over
  })
}

test('history filters, totals, details with missing files, export and delete', async ({ page, app }) => {
  const out = join(app.home, 'outputs')
  await mkdir(out, { recursive: true })
  // The folder the outputs were written to, as chosen in Settings: only there may deleting remove them.
  await app.services.settings.update({ output: { folderMode: 'custom', customFolder: out } })
  const day = (d: number, h = 10) => new Date(Date.UTC(2026, 2, d, h, 0, 0)).toISOString()
  const gone = await png(join(out, 'gone.png'), '#884422')
  const records = [
    record({ id: 'rec-a', model: 'gemini-2.5-flash-image', prompt: 'Put the sneaker on a white studio background', startedAt: day(2), requestIds: ['req-gem-001'], outputs: [await png(join(out, 'sneaker_gemini_1.png'), '#f0f0f0')], cost: { credits: 2, estimated: false, estimate: 2 }, latencyMs: 3100 }),
    record({ id: 'rec-b', model: 'gpt-image-1.5', prompt: 'Put the sneaker on a white studio background', startedAt: day(2, 11), requestIds: ['req-gpt-002'], outputs: [gone], cost: { credits: 14, estimated: false, estimate: 14 }, latencyMs: 18000 }),
    record({
      id: 'rec-c',
      model: 'gpt-image-1.5',
      prompt: 'Remove the reflection from the watch face',
      startedAt: day(5),
      status: 'failed',
      requestIds: ['req-gpt-003'],
      error: { code: 'prompt_rejected', message: 'The provider refused this prompt (content policy). Rephrase it and try again.', requestId: 'req-gpt-003', status: 400 },
      cost: { credits: 0, estimated: true, estimate: 14 },
      latencyMs: 900
    }),
    record({ id: 'rec-d', model: 'gemini-2.5-flash-image', prompt: 'Warm up the leather bag colours', startedAt: day(7), sandbox: true, requestIds: ['req-sbx-004'], outputs: [await png(join(out, 'bag_gemini_1.png'), '#aa6633')], cost: { credits: 2, estimated: true, estimate: 2 }, batchId: 'batch-spring' })
  ]
  for (const r of records) await app.services.history.append(r)
  // An output deleted outside the app must show as missing, not as a broken image.
  await import('node:fs/promises').then((fs) => fs.rm(gone.path))

  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.getByRole('button', { name: /^History/ }).click()
  const view = page.getByTestId('history-view')
  const rows = view.getByTestId('history-row')
  await expect(rows).toHaveCount(4)
  await expect(view.getByTestId('history-count')).toHaveText('4 requests')

  // Totals by model: booked credits per model.
  const totals = view.getByRole('complementary', { name: 'Totals' })
  await expect(totals).toContainText('18 cr booked')
  await expect(totals.locator('.totals-table').getByRole('row', { name: /GPT Image 1.5/ })).toContainText('14 cr')

  // Full-text search over prompts.
  await view.getByLabel('Search history').fill('reflection')
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText('Remove the reflection')
  await view.getByLabel('Search history').fill('')
  await expect(rows).toHaveCount(4)

  // Status, model, source and date range filters go to the ledger.
  await view.getByLabel('Status').selectOption('failed')
  await expect(rows).toHaveCount(1)
  await view.getByLabel('Status').selectOption('')
  await view.getByLabel('Model').selectOption('gemini-2.5-flash-image')
  await expect(rows).toHaveCount(2)
  await view.getByLabel('Source').selectOption('sandbox')
  await expect(rows).toHaveCount(1)
  await view.getByRole('button', { name: 'Clear filters' }).click()
  await expect(rows).toHaveCount(4)
  await view.getByLabel('From', { exact: true }).fill('2026-03-04')
  await expect(rows).toHaveCount(2)
  await view.getByLabel('To', { exact: true }).fill('2026-03-06')
  await expect(rows).toHaveCount(1)
  await view.getByRole('button', { name: 'Clear filters' }).click()
  await expect(rows).toHaveCount(4)

  // The failed request shows its reason and request id.
  await rows.filter({ hasText: 'reflection' }).click()
  const detail = view.getByTestId('history-detail')
  await expect(detail.getByRole('alert')).toContainText('refused this prompt')
  await expect(detail).toContainText('req-gpt-003')
  await detail.getByRole('button', { name: 'Close details' }).click()

  // The request whose output was deleted on disk says so.
  await rows.filter({ hasText: 'GPT Image 1.5' }).filter({ hasNotText: 'reflection' }).click()
  await expect(detail.getByText('file missing')).toBeVisible()
  await expect(detail).toContainText('req-gpt-002')
  await page.screenshot({ path: 'test-results/screens/history.png' })
  await detail.getByRole('button', { name: 'Close details' }).click()

  // Export what the filter shows, through the save dialog.
  await view.getByLabel('Model').selectOption('gpt-image-1.5')
  await expect(rows).toHaveCount(2)
  const target = join(app.home, 'export.csv')
  app.dialogs.saves.push(target)
  await view.getByRole('button', { name: 'Export CSV' }).click()
  await expect(view.getByText(/Exported 2 entries to/)).toBeVisible()
  const csv = await readFile(target, 'utf8')
  expect(csv).toContain('req-gpt-002')
  expect(csv).toContain('req-gpt-003')
  expect(csv).not.toContain('req-gem-001')
  const jsonTarget = join(app.home, 'export.json')
  app.dialogs.saves.push(jsonTarget)
  await view.getByRole('button', { name: 'Export JSON' }).click()
  await expect(view.getByText(/Exported 2 entries to .*export\.json/)).toBeVisible()
  expect(JSON.stringify(JSON.parse(await readFile(jsonTarget, 'utf8')))).toContain('req-gpt-003')

  // Delete an entry together with its output file.
  await view.getByRole('button', { name: 'Clear filters' }).click()
  await rows.filter({ hasText: 'leather bag' }).click()
  // Its output is still on disk: the file manager is asked to show exactly that file.
  await detail.getByRole('button', { name: 'Show bag_gemini_1.png in folder' }).click()
  await expect.poll(() => app.dialogs.revealed).toEqual([join(out, 'bag_gemini_1.png')])
  await page.setViewportSize({ width: 1024, height: 700 })
  await page.screenshot({ path: 'test-results/screens/history-1024.png' })
  await detail.getByRole('button', { name: 'Delete…' }).click()
  await detail.getByLabel('Also delete the output files from disk').check()
  await detail.getByRole('button', { name: 'Delete entry' }).click()
  await expect(rows).toHaveCount(3)
  await expect.poll(() => import('node:fs').then((fs) => fs.existsSync(join(out, 'bag_gemini_1.png')))).toBe(false)
  expect(await app.services.history.get('rec-d')).toBeNull()
})

test('thousands of history entries stay a short DOM and page in as the list scrolls', async ({ page, app }) => {
  const count = 2500
  const start = Date.UTC(2026, 0, 1)
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * 60_000).toISOString()
    await app.services.history.append(record({ id: `bulk-${i}`, model: i % 2 ? 'gpt-image-1.5' : 'gemini-2.5-flash-image', prompt: `Catalogue shot ${String(i).padStart(4, '0')}`, startedAt: at, requestIds: [`req-bulk-${i}`] }))
  }
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await page.getByRole('button', { name: /^History/ }).click()
  const view = page.getByTestId('history-view')
  await expect(view.getByTestId('history-count')).toHaveText('2,500 requests')
  const rows = view.getByTestId('history-row')
  await expect(rows.first()).toContainText('Catalogue shot 2499')
  // Only what is on screen (plus a margin) is in the DOM.
  expect(await rows.count()).toBeLessThan(60)

  // Scrolling to the end pages in older entries until the very first request is reachable.
  const list = view.getByRole('list', { name: 'Requests' })
  await expect(async () => {
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await expect(rows.filter({ hasText: 'Catalogue shot 0000' })).toBeVisible({ timeout: 500 })
  }).toPass({ timeout: 30_000 })
  expect(await rows.count()).toBeLessThan(60)
})
