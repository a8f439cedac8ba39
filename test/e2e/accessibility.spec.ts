import { mkdir } from 'node:fs/promises'
import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { test, expect } from './fixtures'
import { goTo, openStudio, planSelection, runEditAndComparison, showKit, viewIds } from './studio'

/**
 * Every view, in both themes, with a studio's data and empty: axe finds no serious or critical
 * violation (contrast, names, roles, ARIA), and each state is written to test-results/screens/ as
 * <view>-<theme>-<data|empty>.png at 1280×800 for a person to look at.
 */

const themes = ['light', 'dark'] as const
type Theme = (typeof themes)[number]
const screens = 'test-results/screens'

/** Serious and critical violations on the page as it is now, one line per rule with the nodes it hit. */
async function audit(page: Page, state: string): Promise<string[]> {
  // Thumbnails fade in and toasts slide: let the page settle so axe reads final colours.
  await page.waitForLoadState('networkidle')
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${state}: ${v.id} (${v.impact}, ${v.nodes.length} nodes) ${v.help}\n    ${v.nodes.slice(0, 6).map((n) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 220)}`).join('\n    ')}`)
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${screens}/${name}.png` })
}

/** The system's colour scheme; the theme setting is left at "match the system". */
async function prepare(page: Page, theme: Theme): Promise<void> {
  await mkdir(screens, { recursive: true })
  await page.setViewportSize({ width: 1280, height: 800 })
  await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' })
}

async function expectTheme(page: Page, theme: Theme): Promise<void> {
  const brightness = () =>
    page.evaluate(() => {
      const [r = 0, g = 0, b = 0] = getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g)!.map(Number)
      return (r + g + b) / 3
    })
  // Light pages are near white, dark ones near black: the palette really switched.
  if (theme === 'light') await expect.poll(brightness, { message: 'a light page background' }).toBeGreaterThan(220)
  else await expect.poll(brightness, { message: 'a dark page background' }).toBeLessThan(40)
}

for (const theme of themes) {
  test(`every view with a studio's data passes axe in the ${theme} theme`, async ({ page, app }) => {
    test.setTimeout(360_000)
    await prepare(page, theme)
    await openStudio(page, app)
    await expectTheme(page, theme)
    await runEditAndComparison(page)
    const found: string[] = []

    for (const view of viewIds) {
      await goTo(page, view)
      if (view === 'library') await page.getByTestId('asset-tile').first().click()
      if (view === 'batches') await page.getByRole('navigation', { name: 'Batches' }).getByRole('button').filter({ hasText: 'Spring catalogue' }).click()
      if (view === 'batches') await expect(page.getByTestId('batch-item').first()).toBeVisible()
      if (view === 'history') await expect(page.getByTestId('history-row').first()).toBeVisible()
      if (view === 'packs') await planSelection(page)
      if (view === 'kits') await showKit(page)
      found.push(...(await audit(page, `${view} (${theme}, data)`)))
      await shoot(page, `${view}-${theme}-data`)
    }

    // The states a view opens into: a history entry's details, a new batch's form, the template search.
    await goTo(page, 'history')
    await page.getByTestId('history-row').filter({ hasText: 'Remove the reflection from the watch face' }).locator('.history-row-select').click()
    await expect(page.getByTestId('history-detail')).toBeVisible()
    found.push(...(await audit(page, `history details (${theme})`)))
    await shoot(page, `history-detail-${theme}-data`)

    await goTo(page, 'batches')
    await page.getByTestId('batches-view').getByRole('button', { name: 'New' }).click()
    await expect(page.getByTestId('batch-form')).toBeVisible()
    found.push(...(await audit(page, `new batch (${theme})`)))
    await shoot(page, `batch-form-${theme}-data`)

    await goTo(page, 'kits')
    await page.getByRole('article').getByRole('button', { name: 'Edit', exact: true }).click()
    await expect(page.getByRole('form', { name: 'Edit brand kit' })).toBeVisible()
    found.push(...(await audit(page, `brand kit editor (${theme})`)))
    await shoot(page, `kit-editor-${theme}-data`)
    await page.getByRole('form', { name: 'Edit brand kit' }).getByRole('button', { name: 'Cancel' }).click()

    await goTo(page, 'editor')
    await page.getByTestId('editor-view').getByTestId('brand-kit').selectOption({ index: 1 })
    await expect(page.getByTestId('editor-view').getByTestId('kit-reference')).toHaveCount(2)
    found.push(...(await audit(page, `editor with a brand kit (${theme})`)))
    await shoot(page, `editor-kit-${theme}-data`)
    await page.getByTestId('editor-view').getByTestId('brand-kit').selectOption('')

    await page.getByTestId('editor-view').getByLabel('Prompt').fill('/')
    await expect(page.getByRole('listbox', { name: 'Templates' })).toBeVisible()
    found.push(...(await audit(page, `template search (${theme})`)))
    await shoot(page, `templates-${theme}-data`)
    await page.keyboard.press('Escape')

    // The editor with a mask being drawn: its tools, the overlay and the brush.
    const editor = page.getByTestId('editor-view')
    await editor.getByRole('button', { name: /^(Draw|Edit) mask$/ }).click()
    const canvas = (await editor.getByTestId('mask-canvas').boundingBox())!
    await page.mouse.move(canvas.x + canvas.width * 0.35, canvas.y + canvas.height * 0.4)
    await page.mouse.down()
    await page.mouse.move(canvas.x + canvas.width * 0.6, canvas.y + canvas.height * 0.55, { steps: 8 })
    await page.mouse.up()
    await expect(editor.getByTestId('mask-coverage')).toContainText('Mask:')
    found.push(...(await audit(page, `editor with a mask (${theme})`)))
    await shoot(page, `editor-mask-${theme}-data`)
    await editor.getByRole('button', { name: 'Done' }).click()

    await page.keyboard.press('Control+k')
    await expect(page.getByRole('dialog', { name: 'Command palette' })).toBeVisible()
    found.push(...(await audit(page, `command palette (${theme})`)))
    await shoot(page, `palette-${theme}-data`)

    expect(found).toEqual([])
  })

  test(`the first-run screen and every empty view pass axe in the ${theme} theme`, async ({ page, app }) => {
    test.setTimeout(180_000)
    await prepare(page, theme)
    await app.open(page)
    await expect(page.getByTestId('first-run')).toBeVisible()
    await expectTheme(page, theme)
    const found = await audit(page, `first run (${theme})`)
    await shoot(page, `first-run-${theme}-empty`)
    await page.getByRole('button', { name: 'Start in Sandbox mode' }).click()

    for (const view of viewIds) {
      await goTo(page, view)
      found.push(...(await audit(page, `${view} (${theme}, empty)`)))
      await shoot(page, `${view}-${theme}-empty`)
    }
    await page.keyboard.press('Control+k')
    await page.getByRole('combobox', { name: 'Command' }).fill('no such command')
    found.push(...(await audit(page, `command palette without matches (${theme})`)))
    expect(found).toEqual([])
  })
}

test('the theme setting overrides the system and is kept', async ({ page, app }) => {
  await prepare(page, 'dark')
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await expectTheme(page, 'dark')
  await goTo(page, 'settings')
  const themeChoice = page.getByRole('radiogroup', { name: 'Theme' })
  await expect(themeChoice.getByRole('radio', { name: 'Match the system' })).toHaveAttribute('aria-checked', 'true')

  await themeChoice.getByRole('radio', { name: 'Light' }).click()
  await expectTheme(page, 'light')
  await expect.poll(() => app.services.settings.get().appearance.theme).toBe('light')
  await page.reload()
  await expect(page.getByTestId('app-shell')).toBeVisible()
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')
  await expectTheme(page, 'light')

  // Back to the system, which follows the operating system as it changes.
  await goTo(page, 'settings')
  await themeChoice.getByRole('radio', { name: 'Match the system' }).click()
  await expectTheme(page, 'dark')
  await page.emulateMedia({ colorScheme: 'light' })
  await expectTheme(page, 'light')
  await themeChoice.getByRole('radio', { name: 'Dark' }).click()
  await expectTheme(page, 'dark')
})
