import { AppError, untrustedText, type ApiErrorCode, type AppErrorData } from '../../../shared/errors'
import { providerFacts, type ProviderId } from '../../../shared/providers'

/** HTTP statuses worth another attempt; everything else (400/401/402/404/422...) is final. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * A failure of the transport itself. `sent` says whether the request may have reached the server:
 * a non-idempotent submit (Pixapi async tasks charge per task) is only repeated when it was not.
 */
export class TransportError extends AppError {
  constructor(
    data: AppErrorData,
    readonly sent: boolean,
    options?: { cause?: unknown }
  ) {
    super(data, options)
    this.name = 'TransportError'
  }
}

/**
 * Transport error codes raised before any byte of the request left this machine (no connection, or a
 * TLS handshake refused). Only these make a non-idempotent submit safe to repeat: a reset after
 * connecting may have reached the server.
 */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID'
])

export function isNotSent(code: string | undefined): boolean {
  return code !== undefined && NOT_SENT_CODES.has(code)
}

/** Maps an undici/Node network error to the taxonomy; the URL's host is named, never its credentials. */
export function transportError(err: unknown, provider: ProviderId, url: string, signal: AbortSignal | undefined): TransportError {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } }
  const code = e?.code ?? e?.cause?.code ?? ''
  const host = safeHost(url)
  const who = providerFacts[provider].name
  if (signal?.aborted || e?.name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    const reason: unknown = signal?.reason
    if (reason instanceof AppError && reason.code === 'timeout') return new TransportError(reason.data, true, { cause: err })
    return new TransportError({ code: 'cancelled', message: 'Cancelled.' }, true, { cause: err })
  }
  const sent = !isNotSent(code)
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TransportError({ code: 'timeout', retryable: true, providerCode: code, message: `Could not connect to ${who} (${host}) in time. Check the network and try again.` }, false, { cause: err })
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TransportError({ code: 'timeout', retryable: true, providerCode: code, message: `${who} (${host}) stopped answering before the response finished. Try again; raise the timeout in Settings for large images.` }, true, { cause: err })
  }
  const detail = untrustedText(e?.message ?? String(err), 160)
  return new TransportError(
    {
      code: 'network',
      retryable: true,
      providerCode: code || undefined,
      message: sent
        ? `The connection to ${who} (${host}) broke: ${detail}. Check the network and try again.`
        : `Could not reach ${who} (${host}): ${detail}. Check the network, the base URL and any proxy.`
    },
    sent,
    { cause: err }
  )
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return 'the server'
  }
}

/** The parts of the many error-body shapes (OpenAI, Pixapi, Gemini, proxies) that matter. */
export interface ErrorBodyFacts {
  message?: string
  code?: string
  type?: string
  status?: string
  /** Google's ErrorInfo reasons from error.details (e.g. API_KEY_INVALID). */
  reasons?: string[]
}

export function errorBodyFacts(body: unknown): ErrorBodyFacts {
  // Codes and reasons reach people and records as they are: plain text only, like the message.
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? untrustedText(v, 300) || undefined : undefined)
  if (!body || typeof body !== 'object') return {}
  const b = body as Record<string, unknown>
  const inner = b.error
  if (inner && typeof inner === 'object') {
    const e = inner as Record<string, unknown>
    const details = Array.isArray(e.details) ? (e.details as unknown[]) : []
    const reasons = details.map((d) => (d && typeof d === 'object' ? text((d as Record<string, unknown>).reason) : undefined)).filter((r): r is string => !!r)
    return { message: text(e.message), code: text(e.code), type: text(e.type), status: text(e.status), reasons }
  }
  if (typeof inner === 'string') return { message: inner, code: text(b.code), type: text(b.type) }
  return { message: text(b.message) ?? text(b.detail), code: text(b.code), type: text(b.type) }
}

/** A Map, not an object: the keys come from a server, and "toString" or "__proto__" must not find Object's own members. */
const codeByProviderCode = new Map<string, ApiErrorCode>(Object.entries({
  insufficient_credits: 'insufficient_credits',
  insufficient_quota: 'insufficient_credits',
  billing_hard_limit_reached: 'insufficient_credits',
  payment_required: 'insufficient_credits',
  moderation_blocked: 'prompt_rejected',
  content_policy_violation: 'prompt_rejected',
  prompt_rejected: 'prompt_rejected',
  model_not_found: 'not_found',
  invalid_api_key: 'auth',
  unauthorized: 'auth',
  PERMISSION_DENIED: 'auth',
  UNAUTHENTICATED: 'auth',
  RESOURCE_EXHAUSTED: 'rate_limited',
  rate_limited: 'rate_limited',
  rate_limit_exceeded: 'rate_limited',
  UNAVAILABLE: 'unavailable',
  model_unavailable: 'unavailable',
  DEADLINE_EXCEEDED: 'timeout',
  NOT_FOUND: 'not_found',
  INVALID_ARGUMENT: 'validation',
  FAILED_PRECONDITION: 'validation',
  invalid_request_error: 'validation',
  invalid_request: 'validation',
  API_KEY_INVALID: 'auth',
  API_KEY_SERVICE_BLOCKED: 'auth'
} satisfies Record<string, ApiErrorCode>))

