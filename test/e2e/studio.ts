import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Page } from '@playwright/test'
import { batchSpecPayload } from '../../shared/contract'
import type { RequestRecord } from '../../shared/records'
import { realPhotos } from '../support/corpus'
import { makeRecord } from '../support/history-fixtures'
import { expect, type PixdeskFixture } from './fixtures'

/**
 * A studio's working state for the whole-UI checks (accessibility, layout, screenshots): real camera
 * photos and one half-written JPEG in the library, a finished batch with a refused item, a history with
 * long prompts, a failure and the longest model names, an edit and a comparison on screen.
 */

export const viewIds = ['library', 'editor', 'compare', 'batches', 'history', 'settings', 'packs', 'watch', 'kits'] as const
export type ViewName = (typeof viewIds)[number]
const sidebarLabel: Record<ViewName, string> = { library: 'Library', editor: 'Edit', compare: 'Compare', batches: 'Batches', history: 'History', settings: 'Settings', packs: 'Packs', watch: 'Watch', kits: 'Brand kits' }

/** The Packs view planned for the images selected in the library (the plan grid is part of what is checked). */
export async function planSelection(page: Page): Promise<void> {
  await page.getByTestId('packs-view').getByRole('button', { name: /^Use library selection/ }).click()
  await expect(page.getByTestId('pack-plan')).toBeVisible()
}

/** The Brand kits view with the studio's kit open (its images, roles and snippets are part of what is checked). */
export async function showKit(page: Page): Promise<void> {
  await page.getByRole('region', { name: 'Brand kit list' }).getByRole('button', { name: /^Studio B – spring catalogue/ }).click()
  await expect(page.getByTestId('kit-detail-image')).toHaveCount(2)
}

export async function goTo(page: Page, view: ViewName): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: sidebarLabel[view], exact: true }).click()
  await expect(page.getByTestId(`${view}-view`)).toBeVisible()
}

/** The real photos plus a truncated copy of one, in a folder whose name is long enough to need truncating. */
async function photoFolder(home: string): Promise<string> {
  const dir = join(home, 'Spring catalogue 2026 – studio B – retouch round two')
  await mkdir(dir, { recursive: true })
  const photos = realPhotos()
  for (const photo of photos) await copyFile(photo, join(dir, basename(photo)))
  const whole = await readFile(photos[0]!)
  await writeFile(join(dir, `${basename(photos[0]!, '.jpg')}_half-written-transfer.jpg`), whole.subarray(0, Math.floor(whole.length / 2)))
  return dir
}

async function importedAssets(app: PixdeskFixture, dir: string): Promise<{ ok: string[]; all: number }> {
  await app.services.startImport([dir])
  let assets = app.services.findAssets({ filter: 'all' })
  await expect
    .poll(
      () => {
        assets = app.services.findAssets({ filter: 'all' })
        return assets.length
      },
      { timeout: 60_000 }
    )
    .toBe(realPhotos().length + 1)
  return { ok: assets.filter((a) => a.verdict.ok).map((a) => a.id), all: assets.length }
}

const longPrompt =
  'Replace the background with a seamless warm-grey studio sweep, keep the natural contact shadow under the product, remove dust and the reflection of the softbox on the left edge'

function historyRecords(): RequestRecord[] {
  const at = (d: number, h: number) => new Date(Date.UTC(2026, 2, d, h, 0, 0)).toISOString()
  return [
    makeRecord({ id: 'studio-1', model: 'gemini-2.5-flash-image', prompt: longPrompt, startedAt: at(2, 9), requestIds: ['req_7f3a9c1e5b2d4f60a8e1c3b5d7f9a1c3'], cost: { credits: 2, estimated: false, estimate: 2 } }),
    makeRecord({ id: 'studio-2', model: 'gpt-image-1.5', prompt: 'Warm up the leather bag colours', startedAt: at(3, 11), requestIds: ['req_gpt_0002'], cost: { credits: 14, estimated: false, estimate: 14 } }),
    makeRecord({
      id: 'studio-3',
      model: 'gpt-image-1.5',
      prompt: 'Remove the reflection from the watch face',
      startedAt: at(4, 15),
      status: 'failed',
      requestIds: ['req_gpt_0003'],
      outputs: [],
      error: { code: 'prompt_rejected', message: 'The provider refused this prompt (content policy). Rephrase it and try again.', requestId: 'req_gpt_0003', status: 400 },
      cost: { credits: 0, estimated: true, estimate: 14 }
    })
  ]
}

