import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { test, expect } from './fixtures'

/**
 * Serious and critical accessibility violations inside `selector`, with the rule and the node. Contrast
 * is judged here for this feature's own elements (mp-*, tpl-* classes); the shared controls' colours
 * (buttons, field labels) belong to the theme and are checked for every view with it.
 */
async function axeProblems(page: Page, selector: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).analyze()
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.filter((n) => v.id !== 'color-contrast' || /class="[^"]*\b(mp|tpl)-/.test(n.html)).map((n) => `${v.id}: ${n.html}`))
}

async function importPhoto(page: Page, app: { home: string; dialogs: { directories: string[][] } }): Promise<void> {
  const dir = join(app.home, 'shelf')
  await mkdir(dir, { recursive: true })
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c8553d' } })
    .composite([{ input: await sharp({ create: { width: 200, height: 260, channels: 3, background: '#2d3047' } }).png().toBuffer(), left: 220, top: 110 }])
    .jpeg()
    .toFile(join(dir, 'jar.jpg'))
  app.dialogs.directories.push([dir])
  await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
  const tile = page.getByTestId('asset-tile').filter({ hasText: 'jar.jpg' })
  await expect(tile).not.toContainText('Inspecting')
  await tile.click()
}

test('templates: create with variables, edit, duplicate a built-in, delete, import InvokeAI presets, export, then use one in an edit', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await importPhoto(page, app)
  // The photo goes to the editor first; the template is chosen from the Templates view later.
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Edit' }).click()
  await expect(page.getByTestId('editor-view')).toBeVisible()

  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Templates/ }).click()
  const view = page.getByTestId('templates-view')
  const list = view.getByRole('region', { name: 'Template list' })
  // Every workflow of the product page has a built-in template.
  for (const name of ['Replace background with a scene', 'Colour variant', 'Resize for stories (9:16)', 'Style transfer', 'Packshot cleanup']) {
    await expect(list.getByRole('button', { name: new RegExp(`^${name.replace(/[()]/g, '\\$&')}`) })).toBeVisible()
  }
  expect(await axeProblems(page, '[data-testid="templates-view"]')).toEqual([])

  // A new template: {placeholders} in the prompt become variables to describe.
  await view.getByRole('button', { name: 'New template' }).click()
  const editor = view.getByRole('form', { name: 'New template' })
  await editor.getByLabel('Prompt', { exact: true }).fill('Put the product on a {surface} with {flowers}, soft morning light.')
  await expect(editor.getByRole('group', { name: 'Variable {surface}' })).toBeVisible()
  const flowers = editor.getByRole('group', { name: 'Variable {flowers}' })
  await flowers.getByLabel('Description').fill('A few stems, never covering the label.')
  await editor.getByRole('group', { name: 'Variable {surface}' }).getByLabel('Default').fill('white oak shelf')
  // Saving without a name says what to fix, at the field, and sends nothing.
  await editor.getByRole('button', { name: 'Save template' }).click()
  await expect(editor.getByText('give the template a name')).toBeVisible()
  await expect(editor.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true')
  await editor.getByLabel('Name', { exact: true }).fill('Spring shelf')
  expect(await axeProblems(page, '[data-testid="templates-view"]')).toEqual([])
  await page.screenshot({ path: 'test-results/screens/templates-editor.png' })
  await editor.getByRole('button', { name: 'Save template' }).click()
  const detail = view.getByRole('article', { name: 'Spring shelf' })
  await expect(detail).toContainText('Yours')
  await expect(detail).toContainText('Not used yet')
  const stored = async () => (JSON.parse(await readFile(join(app.home, 'data', 'templates.json'), 'utf8')) as { templates: Array<{ id: string; name: string }> }).templates
  expect((await stored()).map((t) => t.name)).toEqual(['Spring shelf'])

  // Edit it.
  await detail.getByRole('button', { name: 'Edit', exact: true }).click()
  await view.getByRole('form', { name: /Edit template/ }).getByLabel('Name', { exact: true }).fill('Spring shelf, pastel')
  await view.getByRole('form', { name: /Edit template/ }).getByRole('button', { name: 'Save template' }).click()
  await expect(view.getByRole('article', { name: 'Spring shelf, pastel' })).toBeVisible()

  // Built-ins are duplicated, never edited or deleted.
  await list.getByRole('button', { name: /^Relight/ }).click()
  const relight = view.getByRole('article', { name: 'Relight' })
  await expect(relight.getByRole('button', { name: 'Delete' })).toHaveCount(0)
  await expect(relight.getByRole('button', { name: 'Edit', exact: true })).toHaveCount(0)
  await relight.getByRole('button', { name: 'Duplicate' }).click()
  const copyForm = view.getByRole('form', { name: /Edit template Relight \(copy\)/ })
  await copyForm.getByRole('button', { name: 'Save template' }).click()
  const copy = view.getByRole('article', { name: 'Relight (copy)' })
  await copy.getByRole('button', { name: 'Delete' }).click()
  await copy.getByRole('button', { name: 'Delete template' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'Deleted "Relight (copy)"' })).toBeVisible()
  await expect(list.getByRole('button', { name: /^Relight \(copy\)/ })).toHaveCount(0)

  // InvokeAI style presets: a bad file is refused whole, with each problem by line; a good one imports.
  const bad = join(app.home, 'bad-styles.csv')
  await writeFile(bad, 'name,prompt,negative_prompt\n,"no name",\nEmpty,,\n')
  app.dialogs.files.push([bad])
  await view.getByRole('button', { name: 'Import…' }).click()
  const refusal = view.getByRole('alert').filter({ hasText: 'bad-styles.csv cannot be imported' })
  await expect(refusal).toContainText('line 2: the name is empty')
  await expect(refusal).toContainText('line 3 ("Empty"): both prompt and negative_prompt are empty')
  const styles = join(app.home, 'styles.csv')
  await writeFile(styles, 'name,prompt,negative_prompt\nCinematic,"{prompt}, soft cinematic light","harsh shadows"\nWatercolour,"watercolour painting",\n')
  app.dialogs.files.push([styles])
  await view.getByRole('button', { name: 'Import…' }).click()
  await expect(view.getByRole('status').filter({ hasText: 'Imported 2 templates from' })).toBeVisible()
  await expect(list.getByRole('group', { name: 'Imported styles' }).getByRole('button')).toHaveCount(2)

  // Export: the user's own templates, in the format import reads back.
  const exported = join(app.home, 'mine.json')
  app.dialogs.saves.push(exported)
  await view.getByRole('button', { name: 'Export yours…' }).click()
  await expect(view.getByRole('status').filter({ hasText: `Exported 3 templates to ${exported}` })).toBeVisible()
  expect((JSON.parse(await readFile(exported, 'utf8')) as { templates: Array<{ name: string }> }).templates.map((t) => t.name)).toEqual(['Spring shelf, pastel', 'Cinematic', 'Watercolour'])
  await page.screenshot({ path: 'test-results/screens/templates.png' })

  // Use it: the editor asks for the variable without a default before anything can run.
  await list.getByRole('button', { name: /^Spring shelf, pastel/ }).click()
  await view.getByRole('article', { name: 'Spring shelf, pastel' }).getByRole('button', { name: 'Use in Edit' }).click()
  const edit = page.getByTestId('editor-view')
  const field = edit.getByLabel(/^Flowers/)
  await expect(field).toHaveAttribute('aria-invalid', 'true')
  await expect(edit.getByText('A few stems, never covering the label.')).toBeVisible()
  const run = edit.getByTestId('run-edit')
  await expect(run).toBeDisabled()
  await expect(edit.locator('.panel-footer .hint')).toHaveText('Fill in "Flowers" for template "Spring shelf, pastel".')
  await field.fill('pale tulips')
  await expect(edit.getByLabel('Prompt to be sent')).toHaveText('Put the product on a white oak shelf with pale tulips, soft morning light.')
  await run.click()
  await expect(edit.locator('.stage-label.right')).toContainText('Done', { timeout: 30_000 })
  const [spring] = await stored()
  const recorded = await page.evaluate((templateId) => window.pixdesk.invoke('history.query', { templateId }), spring!.id)
  expect(recorded.items[0]).toMatchObject({ prompt: 'Put the product on a white oak shelf with pale tulips, soft morning light.', templateId: spring!.id })

  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Templates/ }).click()
  await expect(list.getByRole('button', { name: /^Spring shelf, pastel/ })).toContainText('Used 1 time')
})

