import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import react from '@vitejs/plugin-react'
import { rendererContentSecurityPolicy } from './electron/main/content-security-policy'

const shared = resolve(__dirname, 'shared')

// No library injects a <style> element: the UI's styles are bundled files, so no inline stylesheet is allowed.
const rendererPolicy = rendererContentSecurityPolicy({ styleHashes: [] })

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
