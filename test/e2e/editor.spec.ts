import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { test, expect } from './fixtures'

async function makeFolder(root: string): Promise<string> {
  const dir = join(root, 'products')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#d9822b' } })
    .composite([{ input: await sharp({ create: { width: 240, height: 160, channels: 3, background: '#1d3557' } }).png().toBuffer(), left: 200, top: 160 }])
    .png()
    .toFile(join(dir, 'sneaker.png'))
  await sharp({ create: { width: 480, height: 640, channels: 3, background: '#457b9d' } }).jpeg().toFile(join(dir, 'bag.jpg'))
  return dir
}

test('a single edit in the sandbox shows the result before/after with its cost and request id', async ({ page, app }) => {
  const dir = await makeFolder(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: 'sneaker.png' })
  await expect(tile).toBeVisible()
  await expect(tile).not.toContainText('Inspecting')
  await tile.click()
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Edit' }).click()

  const editor = page.getByTestId('editor-view')
  await expect(editor).toBeVisible()
  const run = editor.getByTestId('run-edit')
  await expect(run).toBeDisabled()
  await expect(editor.getByText('Write a prompt or pick a template')).toBeVisible()

  // "/" searches the template library; Enter picks the highlighted one.
  const prompt = editor.getByLabel('Prompt')
  await prompt.fill('/relig')
  await expect(editor.getByRole('listbox', { name: 'Templates' })).toBeVisible()
  await prompt.press('Enter')
  await expect(editor.getByText('Relight', { exact: true })).toBeVisible()
  await editor.getByRole('button', { name: 'Remove template' }).click()

  await prompt.fill('Put the sneaker on a seamless white studio background with a soft shadow')
  await editor.getByRole('combobox', { name: 'Model' }).fill('gemini-2.5-flash-image')
  await editor.getByRole('option', { name: /gemini-2\.5-flash-image/ }).click()
  // The price comes from the catalog before anything is sent.
  await expect(editor.locator('.panel-footer .cost-badge')).toHaveText('≈ 2 cr')

  await prompt.press('Control+Enter')
  await expect(editor.locator('.stage-label.right')).toContainText('Done', { timeout: 30_000 })
  await expect(editor.locator('.stage-label.right .cost-badge')).toBeVisible()
  await expect(editor.getByText(/Request id \S+/)).toBeVisible()

  // The edit is in the history, as a sandbox request.
  const page1 = await page.evaluate(() => window.pixdesk.invoke('history.query', {}))
  expect(page1.total).toBe(1)
  expect(page1.items[0]).toMatchObject({ model: 'gemini-2.5-flash-image', status: 'succeeded', sandbox: true })

  await editor.getByRole('radio', { name: 'Side by side' }).click()
  await expect(editor.getByRole('group', { name: /^Before/ })).toBeVisible()
  await expect(editor.getByRole('group', { name: /^After/ })).toBeVisible()
  await editor.getByRole('radio', { name: 'Slider' }).click()
  await expect(editor.locator('.compare-slider')).toBeVisible()

  // A refused request explains itself where the result would have been, with its request id.
  const sandboxUrl = await app.services.sandbox.ensure()
  expect((await fetch(`${sandboxUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ queue: [{ kind: 'insufficient_credits' }] }) })).ok).toBe(true)
  await editor.getByTestId('run-edit').click()
  await expect(editor.locator('.stage-label.right')).toContainText('Failed', { timeout: 30_000 })
  const refusal = editor.getByRole('alert').filter({ hasText: /credit/i })
  await expect(refusal).toBeVisible()
  await expect(refusal).toContainText(/Request id \S+/)
  await page.screenshot({ path: 'test-results/screens/editor-error.png' })
  await expect.poll(async () => (await page.evaluate(() => window.pixdesk.invoke('history.query', { status: 'failed' }))).total).toBe(1)

  // Run again: the new result replaces the failure.
  await editor.getByTestId('run-edit').click()
  await expect(editor.locator('.stage-label.right')).toContainText('Done', { timeout: 30_000 })

  // Both sides are real pictures served by the main process.
  const pictures = editor.locator('.compare-slider img')
  await expect(pictures).toHaveCount(2)
  for (const img of await pictures.all()) await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0)
  await page.screenshot({ path: 'test-results/screens/editor.png' })

  // "Show in folder" asks the file manager for this result's file, the one the history recorded.
  const latest = (await page.evaluate(() => window.pixdesk.invoke('history.query', { status: 'succeeded', sort: 'newest' }))).items[0]!
  const record = await app.services.history.get(latest.id)
  const written = record!.outputs[0]!.path
  await editor.getByRole('button', { name: /Show .* in folder/ }).click()
  await expect.poll(() => app.dialogs.revealed).toEqual([written])

  // Once the file is gone, the reason is shown next to the button and nothing is revealed.
  await rm(written)
  await editor.getByRole('button', { name: /Show .* in folder/ }).click()
  await expect(editor.getByRole('alert').filter({ hasText: 'no longer on disk' })).toBeVisible()
  expect(app.dialogs.revealed).toHaveLength(1)
  await page.setViewportSize({ width: 1024, height: 700 })
  await page.screenshot({ path: 'test-results/screens/editor-1024.png' })
})
