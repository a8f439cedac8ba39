import { mkdir } from 'node:fs/promises'
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
  return dir
}

test('edit, continue from the result twice, branch at the first version: the strip, its total, version compare and the lineage in History', async ({ page, app }) => {
  const dir = await makeFolder(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: 'sneaker.png' })
  await expect(tile).not.toContainText('Inspecting')
  await tile.click()
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Edit' }).click()

  const editor = page.getByTestId('editor-view')
  const prompt = editor.getByLabel('Prompt')
  const status = editor.locator('.stage-label.right')
  const chips = editor.getByTestId('version-chip')
  await editor.getByRole('combobox', { name: 'Model' }).fill('gemini-2.5-flash-image')
  await editor.getByRole('option', { name: /gemini-2\.5-flash-image/ }).click()
  const chosenModel = editor.getByRole('list', { name: 'Chosen models' }).getByRole('listitem')

  const runAndWait = async (text: string, versions: number) => {
    await prompt.fill(text)
    await editor.getByTestId('run-edit').click()
    await expect(status).toContainText('Done', { timeout: 30_000 })
    await expect(chips).toHaveCount(versions, { timeout: 10_000 })
  }

  await runAndWait('Put the sneaker on a white background', 1)
  // Continue from the result: it becomes the image edited, the model stays.
  await editor.getByRole('button', { name: 'Continue from this' }).click()
  await expect(editor.getByTestId('edit-base')).toBeVisible()
  await expect(chosenModel).toContainText('Nano Banana (Gemini 2.5 Flash Image)')
  await expect(editor.getByRole('button', { name: 'Continue from this' })).toHaveCount(0)
  await runAndWait('Add a soft shadow', 2)
  await editor.getByRole('button', { name: 'Continue from this' }).click()
  await runAndWait('Warmer light', 3)

  // Branch: pick the first version in the strip, then run.
  await chips.nth(0).getByRole('button', { name: /^v1\b/ }).click()
  await expect(chips.nth(0).getByRole('button', { name: /^v1\b/ })).toHaveAttribute('aria-pressed', 'true')
  await runAndWait('Grey background', 4)

  // Parents before children: v1, its chain v2 → v3, then the branch from v1.
  await expect(chips.nth(1)).toHaveAttribute('data-depth', '1')
  await expect(chips.nth(2)).toHaveAttribute('data-depth', '2')
  await expect(chips.nth(3)).toHaveAttribute('data-depth', '1')
  await expect(chips.nth(3)).toContainText('Grey background')
  const records = await page.evaluate(() => window.pixdesk.invoke('history.query', { sort: 'oldest' }))
  expect(records.total).toBe(4)
  const total = records.items.reduce((sum, r) => sum + r.credits, 0)
  expect(total).toBe(8)
  await expect(editor.getByTestId('chain-total')).toContainText(`${total}`)
  const lineage = await page.evaluate((recordId) => window.pixdesk.invoke('history.lineage', { recordId }), records.items[0]!.id)
  expect(lineage.versions.map((v) => v.prompt)).toEqual(['Put the sneaker on a white background', 'Add a soft shadow', 'Warmer light', 'Grey background'])
  expect(lineage.versions[3]!.parent?.recordId).toBe(records.items[0]!.id)

  // Compare two versions with the slider: both pictures are the versions' outputs.
  await chips.nth(1).getByLabel('Compare v2').check()
  await chips.nth(3).getByLabel('Compare v4').check()
  await expect(editor.locator('.compare-slider')).toBeVisible()
  const pictures = editor.locator('.compare-slider img')
  await expect(pictures).toHaveCount(2)
  const sources = await pictures.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).src))
  expect(sources.sort()).toEqual([lineage.versions[1]!.outputs[0]!.url, lineage.versions[3]!.outputs[0]!.url].sort())
  await expect(editor.getByText(/^v2 · /)).toBeVisible()
  await page.screenshot({ path: 'test-results/screens/version-chain.png' })
  await editor.getByRole('button', { name: 'Stop comparing versions' }).click()

  // History details show the lineage, each version a link to its own details.
  await page.getByRole('button', { name: /^History/ }).click()
  const view = page.getByTestId('history-view')
  await view.getByTestId('history-row').filter({ hasText: 'Warmer light' }).getByRole('button').first().click()
  const details = view.getByTestId('history-detail')
  const tree = details.getByTestId('history-lineage')
  await expect(tree).toContainText('4 versions')
  await expect(tree.getByRole('button')).toHaveCount(4)
  await expect(tree.getByRole('button', { name: 'Warmer light' })).toHaveAttribute('aria-current', 'true')
  await tree.getByRole('button', { name: 'Grey background' }).click()
  await expect(details.locator('.detail-prompt')).toHaveText('Grey background')

  // "Continue from this" in History opens the editor on that output.
  await details.getByRole('button', { name: 'Continue from this' }).click()
  await expect(editor.getByTestId('edit-base')).toBeVisible()
  await expect(chips).toHaveCount(4)
  await expect(chips.nth(3).getByRole('button')).toHaveAttribute('aria-pressed', 'true')
})
