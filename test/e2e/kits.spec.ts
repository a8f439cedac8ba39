import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import type { SandboxStats } from '../../electron/core/sandbox/server'
import { test, expect, type PixdeskFixture } from './fixtures'

/** A product shot to edit, two more to edit in a batch, and a style and a logo to use as references. */
async function makeFolder(root: string): Promise<string> {
  const dir = join(root, 'campaign')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#d9822b' } }).png().toFile(join(dir, 'a-mug.png'))
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#2b9f5d' } }).png().toFile(join(dir, 'b-bottle.png'))
  await sharp({ create: { width: 280, height: 280, channels: 3, background: '#7a5cc4' } }).png().toFile(join(dir, 'c-cup.png'))
  await sharp({ create: { width: 120, height: 90, channels: 3, background: '#1d3557' } }).jpeg().toFile(join(dir, 'd-style.jpg'))
  await sharp({ create: { width: 64, height: 64, channels: 4, background: '#c22f' } }).png().toFile(join(dir, 'e-logo.png'))
  return dir
}

async function openLibrary(page: Page, app: PixdeskFixture) {
  const dir = await makeFolder(app.home)
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  app.dialogs.directories.push([dir])
  const library = page.getByTestId('library-view')
  await library.getByRole('button', { name: 'Add folder' }).first().click()
  const tiles = library.getByTestId('asset-tile')
  await expect(tiles).toHaveCount(5)
  for (const name of ['a-mug.png', 'b-bottle.png', 'c-cup.png', 'd-style.jpg', 'e-logo.png']) await expect(tiles.filter({ hasText: name })).not.toContainText('Inspecting')
  return { dir, library, tiles }
}

async function sandboxStats(app: PixdeskFixture): Promise<SandboxStats> {
  return (await (await fetch(`${app.services.sandbox.url()}/__sandbox/stats`)).json()) as SandboxStats
}

/**
 * Drags a library tile (and with it the selection it belongs to) over a sidebar entry, waits for that
 * view to open under the drag, and drops on its references tray: real drag events, the way a person does it.
 */
async function dragTileToTray(page: Page, tile: ReturnType<Page['getByTestId']>, navName: RegExp, viewTestId: string) {
  const from = (await tile.boundingBox())!
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2)
  await page.mouse.down()
  const nav = (await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: navName }).boundingBox())!
  await page.mouse.move(from.x + from.width / 2 + 20, from.y + from.height / 2, { steps: 3 })
  await page.mouse.move(nav.x + nav.width / 2, nav.y + nav.height / 2, { steps: 6 })
  await expect(page.getByTestId(viewTestId)).toBeVisible()
  const drop = (await page.getByTestId(viewTestId).getByTestId('references-drop').boundingBox())!
  await page.mouse.move(drop.x + drop.width / 2, drop.y + drop.height / 2, { steps: 6 })
  await page.mouse.up()
}

