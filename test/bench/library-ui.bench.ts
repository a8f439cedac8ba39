/**
 * The Library in the browser: first thumbnails painted after importing 1,000 photos, scroll frame times
 * and renderer heap with 5,000 images. Runs the built renderer against the real handlers in Chromium
 * (test/bench/library-ui.pw.ts, through the browser suite's harness). Run: npm run bench -- library-ui
 * (after npm run build).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..', '..')
if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  console.error('The renderer is not built: run `npm run build` first.')
  process.exit(1)
}
const result = spawnSync(process.execPath, [join(root, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', '--config', join('test', 'bench', 'playwright.config.mts')], {
  cwd: root,
  stdio: 'inherit'
})
process.exit(result.status ?? 1)
