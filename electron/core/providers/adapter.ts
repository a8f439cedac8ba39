import type { ProviderFacts, ProviderId } from '../../../shared/providers'
import type { Settings } from '../../../shared/settings'
import type { TimeoutOptions } from './http'
import type { RouteContext } from './shape'
import type { KeyCheck, RawResult } from './types'

/** What a key check gets: the base URL is already normalised and the key is not blank. */
export interface KeyTest {
  baseUrl: string
  apiKey: string
  signal?: AbortSignal
  timeouts?: Partial<TimeoutOptions>
}

/**
 * One provider as the main process sees it: the shared facts (label, default base URL, billing, async
 * support...) plus how to reach it. Request execution, the keychain, the jobs engine and the command line
 * ask this, so a provider is described in one place and nothing picks one by default.
 */
export interface ProviderAdapter extends ProviderFacts {
  id: ProviderId
  /** Environment variable that overrides the keychain entry, for scripts and CI. */
  keyEnvVar: string
  /** The version segment endpoints live under (`v1`), unless the base URL already ends in one. */
  apiVersion: string
  /** Environment variable the command line takes the base URL from, where the provider has one. */
  baseUrlEnvVar?: string
  /** The route the user chose in the settings, for providers that offer a choice; otherwise requests go "sync". */
  routeFromSettings?(settings: Settings): 'sync' | 'async'
  /** Sends one request and waits for its images (for "async", submits a task and polls it). */
  run(ctx: RouteContext, route: 'sync' | 'async'): Promise<RawResult>
  /** Polls a task submitted before a restart, by id, without submitting again; present when `asyncTasks`. */
  resume?(ctx: RouteContext, taskId: string): Promise<RawResult>
  /** The headers that carry a key: sent with requests, and with output downloads from the API's own origin. */
  authHeaders(apiKey: string): Record<string, string>
  /** The cheapest authenticated check the provider allows (never one that spends credits). */
  testKey(test: KeyTest): Promise<KeyCheck>
}
