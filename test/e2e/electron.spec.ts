import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { _electron as electron, test, expect } from '@playwright/test'
import { createRequire } from 'node:module'

// The same lookup `npm start` uses, so both agree on whether the runtime is installed.
const { electronBinary } = createRequire(__filename)('../../scripts/electron-binary.cjs') as { electronBinary(): string | null }
const binary = electronBinary()

test('the packaged app starts and shows its shell', async () => {
  test.skip(!binary, 'Electron binary not available')
  const app = await electron.launch({
    executablePath: binary!,
    args: [resolve(__dirname, '..', '..', 'out', 'main', 'index.js'), '--no-sandbox'],
    env: { ...process.env, PIXDESK_HOME: resolve('test-results', 'electron-home') }
  })
  try {
    const window = await app.firstWindow()
    await expect(window.getByTestId('app-shell')).toBeVisible()
    await mkdir('test-results/screens', { recursive: true })
    await window.screenshot({ path: 'test-results/screens/electron-shell.png' })
  } finally {
    await app.close()
  }
})
