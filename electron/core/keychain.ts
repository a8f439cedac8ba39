import { AppError, untrustedText, type AppErrorData } from '../../shared/errors'
import { providerIds, type ProviderId } from '../../shared/providers'
import { providerAdapter } from './providers/registry'

/**
 * API keys live in the operating system's keychain (Keychain on macOS, Credential Manager on Windows,
 * the Secret Service on Linux), one entry per provider under the service "Pixdesk". Only the main
 * process and the CLI hold a key; everything else sees KeyStatus, which never carries it. There is no
 * plaintext fallback: when the keychain cannot be reached the error says what to fix.
 */
export const KEYCHAIN_SERVICE = 'Pixdesk'

export type KeySource = 'keychain' | 'environment'

export interface KeyStatus {
  provider: ProviderId
  set: boolean
  source: KeySource | null
  /** Last four characters, for recognising which key is set; only for keys long enough not to give much away. */
  last4?: string
  /** Why the keychain could not be asked (status never throws, so a settings page can always render). */
  error?: AppErrorData
}

/** The storage the keychain needs; keytar's shape, so another binding can be dropped in here. */
export interface SecretStore {
  getPassword(service: string, account: string): Promise<string | null>
  setPassword(service: string, account: string, password: string): Promise<void>
  deletePassword(service: string, account: string): Promise<boolean>
}

export interface Keychain {
  /** The key requests should use: the environment override, else the keychain entry, else null. */
  getKey(provider: ProviderId): Promise<string | null>
  /** Stores or replaces the key in the keychain. */
  setKey(provider: ProviderId, key: string): Promise<void>
  /** Removes the keychain entry; true when there was one. */
  deleteKey(provider: ProviderId): Promise<boolean>
  status(provider: ProviderId): Promise<KeyStatus>
  statusAll(): Promise<KeyStatus[]>
}

export interface KeychainOptions {
  env?: NodeJS.ProcessEnv
  service?: string
  /** Defaults to keytar, loaded on first use so a missing native module is a clear error, not a crash. */
  store?: SecretStore
}

const MIN_LENGTH_FOR_LAST4 = 12
const MAX_KEY_LENGTH = 4096

export function createKeychain(options: KeychainOptions = {}): Keychain {
  const env = options.env ?? process.env
  const service = options.service ?? KEYCHAIN_SERVICE
  let store = options.store

  const getStore = (): SecretStore => {
    if (store) return store
    try {
      // Required lazily: keytar is a native addon, and the app must still start (sandbox) when it cannot load.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      store = require('keytar') as SecretStore
      return store
    } catch (err) {
      throw keychainError(err, 'load the keychain module')
    }
  }

  // The variables (each adapter's keyEnvVar) override the keychain for scripts and CI.
  const fromEnv = (provider: ProviderId): string | null => {
    const value = env[providerAdapter(provider).keyEnvVar]?.trim()
    return value ? value : null
  }

  const call = async <T>(action: string, run: (s: SecretStore) => Promise<T>, secret?: string): Promise<T> => {
    const s = getStore()
    try {
      return await run(s)
    } catch (err) {
      throw keychainError(err, action, secret)
    }
  }

  const keychain: Keychain = {
    async getKey(provider) {
      assertProvider(provider)
      return fromEnv(provider) ?? (await call(`read the ${provider} key`, (s) => s.getPassword(service, provider)))
    },

    async setKey(provider, key) {
      assertProvider(provider)
      const clean = validateKey(provider, key)
      await call(`save the ${provider} key`, (s) => s.setPassword(service, provider, clean), clean)
    },

    async deleteKey(provider) {
      assertProvider(provider)
      return call(`delete the ${provider} key`, (s) => s.deletePassword(service, provider))
    },

    async status(provider) {
      assertProvider(provider)
      const envKey = fromEnv(provider)
      if (envKey) return describe(provider, envKey, 'environment')
      try {
        const stored = await call(`read the ${provider} key`, (s) => s.getPassword(service, provider))
        return stored ? describe(provider, stored, 'keychain') : { provider, set: false, source: null }
      } catch (err) {
        const error = err instanceof AppError ? err.data : keychainError(err, 'read the key').data
        return { provider, set: false, source: null, error }
      }
    },

    async statusAll() {
      const all: KeyStatus[] = []
      // One after another: Secret Service prompts and macOS access dialogs must not pile up.
      for (const provider of providerIds) all.push(await keychain.status(provider))
      return all
    }
  }
  return keychain
}

