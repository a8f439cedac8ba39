import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, type CliResult } from '../support/cli-process'

/**
 * `pixdesk key` against the real Secret Service of the session the test runner provides (npm test runs
 * vitest inside a private D-Bus session with an unlocked throwaway keyring), and the exit code 3 path
 * when no keychain can be reached.
 */

const hasSession = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS)
let home: string

// Standard input is always a pipe: `key set` reads the key from it.
const run = (args: string[], input = '', env: Record<string, string> = {}): Promise<CliResult> => runCli(args, { home, input, env })

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pixdesk-cli-keys-'))
})

afterAll(async () => {
  await rm(home, { recursive: true, force: true })
})

describe.skipIf(!hasSession)('pixdesk key, in the session keyring', () => {
  const key = 'sk_cli_test_key_7h3s3cr3t'

  it('set reads the key from standard input, status shows only its last four characters, delete removes it', async () => {
    await run(['key', 'delete', '--provider', 'openai'])
    const set = await run(['key', 'set', '--provider', 'openai', '--json'], `${key}\n`)
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout + set.stderr).not.toContain(key)

    const status = await run(['key', 'status', '--json'])
    expect(status.code).toBe(0)
    const openai = status.events.find((l) => l.provider === 'openai')
    expect(openai).toMatchObject({ type: 'key', set: true, source: 'keychain', last4: key.slice(-4) })
    expect(status.stdout).not.toContain(key)

    // The environment variable wins over the keychain entry, and says so.
    const env = await run(['key', 'status', '--provider', 'openai', '--json'], '', { OPENAI_API_KEY: 'sk_from_environment_0000' })
    expect(env.events[0]).toMatchObject({ source: 'environment', last4: '0000' })

    const del = await run(['key', 'delete', '--provider', 'openai', '--json'])
    expect(del.code).toBe(0)
    expect(del.events[0]).toMatchObject({ deleted: true })
    const after = await run(['key', 'status', '--provider', 'openai', '--json'])
    expect(after.events[0]).toMatchObject({ set: false })
  })

  it('refuses an empty key or a bad provider with exit 2, saving nothing', async () => {
    const empty = await run(['key', 'set', '--provider', 'gemini'], '\n')
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/No gemini key on standard input/)
    const bad = await run(['key', 'set', '--provider', 'acme'], `${key}\n`)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--provider "acme" is not a provider/)
    const status = await run(['key', 'status', '--provider', 'gemini', '--json'])
    expect(status.events[0]).toMatchObject({ set: false })
  })
})

describe('pixdesk key without a reachable keychain', () => {
  it('exits 3 with the cause and the fix', async () => {
    const r = await run(['key', 'status'], '', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/pixdesk-test-bus' })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/Could not read the pixapi key/)
  })
})
