import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collectDiagnostics, formatDiagnostics, RECENT_ERRORS } from '../../electron/core/diagnostics'
import { createKeychain, type SecretStore } from '../../electron/core/keychain'
import { createRedactor, REDACTED, redactValue } from '../../electron/core/redact'
import { createServices, type Services } from '../../electron/core/services'
import { makeRecord } from '../support/history-fixtures'

const root = resolve(import.meta.dirname, '..', '..')

function memoryStore(): SecretStore {
  const entries = new Map<string, string>()
  return {
    getPassword: async (service, account) => entries.get(`${service}/${account}`) ?? null,
    setPassword: async (service, account, password) => void entries.set(`${service}/${account}`, password),
    deletePassword: async (service, account) => entries.delete(`${service}/${account}`)
  }
}

const brokenStore: SecretStore = {
  getPassword: () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')),
  setPassword: () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY')),
  deletePassword: () => Promise.reject(new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'))
}

// Planted secrets: one in a known key shape, and one with no recognisable shape at all, which only the
// list of configured keys can catch.
const openaiKey = `sk-proj-${randomBytes(24).toString('hex')}`
const pixapiKey = `Q${randomBytes(20).toString('hex')}Z`
const geminiKey = `AIza${randomBytes(18).toString('hex').slice(0, 35)}`

let home: string
let services: Services

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'pixdesk-diagnostics-'))
})
afterEach(async () => {
  await services?.dispose()
  await rm(home, { recursive: true, force: true })
})

async function open(store: SecretStore, env: NodeJS.ProcessEnv = {}) {
  services = await createServices({ env: { PIXDESK_HOME: home, ...env }, keychain: createKeychain({ store, env }), watchFolders: false, version: '9.8.7' })
  return services
}

function diagnosticsOf(s: Services) {
  return collectDiagnostics({ version: s.version, paths: s.paths, settings: () => s.settings.get(), keychain: s.keychain, history: s.history, logsDir: join(home, 'logs') })
}