function codeForStatus(status: number): ApiErrorCode {
  if (status === 400 || status === 413 || status === 415) return 'validation'
  if (status === 401 || status === 403) return 'auth'
  if (status === 402) return 'insufficient_credits'
  if (status === 404) return 'not_found'
  if (status === 408 || status === 504) return 'timeout'
  if (status === 422) return 'prompt_rejected'
  if (status === 429) return 'rate_limited'
  if (status === 503) return 'unavailable'
  if (status >= 500) return 'server'
  return 'bad_response'
}

const advice: Record<ApiErrorCode, (who: string) => string> = {
  validation: (who) => `${who} refused the request as invalid`,
  auth: (who) => `${who} refused the API key. Check the key in Settings`,
  insufficient_credits: (who) => `Not enough credits on the ${who} account. Top up in ${who}'s billing page, then retry`,
  prompt_rejected: (who) => `${who} rejected the prompt or image under its content policy. Rephrase the prompt or use another image`,
  not_found: (who) => `${who} does not know this model or resource. Check the model id`,
  rate_limited: (who) => `${who} is limiting the request rate. Wait a little, or lower the concurrency`,
  unavailable: (who) => `${who} or this model is temporarily unavailable. Try again in a few minutes`,
  server: (who) => `${who} had an internal error. Try again`,
  network: (who) => `The connection to ${who} failed`,
  timeout: (who) => `${who} took too long to answer`,
  bad_response: (who) => `${who} sent a response the app cannot use`,
  download_failed: (who) => `${who} answered, but an output image could not be downloaded. Retry downloads it again without a new request`,
  cancelled: () => 'Cancelled'
}

/** A plain sentence for people, with the provider's own (untrusted, shortened) words appended. */
export function describe(code: ApiErrorCode, provider: ProviderId, serverText?: string): string {
  const base = advice[code](providerFacts[provider].name)
  const said = serverText ? untrustedText(serverText, 240) : ''
  return said ? `${base}. ${providerFacts[provider].name} said: "${said}"` : `${base}.`
}

/** The most telling code: a named one over a bare number that only repeats the HTTP status. */
function providerCodeOf(facts: ErrorBodyFacts): string | undefined {
  const named = facts.code && !/^\d+$/.test(facts.code) ? facts.code : undefined
  return facts.reasons?.[0] ?? named ?? facts.status ?? facts.type ?? facts.code
}

/** An HTTP error response as AppErrorData: status and body code decide the taxonomy code. */
export function httpError(
  provider: ProviderId,
  status: number,
  body: unknown,
  requestId: string | undefined,
  retryAfterMs: number | undefined
): AppErrorData {
  const facts = errorBodyFacts(body)
  const byBody = [...(facts.reasons ?? []), facts.code, facts.status, facts.type].map((c) => (c ? codeByProviderCode.get(c) : undefined)).find(Boolean)
  let code = codeForStatus(status)
  // The body's code is more specific than the status, except that a retryable status stays retryable.
  if (byBody && !(RETRYABLE_STATUSES.has(status) && byBody === 'validation')) code = byBody
  if (status === 400 && (facts.code === 'moderation_blocked' || facts.code === 'content_policy_violation')) code = 'prompt_rejected'
  return {
    code,
    status,
    message: `${describe(code, provider, facts.message)} (HTTP ${status})`,
    providerCode: providerCodeOf(facts),
    requestId,
    retryable: RETRYABLE_STATUSES.has(status),
    retryAfterMs
  }
}

/** A task that ended in "failed": its own error code decides the taxonomy, "server" when it names none. */
export function taskFailure(provider: ProviderId, error: unknown, taskId: string, requestId: string | undefined): AppErrorData {
  const facts = errorBodyFacts({ error: error ?? {} })
  const byBody = [facts.code, facts.status, facts.type].map((c) => (c ? codeByProviderCode.get(c) : undefined)).find(Boolean)
  const code = byBody ?? 'server'
  return {
    code,
    message: `${describe(code, provider, facts.message)} (task ${taskId} failed)`,
    providerCode: facts.code ?? facts.type,
    requestId,
    retryable: code === 'server' || code === 'unavailable' || code === 'rate_limited'
  }
}

export function badResponse(provider: ProviderId, what: string, extra: Partial<AppErrorData> = {}): AppError {
  return new AppError({ code: 'bad_response', ...extra, message: `${describe('bad_response', provider)} ${what}` })
}

/** Last line of defence: the key must not survive into any message, even if a server echoed it. */
export function scrubSecret<T extends AppErrorData>(data: T, secret: string | undefined): T {
  if (!secret || secret.length < 4) return data
  const scrub = (s: string | undefined) => (s === undefined ? s : s.split(secret).join('[api key]'))
  return { ...data, message: scrub(data.message) ?? '', providerCode: scrub(data.providerCode) }
}
