import { AppError } from '../../../shared/errors'
import type { ProviderId } from '../../../shared/providers'
import { providerAdapter } from './registry'

/**
 * A key together with the only origin it may be sent to: the address it was saved or confirmed for (or,
 * from the environment, the base URL given beside it). Whoever controls a setting cannot redirect it.
 */
export interface BoundKey {
  value: string
  origin: string
}

/** "https://api.openai.com" for any base URL on that scheme, host and port. */
export function originOf(baseUrl: string): string {
  return new URL(baseUrl).origin
}

function hostOf(origin: string): string {
  return new URL(origin).host
}

/**
 * The one check before a key is attached to a request: the request's base URL must be on the origin the
 * key is bound to. Refused before a byte is sent, as an auth error that names both addresses.
 */
export function assertKeyMayGo(provider: ProviderId, keyOrigin: string, baseUrl: string): void {
  if (originOf(baseUrl) === keyOrigin) return
  const { name } = providerAdapter(provider)
  throw new AppError({
    code: 'auth',
    field: 'keyOrigin',
    message: `The stored ${name} key was saved for ${hostOf(keyOrigin)}; the base URL now points at ${hostOf(originOf(baseUrl))}. Re-enter the key for that address or confirm it in Settings. Nothing was sent.`
  })
}
