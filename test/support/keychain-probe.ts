/**
 * Runs keychain calls in a process whose environment the test chose (for example with no D-Bus at all)
 * and prints what came back as JSON:  node --import tsx keychain-probe.ts <key>
 */
import { createKeychain } from '../../electron/core/keychain'
import { toAppErrorData } from '../../shared/errors'

async function main(): Promise<void> {
  const key = process.argv[2] ?? ''
  const keychain = createKeychain({ env: {} })
  const attempt = async (run: () => Promise<unknown>) => {
    try {
      return { ok: true, value: await run() }
    } catch (err) {
      return { ok: false, error: toAppErrorData(err) }
    }
  }
  const result = {
    set: await attempt(() => keychain.setKey('pixapi', key)),
    get: await attempt(() => keychain.getKey('pixapi')),
    status: await attempt(() => keychain.status('pixapi'))
  }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
