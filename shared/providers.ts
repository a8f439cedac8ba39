import { z } from 'zod'
import { AppError, untrustedText } from './errors'

/**
 * The providers Pixdesk sends requests to, and the plain facts about each that both processes use.
 * An id is stored in records, settings and the queue file, so an id is never renamed. How requests are
 * actually sent lives in the main process (electron/core/providers/registry.ts), which builds on these.
 */
export const providerIds = ['pixapi', 'openai', 'gemini'] as const
export const providerIdSchema = z.enum(providerIds)
export type ProviderId = z.infer<typeof providerIdSchema>

export interface ProviderFacts {
  /** How a sentence names it: "OpenAI refused the API key". */
  name: string
  /** How pickers, key rows and the history show it; "(direct)" sets it apart from Pixapi serving the same models. */
  label: string
  /** The origin `/v1/...` is appended to unless the user sets another. */
  defaultBaseUrl: string
  /** "credits": catalog prices apply (Pixapi credits); "tokens": the provider bills its own account in money, which the app does not price. */
  billing: 'credits' | 'tokens'
  /** Offers asynchronous tasks (submit, then poll by id), which a restart can pick up again. */
  asyncTasks: boolean
  /** Fetches web-URL inputs itself; otherwise every image travels inside the request. */
  urlInputs: boolean
  /** The built-in sandbox server implements this provider's API, so it can be tried without a key. */
  sandboxed: boolean
  /** The model a fresh settings file picks for this provider. */
  defaultModel: string
  /** Requests in flight at once for this provider in a fresh settings file. */
  defaultConcurrency: number
}

export const providerFacts: Record<ProviderId, ProviderFacts> = {
  pixapi: {
    name: 'Pixapi',
    label: 'Pixapi',
    defaultBaseUrl: 'https://api.pixapi.ai',
    billing: 'credits',
    asyncTasks: true,
    urlInputs: true,
    sandboxed: true,
    defaultModel: 'gemini-2.5-flash-image',
    defaultConcurrency: 2
  },
  openai: {
    name: 'OpenAI',
    label: 'OpenAI (direct)',
    defaultBaseUrl: 'https://api.openai.com',
    billing: 'tokens',
    asyncTasks: false,
    urlInputs: true,
    sandboxed: false,
    defaultModel: 'gpt-image-1.5',
    defaultConcurrency: 2
  },
  gemini: {
    name: 'Gemini',
    label: 'Google Gemini (direct)',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    billing: 'tokens',
    asyncTasks: false,
    urlInputs: false,
    sandboxed: false,
    defaultModel: 'gemini-2.5-flash-image',
    defaultConcurrency: 2
  }
}

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (providerIds as readonly string[]).includes(value)
}

/**
 * The one error for a provider id nothing knows (a hand-edited file, an old queue, a bad payload):
 * requests never quietly go to another provider instead.
 */
export function unknownProviderError(value: unknown): AppError {
  return new AppError({
    code: 'validation',
    field: 'provider',
    message: `Unknown provider "${untrustedText(value, 40)}". Use one of: ${providerIds.join(', ')}.`
  })
}

/** Facts for an id that may come from outside the type system; an unknown id throws, never falls back. */
export function factsOf(provider: ProviderId): ProviderFacts {
  if (!isProviderId(provider)) throw unknownProviderError(provider)
  return providerFacts[provider]
}

/** "Pixapi", "Pixapi or OpenAI": the providers (among some) with a trait, as a sentence names them. */
export function providerNamesWhere(has: (facts: ProviderFacts) => boolean, among: readonly string[] = providerIds): string {
  return among
    .filter((p): p is ProviderId => isProviderId(p) && has(providerFacts[p]))
    .map((p) => providerFacts[p].name)
    .join(' or ')
}

/** One value per provider, in the order of `providerIds`. */
export function perProvider<T>(valueFor: (provider: ProviderId) => T): Record<ProviderId, T> {
  return Object.fromEntries(providerIds.map((provider) => [provider, valueFor(provider)])) as Record<ProviderId, T>
}

export const defaultBaseUrls: Record<ProviderId, string> = perProvider((p) => providerFacts[p].defaultBaseUrl)

/** An http(s) base address without credentials or a query string (keys never travel in URLs). */
export const baseUrlSchema = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value)
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.search
    } catch {
      return false
    }
  }, 'must be an http(s) address without credentials or query string, e.g. https://api.pixapi.ai')
  // One spelling per address, so "https://host/" and "https://host" compare equal.
  .transform((value) => value.replace(/\/+$/, ''))
