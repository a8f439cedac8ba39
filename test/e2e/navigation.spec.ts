import { test, expect } from './fixtures'

test('the command palette and shortcuts reach every view without the mouse', async ({ page, app }) => {
  await app.services.settings.update({ provider: { sandbox: true } })
  await app.open(page)
  await expect(page.getByTestId('library-view')).toBeVisible()

  await page.keyboard.press('Control+k')
  const palette = page.getByRole('dialog', { name: 'Command palette' })
  await expect(palette).toBeVisible()
  await expect(palette.getByRole('combobox', { name: 'Command' })).toBeFocused()
  await page.keyboard.type('go hist')
  await expect(palette.getByRole('option')).toHaveCount(1)
  await page.keyboard.press('Enter')
  await expect(palette).toBeHidden()
  await expect(page.getByTestId('history-view')).toBeVisible()

  await page.keyboard.press('Control+3')
  await expect(page.getByTestId('compare-view')).toBeVisible()
  await page.keyboard.press('Control+6')
  await expect(page.getByTestId('settings-view')).toBeVisible()
  // Brand kits take Shift: the plain Ctrl+B is "New batch from selection" in the app menu.
  await page.keyboard.press('Control+b')
  await expect(page.getByTestId('settings-view')).toBeVisible()
  await page.keyboard.press('Control+Shift+B')
  await expect(page.getByTestId('kits-view')).toBeVisible()
  await expect(page.getByRole('button', { name: /^Brand kits/ })).toHaveAttribute('title', 'Brand kits (Ctrl+Shift+B)')
  await page.keyboard.press('Control+6')
  await expect(page.getByTestId('settings-view')).toBeVisible()

  // The palette's sandbox command flips the real setting.
  await page.keyboard.press('Control+k')
  await page.keyboard.type('sandbox')
  await page.keyboard.press('Enter')
  await expect.poll(() => app.services.settings.get().provider.sandbox).toBe(false)

  await page.keyboard.press('Control+k')
  await page.keyboard.press('Escape')
  await expect(palette).toBeHidden()
  await expect(page.getByRole('button', { name: /^Settings/ })).toHaveAttribute('aria-current', 'page')
})
