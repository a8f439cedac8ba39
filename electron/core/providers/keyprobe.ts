import { toAppErrorData } from '../../../shared/errors'
import { providerFacts, type ProviderId } from '../../../shared/providers'
import type { KeyTest } from './adapter'
import { safeHost, scrubSecret } from './errors'
import { defaultRetry, defaultTimeouts, parseJson, send } from './http'
import type { KeyCheck } from './types'

/**
 * Checks a key with one authenticated GET that costs nothing (a model list): a JSON answer means the key
 * was accepted, an auth error that it was not, anything else that the server could not tell us.
 */
export async function probeKeyWithGet(provider: ProviderId, url: string, authHeaders: Record<string, string>, test: KeyTest): Promise<KeyCheck> {
  const who = providerFacts[provider].name
  try {
    const res = await send(
      { provider, method: 'GET', url, headers: { ...authHeaders, accept: 'application/json' }, maxResponseBytes: 4 * 1024 * 1024, resend: 'retryable' },
      { signal: test.signal, retry: { ...defaultRetry, maxAttempts: 1 }, timeouts: { ...defaultTimeouts, headersMs: 20_000, ...test.timeouts }, attempts: [] }
    )
    if (parseJson(res.body) === undefined) return { provider, status: 'unreachable', message: `${safeHost(url)} answered, but not like the ${who} API. Check the base URL.` }
    return { provider, status: 'valid', message: `${who} accepted the key.` }
  } catch (err) {
    const data = scrubSecret(toAppErrorData(err), test.apiKey)
    const status = data.code === 'auth' ? 'invalid' : 'unreachable'
    return { provider, status, message: data.message, error: data }
  }
}