test('the model picker: route, capabilities and price per image, search, keyboard, custom ids, names in full', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await importPhoto(page, app)
  await page.getByRole('complementary', { name: 'Image details' }).getByRole('button', { name: 'Edit' }).click()
  const edit = page.getByTestId('editor-view')
  const box = edit.getByRole('combobox', { name: 'Model' })
  const listbox = edit.getByRole('listbox', { name: 'Model choices' })

  // The default model is shown in full, with route, capabilities and price for the current settings.
  const chosen = edit.getByRole('list', { name: 'Chosen models' }).getByRole('listitem')
  await expect(chosen).toContainText('Nano Banana (Gemini 2.5 Flash Image)')
  await expect(chosen).toContainText('Gemini via Pixapi')
  await expect(chosen).toContainText('≈ 2 cr per image')
  await expect(chosen).toContainText('at most 3 · PNG, JPEG, WEBP')

  // Keyboard: ↓ opens the list, arrows move the active option, typing filters, Enter chooses, Escape closes.
  await box.focus()
  await box.press('ArrowDown')
  await expect(listbox).toBeVisible()
  await expect(box).toHaveAttribute('aria-expanded', 'true')
  const active = async () => page.locator(`[id="${await box.getAttribute('aria-activedescendant')}"]`)
  await expect(await active()).toHaveAttribute('aria-selected', 'true')
  await box.press('ArrowDown')
  await expect(await active()).toContainText('Nano Banana 2 (Gemini 3.1 Flash Image)')
  expect(await axeProblems(page, '.model-picker')).toEqual([])
  await box.press('Escape')
  await expect(listbox).toBeHidden()
  await expect(box).toHaveAttribute('aria-expanded', 'false')

  await box.fill('gpt 1.5')
  await expect(listbox.getByRole('option')).toHaveCount(1)
  const gpt = listbox.getByRole('option', { name: /GPT Image 1\.5/ })
  await expect(gpt).toContainText('GPT via Pixapi')
  await expect(gpt).toContainText('Quality')
  await expect(gpt).toContainText('per image')
  await box.press('Enter')
  await expect(listbox).toBeHidden()
  await expect(chosen).toContainText('GPT Image 1.5')
  // The price follows the settings: GPT at low quality costs less than at the default (high).
  const price = chosen.locator('.mp-price .cost-badge')
  const high = await price.innerText()
  await edit.getByLabel('Quality').selectOption('low')
  await expect(price).not.toHaveText(high)

  // A model id the catalog does not list is added from the same box.
  await box.fill('acme-image-7')
  const custom = listbox.getByRole('option', { name: /Use the model id acme-image-7/ })
  await expect(custom).toBeVisible()
  await box.press('Enter')
  await expect(chosen).toContainText('acme-image-7 (custom)')
  await expect(chosen).toContainText('price unknown')

  // Names are never cut: at 1024 px the longest label wraps inside its card.
  await page.setViewportSize({ width: 1024, height: 700 })
  await box.fill('preview pro')
  const longest = listbox.getByRole('option', { name: /Nano Banana Pro preview/ }).locator('.mp-name')
  await expect(longest).toBeVisible()
  const cut = await longest.evaluate((el) => el.scrollWidth > el.clientWidth + 1)
  expect(cut).toBe(false)
  expect(await axeProblems(page, '.model-picker')).toEqual([])
  await page.screenshot({ path: 'test-results/screens/model-picker.png' })
})