test('a brand kit made from library images, exported and imported back, used in an edit and recorded in History', async ({ page, app }) => {
  const { library, tiles } = await openLibrary(page, app)
  await tiles.filter({ hasText: 'd-style.jpg' }).click()
  await tiles.filter({ hasText: 'e-logo.png' }).click({ modifiers: ['Control'] })
  await expect(library.getByRole('toolbar', { name: 'Selection' })).toContainText('2 selected')

  await page.getByRole('button', { name: /^Brand kits/ }).click()
  const view = page.getByTestId('kits-view')
  await view.getByRole('button', { name: 'New kit' }).click()
  const form = view.getByRole('form', { name: 'New brand kit' })
  await form.getByLabel('Name').fill('Acme Spring')
  await form.getByRole('button', { name: 'Add 2 images selected in the library' }).click()
  const images = form.getByTestId('kit-form-image')
  await expect(images).toHaveCount(2)
  await form.getByLabel('Role of d-style.jpg').fill('style')
  await form.getByLabel('Role of e-logo.png').fill('logo')
  // The logo first: the kit keeps the order it is given.
  await form.getByRole('button', { name: 'Move e-logo.png earlier' }).click()
  await expect(images.nth(0)).toContainText('e-logo.png')
  await form.getByRole('button', { name: 'Add a snippet' }).click()
  await form.getByRole('textbox', { name: 'Snippet 1' }).fill('Use Acme red for accents.')
  await form.getByRole('button', { name: 'Save kit' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'Saved "Acme Spring"' })).toBeVisible()
  const detail = view.getByRole('article')
  await expect(detail.getByTestId('kit-detail-image')).toHaveCount(2)
  await expect(detail.getByTestId('kit-detail-image').nth(0)).toContainText('logo')
  // The kit's images are served to the window by kit id and hash.
  await expect(detail.getByAltText('e-logo.png')).toHaveJSProperty('naturalWidth', 64)
  const stored = await readdir(join(app.home, 'data', 'kits', 'acme-spring'))
  expect(stored.sort()).toEqual(['d-style.jpg', 'e-logo.png', 'kit.json'])
  await page.screenshot({ path: 'test-results/screens/kits-detail.png' })

  // Export both ways, as pixdesk kits export writes them.
  const exports = join(app.home, 'exports')
  await mkdir(exports)
  app.dialogs.directories.push([exports])
  await detail.getByRole('button', { name: 'Export folder…' }).click()
  await expect(view.getByRole('status').filter({ hasText: `Exported to ${join(exports, 'acme-spring')}` })).toBeVisible()
  expect((await readdir(join(exports, 'acme-spring'))).sort()).toEqual(['d-style.jpg', 'e-logo.png', 'kit.json'])
  app.dialogs.saves.push(join(exports, 'acme.json'))
  await detail.getByRole('button', { name: 'Export JSON…' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'acme.json' })).toBeVisible()
  expect(JSON.parse(await readFile(join(exports, 'acme.json'), 'utf8'))).toMatchObject({ format: 'pixdesk-brand-kit', name: 'Acme Spring', snippets: ['Use Acme red for accents.'] })

  // Imported back beside the original, under the next free name; the images are the same bytes.
  app.dialogs.files.push([join(exports, 'acme.json')])
  await view.getByRole('button', { name: 'Import JSON…' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'Imported "Acme Spring 2" with 2 images' })).toBeVisible()
  app.dialogs.directories.push([join(exports, 'acme-spring')])
  await view.getByRole('button', { name: 'Import folder…' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'Imported "Acme Spring 3"' })).toBeVisible()
  const kits = await app.services.brandKits.list()
  expect(kits.map((k) => k.name)).toEqual(['Acme Spring', 'Acme Spring 2', 'Acme Spring 3'])
  for (const kit of kits) expect(kit.references.map((r) => [r.role, r.sha256])).toEqual(kits[0]!.references.map((r) => [r.role, r.sha256]))

  // Duplicated, renamed in the copy's editor, deleted.
  await view.getByRole('button', { name: /^Acme Spring 3/ }).click()
  await view.getByRole('article').getByRole('button', { name: 'Duplicate' }).click()
  const copy = view.getByRole('form', { name: 'Edit brand kit' })
  await expect(copy.getByTestId('kit-form-image')).toHaveCount(2)
  await expect(copy.getByLabel('Name')).toHaveValue('Acme Spring 3 copy')
  await copy.getByLabel('Name').fill('Acme Autumn')
  await copy.getByRole('button', { name: 'Save kit' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'Saved "Acme Autumn"' })).toBeVisible()
  const list = view.getByRole('region', { name: 'Brand kit list' }).getByRole('button')
  await expect(list).toHaveText([/^Acme Autumn/, /^Acme Spring2 images/, /^Acme Spring 2/, /^Acme Spring 3/])
  await view.getByRole('article').getByRole('button', { name: 'Delete' }).click()
  await view.getByRole('button', { name: 'Delete kit' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'Deleted "Acme Autumn"' })).toBeVisible()
  await expect(list).toHaveCount(3)

  // Used in an edit: the kit's images go first, with their roles, and History shows them.
  await view.getByRole('button', { name: /^Acme Spring\b/ }).first().click()
  await page.getByRole('button', { name: /^Library/ }).click()
  await tiles.filter({ hasText: 'a-mug.png' }).dblclick()
  const editor = page.getByTestId('editor-view')
  await expect(editor.getByTestId('edit-source')).toHaveCount(1)
  await editor.getByTestId('brand-kit').selectOption({ label: 'Acme Spring (2 images, 1 snippet)' })
  await expect(editor.getByTestId('kit-reference')).toHaveCount(2)
  await expect(editor.getByTestId('kit-reference').nth(0)).toContainText('Image 2')
  await expect(editor.getByTestId('kit-reference').nth(0)).toContainText('logo')
  await expect(editor.getByTestId('kit-snippet')).toHaveText(['Use Acme red for accents.'])
  await editor.getByRole('combobox', { name: 'Model' }).fill('gpt-image-2')
  await editor.getByRole('option', { name: /gpt-image-2/ }).first().click()
  await expect(editor.getByTestId('references-limit')).toContainText('up to 15 reference images')
  await editor.getByLabel('Prompt').fill('Print the logo from image 2 on the mug')
  await editor.getByTestId('run-edit').click()
  await expect(editor.locator('.stage-label.right')).toContainText('Done', { timeout: 30_000 })
  const submission = (await sandboxStats(app)).submissions.at(-1)!
  expect(submission.references).toMatchObject({ count: 2, prefaced: true, items: [{ image: 2, role: 'logo', width: 64 }, { image: 3, role: 'style', width: 120 }] })
  expect(submission.prompt).toContain('Use Acme red for accents.')

  await page.getByRole('button', { name: /^History/ }).click()
  const history = page.getByTestId('history-view')
  await history.getByTestId('history-row').filter({ hasText: 'Print the logo' }).getByRole('button').first().click()
  const listed = history.getByTestId('history-detail').getByTestId('history-reference')
  await expect(listed).toHaveCount(2)
  await expect(listed.nth(0)).toContainText('e-logo.png')
  await expect(listed.nth(0)).toContainText('logo')
  await expect(listed.nth(1)).toContainText('d-style.jpg')
  await expect(listed.nth(1)).toContainText('style')
})

