import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { looksLikeSandbox } from '../../electron/cli/connection'

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r) ?? r(undefined))
})

/** A loopback server whose health answer never ends; counts what it managed to send. */
async function endlessServer(): Promise<{ url: string; sent: () => number }> {
  let sent = 0
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const pump = () => {
      for (;;) {
        if (res.destroyed) return
        sent += chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
    }
    pump()
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent }
}

it('the sandbox probe reads a few kilobytes of an endless health answer, then gives up', async () => {
  const endless = await endlessServer()
  expect(await looksLikeSandbox(endless.url)).toBe(false)
  // Without a cap the probe reads for its whole 3 s timeout: hundreds of megabytes over loopback.
  expect(endless.sent()).toBeLessThan(16 * 1024 * 1024)
})

it('a real sandbox answer is recognised', async () => {
  server = createServer((_req, res) => res.end(JSON.stringify({ ok: true, simulated: true })))
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  expect(await looksLikeSandbox(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)).toBe(true)
})