/** Runs a finished batch over every usable photo with two models; the sandbox refuses the first request. */
async function finishedBatch(app: PixdeskFixture, assetIds: string[]): Promise<void> {
  const sandboxUrl = await app.services.sandbox.ensure()
  const plan = await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ queue: [{ kind: 'prompt_rejected' }] }) })
  expect(plan.ok).toBe(true)
  const batch = await app.services.startBatch(
    batchSpecPayload.parse({ name: 'Spring catalogue – warm grey sweep, both models, retouch round two', assetIds, prompt: longPrompt, models: ['gemini-2.5-flash-image', 'gpt-image-1.5'], duplicates: 'run' })
  )
  const engine = await app.services.jobs()
  await expect.poll(() => engine.get(batch.id).state, { timeout: 120_000 }).toBe('done')
}

/** Seeds the library, a batch and the history, then opens the app. */
export async function openStudio(page: Page, app: PixdeskFixture): Promise<{ dir: string }> {
  await app.services.settings.update({ provider: { sandbox: true }, jobs: { concurrency: 4 } })
  for (const r of historyRecords()) await app.services.history.append(r)
  const dir = await photoFolder(app.home)
  const { ok } = await importedAssets(app, dir)
  // Two photos with both models: enough rows to show the table, few enough for a loaded machine.
  await finishedBatch(app, ok.slice(0, 2))
  // A rule on the shoot's folder: it takes what is there as its starting point, so nothing is sent.
  await app.services.watch.create({ name: 'Incoming retouches', folder: dir, prompt: longPrompt, models: ['gemini-2.5-flash-image'], dailyBudget: 40 })
  await app.services.brandKits.create({
    name: 'Studio B – spring catalogue, warm grey sweep',
    references: [{ assetId: ok[2]!, role: 'background' }, { assetId: ok[3]! }],
    snippets: ['Keep the warm grey sweep and the soft contact shadow.', longPrompt]
  })
  await app.open(page)
  const tiles = page.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(realPhotos().length + 1)
  await expect(tiles.filter({ hasText: 'Inspecting' })).toHaveCount(0)
  return { dir }
}

/** An edit with a result in the Editor, then a finished comparison of two models in Compare. */
export async function runEditAndComparison(page: Page): Promise<void> {
  const photo = page.getByTestId('asset-tile').filter({ hasText: basename(realPhotos()[1]!) })
  const details = page.getByRole('complementary', { name: 'Image details' })
  await goTo(page, 'library')
  await photo.click()
  await details.getByRole('button', { name: 'Edit' }).click()
  const editor = page.getByTestId('editor-view')
  await editor.getByLabel('Prompt').fill(longPrompt)
  await editor.getByTestId('run-edit').click()
  await expect(editor.locator('.stage-label.right')).toContainText('Done', { timeout: 60_000 })

  await goTo(page, 'library')
  await photo.click()
  await details.getByRole('button', { name: 'Compare models' }).click()
  const compare = page.getByTestId('compare-view')
  await compare.getByLabel('Prompt').fill(longPrompt)
  await compare.getByTestId('run-compare').click()
  const rows = compare.locator('.compare-table tbody tr')
  await expect(rows).toHaveCount(2)
  for (const row of await rows.all()) await expect(row).toContainText('Done', { timeout: 60_000 })
}
