import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import type { SandboxStats } from '../../electron/core/sandbox/server'
import { test, expect } from './fixtures'

async function makeFolder(root: string): Promise<string> {
  const dir = join(root, 'campaign')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#d9822b' } }).png().toFile(join(dir, 'a-mug.png'))
  await sharp({ create: { width: 120, height: 90, channels: 3, background: '#1d3557' } }).jpeg().toFile(join(dir, 'b-style.jpg'))
  await sharp({ create: { width: 64, height: 64, channels: 4, background: '#c22f' } }).png().toFile(join(dir, 'c-logo.png'))
  return dir
}

test('attach two references with roles in the editor: sent in order after the image, shown in History details', async ({ page, app }) => {
  const dir = await makeFolder(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  const library = page.getByTestId('library-view')
  await library.getByRole('button', { name: 'Add folder' }).first().click()
  const tiles = library.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(3)
  for (const name of ['a-mug.png', 'b-style.jpg', 'c-logo.png']) await expect(tiles.filter({ hasText: name })).not.toContainText('Inspecting')
  await tiles.filter({ hasText: 'a-mug.png' }).click()
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await expect(library.getByRole('toolbar', { name: 'Selection' })).toContainText('3 selected')
  await library.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Edit' }).click()

  const editor = page.getByTestId('editor-view')
  const sources = editor.getByTestId('edit-source')
  await expect(sources).toHaveCount(3)
  const drop = editor.getByTestId('references-drop')
  // The style first, then the logo: the order they are dropped in is the order they are sent in.
  await sources.filter({ has: page.getByAltText('b-style.jpg') }).dragTo(drop)
  await sources.filter({ has: page.getByAltText('c-logo.png') }).dragTo(drop)
  await expect(sources).toHaveCount(1)
  const refs = editor.getByTestId('reference-item')
  await expect(refs).toHaveCount(2)
  await expect(refs.nth(0)).toContainText('Image 2')
  await refs.nth(0).getByLabel('Role of b-style.jpg').fill('style')
  await refs.nth(1).getByLabel('Role of c-logo.png').fill('logo')
  // Reorder and back: the buttons move a reference by one place.
  await refs.nth(1).getByRole('button', { name: 'Move c-logo.png earlier' }).click()
  await expect(refs.nth(0).getByLabel(/^Role of/)).toHaveValue('logo')
  await refs.nth(0).getByRole('button', { name: 'Move c-logo.png later' }).click()
  await expect(refs.nth(0).getByLabel(/^Role of/)).toHaveValue('style')

  await editor.getByRole('combobox', { name: 'Model' }).fill('gpt-image-2')
  await editor.getByRole('option', { name: /gpt-image-2/ }).first().click()
  await editor.getByLabel('Prompt').fill('Print the logo from image 3 on the mug, in the colours of image 2')
  await editor.getByTestId('run-edit').click()
  await expect(editor.locator('.stage-label.right')).toContainText('Done', { timeout: 30_000 })
  await page.screenshot({ path: 'test-results/screens/references-editor.png' })

  // What reached the server: the mug, then style, then logo, with the roles in the prompt's first line.
  const stats = (await (await fetch(`${app.services.sandbox.url()}/__sandbox/stats`)).json()) as SandboxStats
  const submission = stats.submissions.at(-1)!
  expect(submission.references).toMatchObject({ count: 2, prefaced: true, items: [{ image: 2, role: 'style', width: 120, height: 90 }, { image: 3, role: 'logo', width: 64, height: 64 }] })

  await page.getByRole('button', { name: /^History/ }).click()
  const view = page.getByTestId('history-view')
  await view.getByTestId('history-row').filter({ hasText: 'Print the logo' }).getByRole('button').first().click()
  const details = view.getByTestId('history-detail')
  const listed = details.getByTestId('history-reference')
  await expect(listed).toHaveCount(2)
  await expect(listed.nth(0)).toContainText('Image 2')
  await expect(listed.nth(0)).toContainText('b-style.jpg')
  await expect(listed.nth(0)).toContainText('style')
  await expect(listed.nth(1)).toContainText('Image 3')
  await expect(listed.nth(1)).toContainText('c-logo.png')
  await expect(listed.nth(1)).toContainText('logo')
  await page.screenshot({ path: 'test-results/screens/references-history.png' })
})
