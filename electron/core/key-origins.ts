import { join } from 'node:path'
import { z } from 'zod'
import { providerIds, type ProviderId } from '../../shared/providers'
import type { Settings } from '../../shared/settings'
import type { Dialogs } from './dialogs'
import { readJsonFile, writeJsonAtomic } from './atomic'
import type { Keychain } from './keychain'
import { normaliseBaseUrl } from './providers/execute'
import { originOf, type BoundKey } from './providers/key-origin'
import { providerAdapter } from './providers/registry'

const FILE = 'key-origins.json'
const storedSchema = z.partialRecord(z.enum(providerIds), z.string().url()).catch({})

/**
 * Where each keychain key may be sent, kept beside the settings (the keys themselves stay in the
 * keychain). A key with no entry is bound to the provider's default address: an origin is only ever
 * widened by the user saving the key, confirming a new address, or typing --trust-base-url.
 */
export interface KeyOrigins {
  /** The key requests should use, with the origin it is bound to; null when there is none. */
  boundKey(provider: ProviderId): Promise<BoundKey | null>
  /** The origin the keychain key is bound to (the default address when none was recorded). */
  keychainOrigin(provider: ProviderId): string
  /** Binds the keychain key to the origin of `baseUrl` (normalised; default address when empty). */
  bind(provider: ProviderId, baseUrl: string | undefined): Promise<void>
  /** Whether a key for `provider` comes from the environment rather than the keychain. */
  fromEnvironment(provider: ProviderId): boolean
}

export async function openKeyOrigins(dataDir: string, env: NodeJS.ProcessEnv, keychain: Keychain): Promise<KeyOrigins> {
  const file = join(dataDir, FILE)
  const read = await readJsonFile(file)
  let stored: Partial<Record<ProviderId, string>> = read.kind === 'ok' ? storedSchema.parse(read.value) : {}
  const defaultOrigin = (provider: ProviderId) => originOf(normaliseBaseUrl(undefined, provider))
  const envKey = (provider: ProviderId) => env[providerAdapter(provider).keyEnvVar]?.trim() || undefined

  /** A key from the environment goes where the environment says beside it, else to the default address. */
  const environmentOrigin = (provider: ProviderId) => {
    const envVar = providerAdapter(provider).baseUrlEnvVar
    const beside = envVar ? env[envVar]?.trim() : undefined
    return originOf(normaliseBaseUrl(beside || undefined, provider))
  }
  const origins: KeyOrigins = {
    keychainOrigin: (provider) => stored[provider] ?? defaultOrigin(provider),
    fromEnvironment: (provider) => envKey(provider) !== undefined,
    async boundKey(provider) {
      const fromEnv = envKey(provider)
      if (fromEnv) return { value: fromEnv, origin: environmentOrigin(provider) }
      const value = await keychain.getKey(provider)
      return value ? { value, origin: origins.keychainOrigin(provider) } : null
    },
    async bind(provider, baseUrl) {
      stored = { ...stored, [provider]: originOf(normaliseBaseUrl(baseUrl, provider)) }
      await writeJsonAtomic(file, stored)
    }
  }
  return origins
}

/**
 * After a settings change from the window: for each provider whose base URL moved to an origin its
 * keychain key is not bound to, the user is asked in a native dialog that names the new host. Only a
 * yes moves the key; otherwise it stays bound where it was and requests there are refused until the key
 * is entered again. An unreadable keychain means there is no key to move.
 */
export async function confirmMovedKeys(
  before: Settings,
  after: Settings,
  deps: { keychain: Keychain; keyOrigins: KeyOrigins; dialogs: Dialogs }
): Promise<void> {
  for (const provider of providerIds) {
    const next = after.provider.baseUrls[provider]
    if (next === before.provider.baseUrls[provider]) continue
    let origin: string
    try {
      origin = originOf(normaliseBaseUrl(next, provider))
    } catch {
      continue
    }
    // A key from the environment is bound where the environment says; no answer here can move it.
    if (origin === deps.keyOrigins.keychainOrigin(provider) || deps.keyOrigins.fromEnvironment(provider)) continue
    const stored = await deps.keychain.getKey(provider).catch(() => null)
    if (!stored) continue
    const { name } = providerAdapter(provider)
    const host = new URL(origin).host
    const yes = await deps.dialogs.confirm({
      message: `Send your ${name} key to ${host}?`,
      detail: `The ${name} base URL was changed to ${origin}. Your stored ${name} key was saved for ${new URL(deps.keyOrigins.keychainOrigin(provider)).host}. Only allow this if you set up ${host} yourself; otherwise the key stays where it was and is not sent.`,
      confirmLabel: `Send key to ${host}`,
      cancelLabel: 'Keep key where it was'
    })
    if (yes) await deps.keyOrigins.bind(provider, next)
  }
}
