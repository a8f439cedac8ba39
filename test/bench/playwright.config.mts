import { defineConfig } from '@playwright/test'
import base from '../../playwright.config.mjs'

// The browser benchmarks (`npm run bench -- library-ui`): the same Chromium and harness as the browser
// suite, one test at a time so the figures are not shared with another page, and never part of npm test.
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: /\.pw\.ts$/,
  outputDir: '../../test-results/bench',
  timeout: 20 * 60_000,
  workers: 1,
  fullyParallel: false,
  projects: [{ name: 'bench' }]
})