function describe(provider: ProviderId, key: string, source: KeySource): KeyStatus {
  return key.length >= MIN_LENGTH_FOR_LAST4
    ? { provider, set: true, source, last4: key.slice(-4) }
    : { provider, set: true, source }
}

/** Refuses an id no adapter knows (it arrives from payloads and files the compiler never saw). */
function assertProvider(provider: ProviderId): void {
  providerAdapter(provider)
}

/** Messages about a rejected key describe it, never quote it. */
function validateKey(provider: ProviderId, key: string): string {
  const clean = typeof key === 'string' ? key.trim() : ''
  const problem =
    clean.length === 0
      ? 'is empty'
      : clean.length > MAX_KEY_LENGTH
        ? `is longer than ${MAX_KEY_LENGTH} characters`
        : // eslint-disable-next-line no-control-regex
          /[\s\u0000-\u001f\u007f]/.test(clean)
          ? 'contains spaces, line breaks or control characters (was more than the key pasted?)'
          : null
  if (problem) {
    throw new AppError({ code: 'validation', field: 'key', message: `The ${provider} API key ${problem}. Nothing was saved.` })
  }
  return clean
}

const SANDBOX_HINT = 'Until then Pixdesk works with the Sandbox, and API keys are never stored in plain text instead.'

/**
 * Maps what the platform keychain library threw to one error with the cause and the fix. The raw text is
 * kept (shortened, with the key scrubbed) because the exact system message helps support.
 */
export function keychainError(err: unknown, action: string, secret?: string): AppError {
  const raw = err instanceof Error ? err.message : String(err)
  let detail = untrustedText(raw, 200)
  if (secret) detail = detail.split(secret).join('[key]')
  const lower = raw.toLowerCase()

  let cause: string
  if (/cannot autolaunch d-bus|could not connect|dbus_session_bus_address|failed to connect to socket|unable to autolaunch/.test(lower)) {
    cause =
      'No D-Bus session bus is running, so the Secret Service (the system keychain) cannot be reached. Log in to a desktop session, or start one for this shell (e.g. `dbus-run-session -- pixdesk ...`) with gnome-keyring-daemon or another Secret Service running and unlocked.'
  } else if (/serviceunknown|was not provided by any \.service files|org\.freedesktop\.secrets/.test(lower)) {
    cause =
      'No Secret Service is installed or running. Install and start one: gnome-keyring (apt install gnome-keyring), KWallet, or KeePassXC with its Secret Service integration enabled.'
  } else if (/collection\/login|object does not exist|is locked|locked|no such secret collection/.test(lower)) {
    cause =
      'The login keyring is locked or does not exist. Unlock it (log in again, or open Passwords and Keys / Seahorse and unlock "Login"), or create a default keyring, then try again.'
  } else if (/cancel|denied|not allowed|user interaction is not allowed|authorization|access/.test(lower)) {
    cause =
      'Access to the system keychain was denied. Allow Pixdesk when the keychain asks (on macOS: Keychain Access → the "Pixdesk" entry → Access Control), then try again.'
  } else if (/cannot find module|was compiled against|invalid elf|dlopen|libsecret/.test(lower)) {
    cause =
      'The keychain module (keytar) could not be loaded. Reinstall Pixdesk; on Linux make sure libsecret-1 is installed (apt install libsecret-1-0).'
  } else {
    cause = 'The system keychain reported an error.'
  }
  // No `cause`: the raw error object is not scrubbed, and errors end up in logs and crash reports.
  return new AppError({
    code: 'keychain_unavailable',
    message: `Could not ${action}: ${cause} ${SANDBOX_HINT} (System message: ${detail || 'none'})`
  })
}
