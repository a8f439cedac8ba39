import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import react from '@vitejs/plugin-react'
import { rendererContentSecurityPolicy } from './electron/main/content-security-policy'

const shared = resolve(__dirname, 'shared')

/**
 * The sha256 of the stylesheet react-zoom-pan-pinch injects as an inline <style>, read from the installed
 * package so the policy follows the library. A new version that no longer ships it this way fails the
 * build here rather than leaving the image stage unstyled at run time.
 */
function zoomStylesheetHash(): string {
  const entry = createRequire(__filename).resolve('react-zoom-pan-pinch')
  const bundle = readFileSync(join(dirname(entry), 'index.esm.js'), 'utf8')
  const literal = /\bvar css_248z = ("(?:[^"\\]|\\.)*");\s*\n/.exec(bundle)?.[1]
  if (!literal || !/\bstyleInject\(css_248z\)/.test(bundle)) {
    throw new Error('react-zoom-pan-pinch no longer injects its stylesheet as expected: update the CSP style hashes.')
  }
  return sha256Source(JSON.parse(literal) as string)
}

const sha256Source = (text: string) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`

// The library appends its <style> element to the document before filling it, and the browser checks the
// element then too, while it is still empty: the empty stylesheet's hash allows that first, empty state.
const rendererPolicy = rendererContentSecurityPolicy({ styleHashes: [sha256Source(''), zoomStylesheetHash()] })

/** Writes the production policy into the built index.html; the dev server keeps its own looser one. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'pixdesk-content-security-policy',
    apply: 'build',
    transformIndexHtml(html) {
      const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="[^"]*"\s*\/>/
      if (!meta.test(html)) throw new Error('renderer/index.html has no Content-Security-Policy meta tag to replace.')
      return html.replace(meta, `<meta http-equiv="Content-Security-Policy" content="${rendererPolicy}" />`)
    }
  }
}

export default defineConfig({
  main: {
    resolve: { alias: { '@shared': shared } },
    define: { __PIXDESK_RENDERER_CSP__: JSON.stringify(rendererPolicy) },
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve(__dirname, 'electron/main/index.ts') } }
    }
  },
  preload: {
    resolve: { alias: { '@shared': shared } },
    build: {
      // A sandboxed preload can require only 'electron': everything else is bundled in.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'electron/preload/index.ts') } }
    }
  },
  renderer: {
    root: 'renderer',
    resolve: { alias: { '@shared': shared } },
    plugins: [react(), contentSecurityPolicy()],
    build: {
      minify: true,
      outDir: 'out/renderer',
      rollupOptions: { input: resolve(__dirname, 'renderer/index.html') }
    }
  }
})
