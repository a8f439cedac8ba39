import { isProviderId, providerIds, unknownProviderError, type ProviderId } from '../../../shared/providers'
import type { ProviderAdapter } from './adapter'
import { geminiAdapter } from './gemini'
import { openaiAdapter } from './openai'
import { pixapiAdapter } from './pixapi'

/** Every provider's adapter. A new ProviderId without an entry here does not compile. */
export const providerRegistry: Record<ProviderId, ProviderAdapter> = {
  pixapi: pixapiAdapter,
  openai: openaiAdapter,
  gemini: geminiAdapter
}

/**
 * The adapter for a provider id. Ids also arrive from files and payloads the compiler never saw (an old
 * queue, a hand-edited settings file): an unknown one is refused by name, never sent somewhere else.
 */
export function providerAdapter(provider: ProviderId): ProviderAdapter {
  if (!isProviderId(provider)) throw unknownProviderError(provider)
  return providerRegistry[provider]
}

/** Every adapter, in the order of `providerIds`. */
export function allProviderAdapters(): ProviderAdapter[] {
  return providerIds.map((id) => providerRegistry[id])
}

/** The variables that override the keychain and the settings: every key, then every base URL. */
export function providerEnvironmentVariables(): string[] {
  const adapters = allProviderAdapters()
  return [...adapters.map((a) => a.keyEnvVar), ...adapters.flatMap((a) => (a.baseUrlEnvVar ? [a.baseUrlEnvVar] : []))]
}