describe('diagnostics', () => {
  it('never contains a key, even one a provider echoed back into an error message', async () => {
    const s = await open(memoryStore(), { GEMINI_API_KEY: geminiKey })
    await s.keychain.setKey('openai', openaiKey)
    await s.keychain.setKey('pixapi', pixapiKey)
    for (let i = 0; i < 25; i++) {
      const provider = (['pixapi', 'openai', 'gemini'] as const)[i % 3]
      await s.history.append(
        makeRecord({
          id: `rec-${String(i).padStart(2, '0')}`,
          provider,
          startedAt: new Date(Date.UTC(2026, 10, 1, 10, i)).toISOString(),
          status: 'failed',
          requestIds: [`req-${i}`],
          error: {
            code: 'auth',
            status: 401,
            providerCode: `invalid_api_key_${i}`,
            requestId: `req-${i}`,
            message: `The key ${[pixapiKey, openaiKey, geminiKey][i % 3]} was refused (Authorization: Bearer ${openaiKey})`
          }
        })
      )
    }
    await s.history.append(makeRecord({ id: 'ok-1', status: 'succeeded' }))

    const report = await diagnosticsOf(s)
    const everything = `${JSON.stringify(report)}\n${formatDiagnostics(report)}`
    for (const secret of [openaiKey, pixapiKey, geminiKey, openaiKey.slice(8, 30), pixapiKey.slice(1, 30)]) {
      expect(everything).not.toContain(secret)
    }
    expect(everything).toContain(REDACTED)

    expect(report.keys).toEqual([
      { provider: 'pixapi', set: true, source: 'keychain' },
      { provider: 'openai', set: true, source: 'keychain' },
      { provider: 'gemini', set: true, source: 'environment' }
    ])
    expect(report.keychain).toEqual({ available: true })
    expect(report.recentErrors).toHaveLength(RECENT_ERRORS)
    expect(report.recentErrors[0]).toMatchObject({ recordId: 'rec-24', requestIds: ['req-24'], providerCode: 'invalid_api_key_24', httpStatus: 401, code: 'auth' })
    expect(report.recentErrors.at(-1)?.recordId).toBe('rec-05')
    expect(formatDiagnostics(report)).toContain('provider code invalid_api_key_24; request ids req-24')
    expect(report.versions).toMatchObject({ app: '9.8.7', node: process.versions.node, electron: null })
    expect(report.settings.provider.active).toBe('pixapi')
    expect(report.sizes.find((f) => f.folder === 'history')?.bytes).toBeGreaterThan(1000)
  })

  it('reports an unusable keychain with its reason instead of failing', async () => {
    const s = await open(brokenStore)
    const report = await diagnosticsOf(s)
    expect(report.keychain.available).toBe(false)
    expect(report.keychain.problem).toMatch(/D-Bus|keychain/i)
    expect(report.keys.every((k) => !k.set)).toBe(true)
    expect(formatDiagnostics(report)).toContain('Keychain: unavailable')
  })

  it('counts the size of each data folder', async () => {
    const s = await open(memoryStore())
    await mkdir(join(home, 'pasted'), { recursive: true })
    await writeFile(join(home, 'pasted', 'a.png'), Buffer.alloc(5000))
    await writeFile(join(home, 'pasted', 'b.png'), Buffer.alloc(3000))
    const report = await diagnosticsOf(s)
    expect(report.sizes.find((f) => f.folder === 'pasted')).toEqual({ folder: 'pasted', bytes: 8000, files: 2 })
    expect(report.sizes.some((f) => f.folder === s.paths.cacheDir)).toBe(true)
  })

  it('is printed by `pixdesk diagnostics` without the key given in the environment', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'bin', 'pixdesk.cjs'), 'diagnostics', '--json'], {
      env: { ...process.env, PIXDESK_HOME: home, OPENAI_API_KEY: openaiKey, PIXAPI_KEY: pixapiKey, GEMINI_API_KEY: '' }
    })
    expect(stdout).not.toContain(openaiKey)
    expect(stdout).not.toContain(pixapiKey)
    const line = JSON.parse(stdout.trim().split('\n')[0]!) as { type: string; keys: Array<{ provider: string; set: boolean; source: string }> }
    expect(line.type).toBe('diagnostics')
    expect(line.keys.find((k) => k.provider === 'openai')).toMatchObject({ set: true, source: 'environment' })
    const text = await promisify(execFile)(process.execPath, [join(root, 'bin', 'pixdesk.cjs'), 'diagnostics'], {
      env: { ...process.env, PIXDESK_HOME: home, OPENAI_API_KEY: openaiKey }
    })
    expect(text.stdout).toContain('Pixdesk diagnostics')
    expect(text.stdout).toContain('openai: set (environment)')
    expect(text.stdout).not.toContain(openaiKey)
  })
})

describe('redaction', () => {
  const redact = createRedactor(() => ['configured-secret-value'])

  it.each([
    ['Authorization: Bearer sk-abcdefghijklmnopqrstuvwxyz123456', 'sk-abcdefghijklmnop'],
    ['x-goog-api-key: AIzaSyA1234567890abcdefghijklmnopqrstu', 'AIzaSyA1234567890'],
    ['{"x-goog-api-key":"notakeyshape-12345678"}', 'notakeyshape-12345678'],
    ['GET /v1/models?key=abcdef1234567890 failed', 'abcdef1234567890'],
    ['api_key=plainvalue123456', 'plainvalue123456'],
    ['the key sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA was refused', 'AAAAAAAAAAAAAAAAAAAAAAAA'],
    ['uses configured-secret-value here', 'configured-secret-value']
  ])('scrubs %s', (text, secret) => {
    const out = redact(text)
    expect(out).not.toContain(secret)
    expect(out).toContain(REDACTED)
  })

  it('leaves ordinary text alone and scrubs secret-named fields of objects', () => {
    expect(redact('Batch "Spring shoes" finished: 3 failed, request id req_123')).toBe('Batch "Spring shoes" finished: 3 failed, request id req_123')
    expect(redactValue({ headers: { authorization: 'anything', accept: 'json' }, list: ['Bearer abcdefgh12345678'] }, redact)).toEqual({
      headers: { authorization: REDACTED, accept: 'json' },
      list: [`Bearer ${REDACTED}`]
    })
  })
})
