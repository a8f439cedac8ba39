import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openHistory } from '../../electron/core/history/history'
import { createKeychain, keychainError } from '../../electron/core/keychain'
import { loadSettings, updateSettings } from '../../electron/core/settings'
import { makeRecord } from '../support/history-fixtures'
import { requirePrivateSecretService } from '../support/keyring'

/**
 * The real Secret Service (gnome-keyring on a private D-Bus session, in a throwaway HOME): keys are
 * stored, read, replaced and deleted for real, and the error path is a process with no Secret Service.
 */
const run = promisify(execFile)
const probe = resolve(__dirname, '../support/keychain-probe.ts')
const testKey = `sk_test_${randomBytes(12).toString('hex')}`
let dataDir: string

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = []
  for (const path of await filesUnder(dir)) {
    if ((await stat(path)).size > 50 * 1024 * 1024) continue
    if ((await readFile(path)).includes(needle)) hits.push(path)
  }
  return hits
}

/**
 * Its own service name: test files run in parallel, and the CLI's tests use the app's real "Pixdesk"
 * entries in the same test keyring.
 */
const TEST_SERVICE = 'Pixdesk tests (keychain)'

beforeAll(async () => {
  requirePrivateSecretService()
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-keychain-data-'))
})
afterAll(async () => {
  if (!dataDir) return
  await createKeychain({ service: TEST_SERVICE, env: {} }).deleteKey('pixapi')
  await rm(dataDir, { recursive: true, force: true })
})

describe('keychain with a real Secret Service', () => {
  it('sets, reads, replaces and deletes a key, and never reveals more than its last 4 characters', async () => {
    const keychain = createKeychain({ service: TEST_SERVICE, env: {} })
    await keychain.deleteKey('openai')
    expect(await keychain.status('openai')).toEqual({ provider: 'openai', set: false, source: null })

    await keychain.setKey('openai', `  ${testKey}\n`)
    expect(await keychain.getKey('openai')).toBe(testKey)
    const status = await keychain.status('openai')
    expect(status).toEqual({ provider: 'openai', set: true, source: 'keychain', last4: testKey.slice(-4) })
    expect(JSON.stringify(await keychain.statusAll())).not.toContain(testKey)

    // It is in the Secret Service itself, under its service name, as other tools see it.
    const { stdout } = await run('secret-tool', ['lookup', 'service', TEST_SERVICE, 'account', 'openai'])
    expect(stdout.trim()).toBe(testKey)

    const replacement = `${testKey}-2`
    await keychain.setKey('openai', replacement)
    expect(await createKeychain({ service: TEST_SERVICE, env: {} }).getKey('openai')).toBe(replacement)

    expect(await keychain.deleteKey('openai')).toBe(true)
    expect(await keychain.getKey('openai')).toBeNull()
    expect(await keychain.deleteKey('openai')).toBe(false)
    expect((await keychain.status('openai')).set).toBe(false)
  })

  it('lets the environment override the keychain and says so', async () => {
    const stored = createKeychain({ service: TEST_SERVICE, env: {} })
    await stored.setKey('gemini', testKey)
    const envKey = 'AIzaEnvironmentOverride1234'
    const keychain = createKeychain({ service: TEST_SERVICE, env: { GEMINI_API_KEY: envKey, PIXAPI_KEY: '   ' } })
    expect(await keychain.getKey('gemini')).toBe(envKey)
    expect(await keychain.status('gemini')).toEqual({ provider: 'gemini', set: true, source: 'environment', last4: '1234' })
    // A blank variable is no override.
    expect((await keychain.status('pixapi')).source).not.toBe('environment')
    expect(await stored.getKey('gemini')).toBe(testKey)
    await stored.deleteKey('gemini')
  })

  it('refuses a malformed key without quoting it, and stores nothing', async () => {
    const keychain = createKeychain({ service: TEST_SERVICE, env: {} })
    const pasted = `${testKey} ${testKey}`
    const error = await keychain.setKey('pixapi', pasted).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'validation', message: expect.stringMatching(/pixapi API key contains spaces/) })
    expect(JSON.stringify(error)).not.toContain(testKey)
    expect(await keychain.getKey('pixapi')).toBeNull()
    await expect(keychain.setKey('pixapi', '   ')).rejects.toThrow(/is empty/)
  })

  it('says what is missing and how to fix it when there is no Secret Service at all', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.DBUS_SESSION_BUS_ADDRESS
    delete env.DISPLAY
    delete env.WAYLAND_DISPLAY
    const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, testKey], { env })
    expect(stdout).not.toContain(testKey)
    const result = JSON.parse(stdout) as Record<string, { ok: boolean; error?: { code: string; message: string }; value?: unknown }>
    expect(result.set?.ok).toBe(false)
    expect(result.set?.error?.code).toBe('keychain_unavailable')
    expect(result.set?.error?.message).toMatch(/^Could not save the pixapi key: No D-Bus session bus is running/)
    expect(result.set?.error?.message).toMatch(/gnome-keyring-daemon or another Secret Service/)
    expect(result.set?.error?.message).toMatch(/works with the Sandbox/)
    expect(result.get?.error?.code).toBe('keychain_unavailable')
    expect(result.status).toMatchObject({ ok: true, value: { provider: 'pixapi', set: false, source: null, error: { code: 'keychain_unavailable' } } })
  })

  it('says the login keyring is locked or missing when a Secret Service has none unlocked', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pixdesk-locked-home-'))
    try {
      // Its own runtime folder too: a keyring daemon finds its peers through $XDG_RUNTIME_DIR/keyring, and
      // must not reach the unlocked test keyring of the session these tests run in.
      const { stdout } = await run('dbus-run-session', ['--', process.execPath, '--import', 'tsx', probe, testKey], {
        env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: home }
      })
      // The activated keyring daemon shares stdout and announces itself there: take the probe's JSON line.
      const line = stdout.split('\n').find((l) => l.startsWith('{')) ?? ''
      const result = JSON.parse(line) as Record<string, { ok: boolean; error?: { code: string; message: string } }>
      expect(result.set?.error?.code).toBe('keychain_unavailable')
      expect(result.set?.error?.message).toMatch(/login keyring is locked or does not exist\. Unlock it/)
      expect(stdout).not.toContain(testKey)
      expect(await filesContaining(home, testKey)).toEqual([])
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })

  it('leaves no copy of the key in any file of the data folder or the home folder', async () => {
    const keychain = createKeychain({ service: TEST_SERVICE, env: {} })
    await keychain.setKey('pixapi', testKey)
    await loadSettings(dataDir)
    await updateSettings(dataDir, { provider: { active: 'pixapi' }, jobs: { concurrency: 3 } })
    const history = openHistory(dataDir)
    // A keychain failure recorded on a request: its message is scrubbed of the key it was handling.
    const failure = keychainError(new Error(`denied while storing ${testKey}`), 'save the pixapi key', testKey)
    expect(failure.message).not.toContain(testKey)
    await history.append(makeRecord({ id: 'k1', status: 'failed', error: failure.data }))
    await history.append(makeRecord({ id: 'k2', endpoint: `https://generativelanguage.googleapis.com/v1beta/models/m:generateContent?key=${testKey}` }))
    await history.exportCsv()
    await history.close()

    expect(await filesUnder(dataDir)).not.toEqual([])
    expect(await filesContaining(dataDir, testKey)).toEqual([])
    expect(await filesContaining(process.env.HOME ?? '', testKey)).toEqual([])
  })
})
