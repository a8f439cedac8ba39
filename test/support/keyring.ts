import { tmpdir } from 'node:os'
import { relative, resolve } from 'node:path'

/** How to give the keychain tests a private Secret Service (the user's own keychain is never used). */
export const PRIVATE_KEYRING_RECIPE =
  'HOME=$(mktemp -d) dbus-run-session -- sh -c \'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ./node_modules/.bin/vitest run test/integration/keychain.test.ts\''

/**
 * The keychain tests write real secrets, so they run only against a throwaway keyring: a D-Bus session
 * must exist and HOME must be a temporary folder. Anything else fails loudly instead of passing quietly.
 */
export function requirePrivateSecretService(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error(`No D-Bus session bus, so no Secret Service for the keychain tests. Run them as: ${PRIVATE_KEYRING_RECIPE}`)
  }
  const home = env.HOME ?? ''
  const inTemp = home !== '' && !relative(resolve(tmpdir()), resolve(home)).startsWith('..')
  if (!inTemp) {
    throw new Error(`HOME (${home || 'unset'}) is not a throwaway folder: refusing to write test secrets to what may be a real keychain. Run: ${PRIVATE_KEYRING_RECIPE}`)
  }
}
