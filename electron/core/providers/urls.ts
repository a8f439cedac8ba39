import { version } from '../../../package.json'

/** Sent on every request, so gateways and provider support can tell Pixdesk's traffic apart. */
export const USER_AGENT = `Pixdesk/${version}`

/** A path segment that names an API version: v1, v3, v1beta, v1alpha2... */
const VERSION_SEGMENT = /^v\d+[a-z0-9]*$/i

/**
 * A full endpoint URL from a normalised base URL. A base that already ends in a version segment of its
 * own (an OpenAI-compatible gateway at `/api/v3`, Gemini's `/v1` instead of `/v1beta`) is used as given;
 * otherwise the provider's version is put in between, so no version is ever doubled.
 */
export function apiUrl(baseUrl: string, apiVersion: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, '')
  const last = new URL(base).pathname.split('/').filter(Boolean).at(-1) ?? ''
  const root = VERSION_SEGMENT.test(last) ? base : `${base}/${apiVersion}`
  return `${root}/${path.replace(/^\/+/, '')}`
}

/** The versioned root of an API, for records and messages. */
export function apiRoot(baseUrl: string, apiVersion: string): string {
  return apiUrl(baseUrl, apiVersion, '').replace(/\/$/, '')
}
