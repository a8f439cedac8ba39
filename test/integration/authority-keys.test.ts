import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Channel, Envelope, Payload, Result } from '../../shared/contract'
import type { BatchView } from '../../shared/views'
import { CliContext } from '../../electron/cli/context'
import { connect } from '../../electron/cli/connection'
import { createKeychain } from '../../electron/core/keychain'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'
import { startFakeOpenAI } from '../support/fake-openai'
import { requirePrivateSecretService } from '../support/keyring'

/** A server on loopback that answers everything and remembers every header a key could travel in. */
async function startCountingServer() {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    req.resume()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ object: 'list', data: [], models: [] }))
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    requests: () => seen.length,
    keysSeen: () => seen.flatMap((h) => [h.authorization, h['x-goog-api-key'], h['x-api-key']]).filter(Boolean),
    close: () => new Promise<void>((done) => server.close(() => done()))
  }
}

describe('a stored key goes only to the origin it was saved for', () => {
  let home: string
  let services: Services
  let renderer: RendererConnection
  const asked: string[] = []
  const answers: boolean[] = []
  const openaiKey = `sk_authority_test_${process.pid}_abcdefgh`
  const geminiEnvKey = 'AIza_authority_env_key_0123456789'
  let legit: Awaited<ReturnType<typeof startFakeOpenAI>>
  let attacker: Awaited<ReturnType<typeof startCountingServer>>

  const send = (channel: Channel, payload: unknown): Promise<Envelope> => renderer.dispatch(channel, payload)
  async function call<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>> {
    const envelope = await send(channel, payload)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as Result<C>
  }

  beforeAll(async () => {
    requirePrivateSecretService()
    home = await mkdtemp(join(tmpdir(), 'pixdesk-authority-keys-'))
    legit = await startFakeOpenAI({ apiKey: openaiKey })
    attacker = await startCountingServer()
    services = await createServices({
      paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') },
      env: { HOME: process.env.HOME, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS, GEMINI_API_KEY: geminiEnvKey },
      keychain: createKeychain({ env: { GEMINI_API_KEY: geminiEnvKey }, service: 'Pixdesk tests (authority)' }),
      watchFolders: false,
      dialogs: {
        openDirectories: async () => [],
        openFiles: async () => [],
        saveFile: async () => null,
        reveal: async () => undefined,
        confirm: async ({ message }) => {
          asked.push(message)
          return answers.shift() ?? false
        },
        copyText: async () => undefined
      }
    })
    renderer = connectRenderer(services)
  })

  afterAll(async () => {
    await services.keychain.deleteKey('openai').catch(() => false)
    await services.keychain.deleteKey('pixapi').catch(() => false)
    await services.dispose()
    await legit.close()
    await attacker.close()
    await rm(home, { recursive: true, force: true })
  })

  it('keeps the key from a base URL the window moved to another host, for keys.test and for jobs', async () => {
    await call('settings.update', { patch: { provider: { baseUrls: { openai: legit.url } } } })
    await call('keys.set', { provider: 'openai', key: openaiKey })
    expect(await call('keys.test', { provider: 'openai' })).toMatchObject({ ok: true, checked: true })

    // The attack: point OpenAI at a server of one's own, then ask for a key test and a job.
    await call('settings.update', { patch: { provider: { active: 'openai', baseUrls: { openai: attacker.url } } } })
    const attackerHost = new URL(attacker.url).host
    expect(asked).toEqual([`Send your OpenAI key to ${attackerHost}?`])

    const tested = await send('keys.test', { provider: 'openai' })
    expect(tested).toMatchObject({ ok: false, error: { code: 'auth', field: 'keyOrigin' } })
    const message = tested.ok ? '' : tested.error.message
    expect(message).toContain(new URL(legit.url).host)
    expect(message).toContain(attackerHost)

    const batches = new Map<string, BatchView>()
    const stop = renderer.onEvent((event, payload) => {
      if (event === 'jobs.batch') batches.set((payload as BatchView).id, payload as BatchView)
    })
    const started = await call('jobs.start', { kind: 'generate', prompt: 'A red apple', models: ['gpt-image-1.5'], duplicates: 'run' })
    await expect.poll(() => batches.get(started.id)?.counts.failed, { timeout: 30_000 }).toBe(1)
    stop()
    const item = (await call('jobs.get', { batchId: started.id })).items[0]
    expect(item?.error).toMatchObject({ code: 'auth' })
    expect(attacker.keysSeen()).toEqual([])
  })

  it('binds a key from the environment to the default address whatever the settings say', async () => {
    await call('settings.update', { patch: { provider: { baseUrls: { gemini: attacker.url } } } })
    const tested = await send('keys.test', { provider: 'gemini' })
    expect(tested).toMatchObject({ ok: false, error: { code: 'auth', field: 'keyOrigin' } })
    expect(attacker.keysSeen()).toEqual([])
  })

  it('sends the key to the new host once the user confirms it in the native dialog', async () => {
    await call('settings.update', { patch: { provider: { baseUrls: { openai: legit.url } } } })
    answers.push(true)
    await call('settings.update', { patch: { provider: { baseUrls: { openai: attacker.url } } } })
    await call('keys.test', { provider: 'openai' })
    // The counting server does see a key when one is sent: the checks above could fail.
    expect(attacker.keysSeen()).toEqual([`Bearer ${openaiKey}`])
  })

  it('lets the CLI send a keychain key to --base-url only with --trust-base-url', async () => {
    await services.saveKey('pixapi', 'sk_pixapi_authority_0123456789')
    const target = `${attacker.url}/cli`
    const before = attacker.keysSeen().length
    const plain = new CliContext({}, new AbortController().signal, {})
    await expect(connect(plain, services, ['pixapi'], { provider: 'pixapi', baseUrl: target })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('--trust-base-url')
    })
    const trusted = new CliContext({ trustBaseUrl: true }, new AbortController().signal, {})
    const connection = await connect(trusted, services, ['pixapi'], { provider: 'pixapi', baseUrl: target })
    expect(connection.apiKey('pixapi')).toEqual({ value: 'sk_pixapi_authority_0123456789', origin: new URL(attacker.url).origin })
    // Deciding where to send is not sending: the sandbox probe carries no key.
    expect(attacker.keysSeen().length).toBe(before)
  })
})
