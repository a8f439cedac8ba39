import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve } from 'node:path'
import { test as base, type Page } from '@playwright/test'
import { build } from 'esbuild'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'

const root = resolve(__dirname, '..', '..')
const rendererDir = join(root, 'out', 'renderer')

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2'
}

let bridgeScript: Promise<string> | undefined
/** The preload's bridge, bundled for the page: the renderer gets the same object it gets in the app. */
function harnessBridge(): Promise<string> {
  bridgeScript ??= build({
    entryPoints: [join(root, 'test', 'support', 'harness-bridge.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent'
  }).then((out) => out.outputFiles[0]!.text)
  return bridgeScript
}

/** Serves the built renderer, plus the asset handler under /asset/, on 127.0.0.1 with a random port. */
async function serveRenderer(getConnection: () => RendererConnection | undefined): Promise<{ url: string; close(): Promise<void> }> {
  await stat(join(rendererDir, 'index.html')).catch(() => {
    throw new Error('The renderer is not built: run `npm run build` first (npm test does it for you).')
  })
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`)
      const connection = getConnection()
      if (url.pathname.startsWith('/asset/') && connection) {
        try {
          const response = await connection.handleAsset(new Request(url.href, { method: req.method }))
          res.writeHead(response.status, Object.fromEntries(response.headers))
          res.end(Buffer.from(await response.arrayBuffer()))
        } catch (err) {
          // As Electron's protocol handler does with a rejection: the request fails, the page goes on.
          if (!res.headersSent) res.writeHead(500)
          res.end(String(err))
        }
        return
      }
      const rel = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname))
      const file = join(rendererDir, rel)
      if (!file.startsWith(rendererDir)) {
        res.writeHead(403).end()
        return
      }
      try {
        const body = await readFile(file)
        res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' })
        res.end(body)
      } catch {
        res.writeHead(404).end()
      }
    })()
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok())
        // A request still open (a thumbnail the page is loading) must not hold the teardown.
        server.closeAllConnections()
      })
  }
}

/** A teardown step with a deadline, so a stuck one fails the test by name instead of as a bare timeout. */
async function step<T>(what: string, work: Promise<T>, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Test teardown: ${what} did not finish within ${ms / 1000} s.`)), ms)
  })
  try {
    return await Promise.race([work, stuck])
  } finally {
    clearTimeout(timer)
  }
}

export interface DialogAnswers {
  directories: string[][]
  files: string[][]
  saves: (string | null)[]
  /** Files the app asked the file manager to show. */
  revealed: string[]
  /** Answers to native yes/no questions, in order; none queued answers no. Asked messages are kept. */
  confirms: boolean[]
  asked: string[]
  /** Text the app put on the system clipboard, oldest first. */
  clipboard: string[]
}

export interface PixdeskFixture {
  services: Services
  home: string
  /** Queue answers for the native dialogs, the one thing the harness substitutes. */
  dialogs: DialogAnswers
  open(page: Page): Promise<void>
}

export const test = base.extend<{ app: PixdeskFixture }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the fixtures argument to be destructured
  app: async ({}, use) => {
    const home = await mkdtemp(join(tmpdir(), 'pixdesk-e2e-'))
    const dialogs: DialogAnswers = { directories: [], files: [], saves: [], revealed: [], confirms: [], asked: [], clipboard: [] }
    const holder: { connection?: RendererConnection } = {}
    const server = await serveRenderer(() => holder.connection)
    const services = await createServices({
      paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') },
      env: { ...process.env, PIXDESK_HOME: join(home, 'data') },
      version: 'e2e',
      dialogs: {
        openDirectories: async () => dialogs.directories.shift() ?? [],
        openFiles: async () => dialogs.files.shift() ?? [],
        saveFile: async () => dialogs.saves.shift() ?? null,
        reveal: async (path) => {
          dialogs.revealed.push(path)
        },
        confirm: async ({ message }) => {
          dialogs.asked.push(message)
          return dialogs.confirms.shift() ?? false
        },
        copyText: async (text) => {
          dialogs.clipboard.push(text)
        }
      }
    })
    const connection = connectRenderer(services, { assetBaseUrl: `${server.url}asset/` })
    holder.connection = connection
    const ready = services
    const script = await harnessBridge()
    // The built page carries the production CSP: anything it blocks is a bug in the policy or the UI.
    const policyViolations: string[] = []

    await use({
      services: ready,
      home,
      dialogs,
      async open(page) {
        page.on('console', (message) => {
          const text = message.text()
          // The policy names frame-ancestors for the header it is also sent as; the <meta> copy only warns.
          if (/Content Security Policy/i.test(text) && !/'frame-ancestors' is ignored/.test(text)) policyViolations.push(text)
        })
        await page.exposeBinding('__pixdeskInvoke', (_source, channel: string, payload: unknown) => connection.dispatch(channel, payload))
        connection.onEvent((event, payload) => {
          void page
            .evaluate(([e, p]) => (window as unknown as { __pixdeskEmit?: (e: string, p: unknown) => void }).__pixdeskEmit?.(e, p), [event, payload] as const)
            .catch(() => undefined)
        })
        await page.addInitScript({ content: script })
        await page.goto(server.url)
      }
    })

    // The page may still be fetching: stop serving it first, so nothing reaches services being disposed.
    await step('closing the page server', server.close())
    connection.close()
    await step('disposing the services', ready.dispose())
    await step('removing the test home', rm(home, { recursive: true, force: true }))
    if (policyViolations.length) throw new Error(`The page broke its Content Security Policy:\n${policyViolations.join('\n')}`)
  }
})

export { expect } from '@playwright/test'