test('a batch of three images takes two references dragged from the library; every item is sent with both', async ({ page, app }) => {
  const { library, tiles } = await openLibrary(page, app)
  await tiles.filter({ hasText: 'a-mug.png' }).click()
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('Shift+ArrowRight')
  await expect(library.getByRole('toolbar', { name: 'Selection' })).toContainText('3 selected')
  await library.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Batch' }).click()
  const batches = page.getByTestId('batches-view')
  const form = batches.getByTestId('batch-form')
  await expect(form).toBeVisible()

  // Back to the library: the style and the logo, selected together, dragged as one onto the batch's tray.
  await page.getByRole('button', { name: /^Library/ }).click()
  await tiles.filter({ hasText: 'd-style.jpg' }).click()
  await tiles.filter({ hasText: 'e-logo.png' }).click({ modifiers: ['Control'] })
  await dragTileToTray(page, tiles.filter({ hasText: 'e-logo.png' }), /^Batches/, 'batches-view')
  const refs = form.getByTestId('reference-item')
  await expect(refs).toHaveCount(2)
  await expect(refs.nth(0)).toContainText('Image 2')
  await refs.nth(0).getByLabel('Role of d-style.jpg').fill('style')
  await refs.nth(1).getByLabel('Role of e-logo.png').fill('logo')

  // The default model takes the image edited and two more: the limit is said beside the tray.
  await expect(form.getByTestId('references-limit')).toContainText('takes up to 2 reference images')
  await form.getByLabel('Prompt').fill('Place the product on a plain backdrop in the style of image 2 with the logo from image 3')
  await form.getByRole('radio', { name: 'Run them again' }).check()
  await expect(form.getByTestId('references-problem')).toHaveCount(0)
  await expect(form.getByTestId('batch-estimate')).toContainText('3 requests')
  await page.screenshot({ path: 'test-results/screens/references-batch.png' })
  const before = (await sandboxStats(app)).submissions.length
  await form.getByTestId('start-batch').click()
  await expect.poll(async () => (await sandboxStats(app)).submissions.length - before, { timeout: 30_000 }).toBe(3)
  const sent = (await sandboxStats(app)).submissions.slice(before)
  for (const submission of sent) {
    expect(submission.references).toMatchObject({ count: 2, prefaced: true, items: [{ image: 2, role: 'style', width: 120, height: 90 }, { image: 3, role: 'logo', width: 64, height: 64 }] })
  }
  // Each item edited its own image, the first of the three sent.
  expect(new Set(sent.map((s) => s.inputs[0]!.sha256)).size).toBe(3)
})

test('two library tiles dragged one by one onto the editor tray become references in that order', async ({ page, app }) => {
  const { tiles } = await openLibrary(page, app)
  await tiles.filter({ hasText: 'a-mug.png' }).dblclick()
  const editor = page.getByTestId('editor-view')
  await expect(editor.getByTestId('edit-source')).toHaveCount(1)
  await page.getByRole('button', { name: /^Library/ }).click()
  // A tile outside the selection carries only itself.
  await tiles.filter({ hasText: 'a-mug.png' }).click()
  await dragTileToTray(page, tiles.filter({ hasText: 'e-logo.png' }), /^Edit/, 'editor-view')
  await expect(editor.getByTestId('reference-item')).toHaveCount(1)
  await page.getByRole('button', { name: /^Library/ }).click()
  await dragTileToTray(page, tiles.filter({ hasText: 'd-style.jpg' }), /^Edit/, 'editor-view')
  const refs = editor.getByTestId('reference-item')
  await expect(refs).toHaveCount(2)
  await expect(refs.nth(0)).toContainText('Image 2')
  await expect(refs.nth(0).getByLabel(/^Role of/)).toHaveAttribute('aria-label', 'Role of e-logo.png')
  await expect(refs.nth(1).getByLabel(/^Role of/)).toHaveAttribute('aria-label', 'Role of d-style.jpg')
  // The image edited is still the mug alone, and nothing was imported twice.
  await expect(editor.getByTestId('edit-source')).toHaveCount(1)
  expect(app.services.library.importedFiles().length + app.services.library.importedRoots().length).toBe(1)

  // One more than the default model takes: the limit is named and Run stays off until one is removed.
  await page.getByRole('button', { name: /^Library/ }).click()
  await dragTileToTray(page, tiles.filter({ hasText: 'b-bottle.png' }), /^Edit/, 'editor-view')
  await expect(refs).toHaveCount(3)
  await editor.getByLabel('Prompt').fill('Put the logo from image 2 on the mug')
  await expect(editor.getByTestId('references-problem')).toContainText('3 reference images chosen')
  await expect(editor.getByTestId('references-problem')).toContainText('at most 2')
  await expect(editor.getByTestId('run-edit')).toBeDisabled()
  await refs.nth(2).getByRole('button', { name: 'Remove reference b-bottle.png' }).click()
  await expect(editor.getByTestId('references-problem')).toHaveCount(0)
  await expect(editor.getByTestId('run-edit')).toBeEnabled()
})
