import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test, expect } from './fixtures'

const KEY = 'pk_live_e2e_0123456789abcdefWXYZ'

test('first run offers the sandbox, and a saved key shows only its last four characters', async ({ page, app }) => {
  await app.open(page)
  const welcome = page.getByTestId('first-run')
  await expect(welcome).toBeVisible()
  await expect(welcome.getByRole('heading', { name: 'Welcome to Pixdesk' })).toBeVisible()
  await mkdir('test-results/screens', { recursive: true })
  await page.screenshot({ path: 'test-results/screens/first-run.png' })

  await welcome.getByRole('button', { name: 'Start in Sandbox mode' }).click()
  await expect(welcome).toBeHidden()
  await expect(page.getByTestId('library-view')).toBeVisible()
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sandbox' })).toBeVisible()
  expect(app.services.settings.get().provider.sandbox).toBe(true)

  await page.getByRole('button', { name: /^Settings/ }).click()
  const settings = page.getByTestId('settings-view')
  await expect(settings.getByTestId('sandbox-toggle')).toBeChecked()

  const row = settings.getByTestId('key-pixapi')
  await expect(row.getByTestId('key-status-pixapi')).toHaveText('Not set')
  // A too-short key is refused by the main process with a message shown next to the field.
  await row.getByLabel('Pixapi API key').fill('short')
  await row.getByRole('button', { name: 'Save' }).click()
  await expect(row.getByRole('alert')).toContainText('too short')

  await row.getByLabel('Pixapi API key').fill(KEY)
  await row.getByRole('button', { name: 'Save' }).click()
  await expect(row.getByTestId('key-status-pixapi')).toHaveText('Set · …WXYZ')
  await expect(row.getByLabel('Pixapi API key')).toHaveValue('')

  // The key must not survive anywhere in the page: markup, attributes or form values.
  const leaked = await page.evaluate((key) => {
    const inValues = [...document.querySelectorAll('input, textarea')].some((el) => (el as HTMLInputElement).value.includes(key))
    return inValues || document.documentElement.outerHTML.includes(key) || document.body.innerText.includes(key)
  }, KEY)
  expect(leaked).toBe(false)

  // Turning the sandbox off from Settings is saved for real.
  await settings.getByText('Sandbox mode', { exact: true }).click()
  await expect.poll(() => app.services.settings.get().provider.sandbox).toBe(false)
  await expect(settings.getByTestId('sandbox-toggle')).not.toBeChecked()

  // A bad naming template is refused and the reason is shown beside the field.
  const naming = settings.getByLabel('File naming')
  await naming.fill('{name}_{nope}')
  await naming.press('Enter')
  await expect(settings.getByRole('alert').filter({ hasText: 'placeholders' })).toBeVisible()

  // The output folder comes from the folder dialog: the first choice switches to it, Choose… replaces it,
  // and cancelling the dialog changes nothing.
  const first = join(app.home, 'exports')
  const second = join(app.home, 'client-delivery')
  await mkdir(first, { recursive: true })
  await mkdir(second, { recursive: true })
  app.dialogs.directories.push([first])
  await settings.getByRole('radio', { name: 'One folder of my choice' }).click()
  await expect(settings.getByRole('textbox', { name: /^Output folder/ })).toHaveValue(first)
  expect(app.services.settings.get().output).toMatchObject({ folderMode: 'custom', customFolder: first })
  app.dialogs.directories.push([second])
  await settings.getByRole('button', { name: 'Choose…' }).click()
  await expect(settings.getByRole('textbox', { name: /^Output folder/ })).toHaveValue(second)
  await expect.poll(() => app.services.settings.get().output.customFolder).toBe(second)
  await settings.getByRole('button', { name: 'Choose…' }).click()
  await expect(settings.getByRole('button', { name: 'Choose…' })).toBeEnabled()
  expect(app.services.settings.get().output.customFolder).toBe(second)
  await settings.getByRole('textbox', { name: /^Output folder/ }).scrollIntoViewIfNeeded()
  await page.screenshot({ path: 'test-results/screens/settings-output.png' })

  await row.getByRole('button', { name: 'Delete' }).click()
  await expect(row.getByTestId('key-status-pixapi')).toHaveText('Not set')
  await settings.getByLabel('File naming').fill('{name}_{model}_{index}')
  await settings.getByLabel('File naming').press('Enter')
  await settings.evaluate((el) => el.scrollTo(0, 0))
  await page.screenshot({ path: 'test-results/screens/settings.png' })
})
