import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import sharp from 'sharp'
import { _electron as electron, test, expect, type ElectronApplication } from '@playwright/test'

// The same lookup `npm start` uses, so both agree on whether the runtime is installed.
const { electronBinary } = createRequire(__filename)('../../scripts/electron-binary.cjs') as { electronBinary(): string | null }
const binary = electronBinary()
const SKIP_REASON = 'the Electron runtime is not installed here (npx install-electron); the browser project covers the UI'

const mainEntry = resolve(__dirname, '..', '..', 'out', 'main', 'index.js')

async function launch(home: string): Promise<ElectronApplication> {
  return electron.launch({
    executablePath: binary!,
    args: [mainEntry, '--no-sandbox'],
    env: { ...process.env, PIXDESK_HOME: home }
  })
}

test('the built app imports a folder, runs a sandbox batch, notifies, and reopens where it was', async () => {
  test.skip(!binary, SKIP_REASON)
  test.setTimeout(120_000)
  const home = await mkdtemp(join(tmpdir(), 'pixdesk-electron-'))
  const photos = join(home, 'photos')
  await mkdir(photos, { recursive: true })
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#d9822b' } }).png().toFile(join(photos, 'sneaker.png'))
  await sharp({ create: { width: 480, height: 640, channels: 3, background: '#457b9d' } }).jpeg().toFile(join(photos, 'bag.jpg'))
  await writeFile(join(home, 'settings.json'), JSON.stringify({ version: 1, provider: { sandbox: true } }))

  const app = await launch(home)
  let placed: { x: number; y: number; width: number; height: number }
  try {
    const page = await app.firstWindow()
    await expect(page.getByTestId('app-shell')).toBeVisible()
    // Native dialogs are the one substitution: the folder picker answers with the test folder, and
    // notifications are recorded as the app asks for them.
    await app.evaluate(({ dialog, Notification }, folder) => {
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [folder] })) as typeof dialog.showOpenDialog
      const shown: Array<{ title: string; body: string }> = []
      ;(globalThis as { shownNotifications?: typeof shown }).shownNotifications = shown
      Notification.prototype.show = function (this: Electron.Notification) {
        shown.push({ title: this.title, body: this.body })
      }
    }, photos)

    await page.getByTestId('library-view').getByRole('button', { name: 'Add folder' }).first().click()
    const tiles = page.getByTestId('asset-tile')
    await expect(tiles).toHaveCount(2, { timeout: 30_000 })
    const assetIds = await page.evaluate(async () => (await window.pixdesk.invoke('library.assets', {})).map((a) => a.id))
    await page.evaluate(
      (ids) => window.pixdesk.invoke('jobs.start', { name: 'Electron check', assetIds: ids, prompt: 'Soft studio shadow', models: ['gemini-2.5-flash-image'] }),
      assetIds
    )
    await expect
      .poll(() => app.evaluate(() => (globalThis as { shownNotifications?: Array<{ title: string; body: string }> }).shownNotifications ?? []), { timeout: 60_000 })
      .toEqual([{ title: 'Batch “Electron check” finished', body: expect.stringMatching(/^2 done · \d+(\.\d+)? credits?$/) as unknown as string }])

    // Move and resize the window, then quit: the next start must put it back.
    placed = { x: 60, y: 50, width: 1100, height: 720 }
    await app.evaluate(({ BrowserWindow }, bounds) => BrowserWindow.getAllWindows()[0]!.setBounds(bounds), placed)
    await page.waitForTimeout(800)
  } finally {
    await app.close()
  }
  const saved = JSON.parse(await readFile(join(home, 'window-state.json'), 'utf8')) as { layouts: Record<string, { bounds: typeof placed }> }
  expect(Object.values(saved.layouts)[0]?.bounds).toMatchObject({ width: placed.width, height: placed.height })

  const again = await launch(home)
  try {
    const page = await again.firstWindow()
    await expect(page.getByTestId('app-shell')).toBeVisible()
    const bounds = await again.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.getBounds())
    expect(bounds).toMatchObject({ width: placed.width, height: placed.height })
    await mkdir('test-results/screens', { recursive: true })
    await page.screenshot({ path: 'test-results/screens/electron-shell.png' })
  } finally {
    await again.close()
  }
})
