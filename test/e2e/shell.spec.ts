import { mkdir } from 'node:fs/promises'
import { test, expect } from './fixtures'

test('the app shell renders and talks to the real main-process handlers', async ({ page, app }) => {
  await app.open(page)
  await expect(page.getByTestId('app-shell')).toBeVisible()
  await expect(page.getByText('ve2e')).toBeVisible()

  const echo = await page.evaluate(() => window.pixdesk.invoke('app.ping', { message: 'hello from the renderer' }))
  expect(echo.echo).toBe('hello from the renderer')

  // The handler validates payloads exactly as in the app: a wrong type comes back as a validation error.
  const refused = await page.evaluate(() =>
    window.pixdesk.invoke('app.ping', { message: 42 as unknown as string }).then(
      () => null,
      (err: { data?: { code: string; field?: string } }) => err.data ?? null
    )
  )
  expect(refused).toMatchObject({ code: 'validation', field: 'message' })

  await mkdir('test-results/screens', { recursive: true })
  await page.screenshot({ path: 'test-results/screens/shell.png', fullPage: true })
})
