import { describe, expect, it } from 'vitest'
import { createKeychain, keychainError, KEYCHAIN_SERVICE } from '../../electron/core/keychain'
import { providerRegistry } from '../../electron/core/providers/registry'

/** The parts of the keychain that need no Secret Service: messages, validation, naming. */
describe('keychain errors and validation', () => {
  const message = (raw: string, secret?: string) => keychainError(new Error(raw), 'read the pixapi key', secret).message

  it('names what is missing and how to fix it for each failure the platforms report', () => {
    expect(message('Cannot autolaunch D-Bus without X11 $DISPLAY')).toMatch(/^Could not read the pixapi key: No D-Bus session bus is running.*dbus-run-session/)
    expect(message('Could not connect: No such file or directory')).toMatch(/No D-Bus session bus/)
    expect(message('The name org.freedesktop.secrets was not provided by any .service files')).toMatch(/No Secret Service is installed or running\. Install and start one: gnome-keyring/)
    expect(message('Object does not exist at path “/org/freedesktop/secrets/collection/login”')).toMatch(/login keyring is locked or does not exist/)
    expect(message('User interaction is not allowed.')).toMatch(/Access to the system keychain was denied/)
    expect(message("Cannot find module 'keytar'")).toMatch(/keytar\) could not be loaded.*libsecret/)
    expect(message('Something new')).toMatch(/The system keychain reported an error\..*System message: Something new/)
    for (const raw of ['Cannot autolaunch D-Bus without X11 $DISPLAY', 'Something new']) {
      expect(keychainError(new Error(raw), 'x')).toMatchObject({ code: 'keychain_unavailable' })
      expect(message(raw)).toMatch(/works with the Sandbox, and API keys are never stored in plain text/)
    }
  })

  it('scrubs the key from a system message that quotes it', () => {
    const text = message('failed to store sk_live_abcdefghijklmnop for Pixdesk', 'sk_live_abcdefghijklmnop')
    expect(text).not.toContain('sk_live_abcdefghijklmnop')
    expect(text).toContain('[key]')
  })

  it('refuses bad keys and unknown providers before touching any keychain, without quoting the key', async () => {
    const keychain = createKeychain({ env: {} })
    const long = 'k'.repeat(5000)
    const errors = await Promise.all([
      keychain.setKey('pixapi', '').catch((e: unknown) => e),
      keychain.setKey('openai', 'sk-abc\tdef').catch((e: unknown) => e),
      keychain.setKey('gemini', long).catch((e: unknown) => e),
      keychain.getKey('midjourney' as never).catch((e: unknown) => e)
    ])
    expect(errors.map((e) => (e as { message: string }).message)).toEqual([
      'The pixapi API key is empty. Nothing was saved.',
      'The openai API key contains spaces, line breaks or control characters (was more than the key pasted?). Nothing was saved.',
      'The gemini API key is longer than 4096 characters. Nothing was saved.',
      'Unknown provider "midjourney". Use one of: pixapi, openai, gemini.'
    ])
    expect(errors.every((e) => (e as { code: string }).code === 'validation')).toBe(true)
  })

  it('reports an environment key as such, with last 4 only for keys long enough', async () => {
    expect(KEYCHAIN_SERVICE).toBe('Pixdesk')
    expect(Object.fromEntries(Object.entries(providerRegistry).map(([id, adapter]) => [id, adapter.keyEnvVar]))).toEqual({ pixapi: 'PIXAPI_KEY', openai: 'OPENAI_API_KEY', gemini: 'GEMINI_API_KEY' })
    const keychain = createKeychain({ env: { PIXAPI_KEY: 'sk_env_0123456789abcd', OPENAI_API_KEY: 'short' } })
    expect(await keychain.status('pixapi')).toEqual({ provider: 'pixapi', set: true, source: 'environment', last4: 'abcd' })
    expect(await keychain.status('openai')).toEqual({ provider: 'openai', set: true, source: 'environment' })
    expect(await keychain.getKey('pixapi')).toBe('sk_env_0123456789abcd')
  })
})
