import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request, type Dispatcher } from 'undici'
import { AppError, untrustedText, type AppErrorData } from '../../../shared/errors'
import type { Attempt, ProviderId } from '../../../shared/records'
import { providerFacts } from '../../../shared/providers'
import { httpError, RETRYABLE_STATUSES, safeHost, TransportError, transportError } from './errors'
import { USER_AGENT } from './urls'

export interface RetryOptions {
  /** Total tries including the first. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  jitterMs: number
  /** A Retry-After longer than this is not waited out here; the error carries it for the queue instead. */
  maxRetryAfterMs: number
}

export interface TimeoutOptions {
  connectMs: number
  /** Until the response headers arrive: image models take a while, so this is generous. */
  headersMs: number
  /** Longest silence while a body streams, either way. */
  bodyMs: number
  pollIntervalMs: number
  pollMaxIntervalMs: number
  /** Overall limit for an async task, from submission to completion. */
  taskMs: number
  /**
   * Overall limits per stage of one try, whatever the server does: sending the body, then receiving
   * the whole answer, and fetching one output. A body that trickles a byte now and then never trips
   * bodyMs, so these are what bound it.
   */
  uploadMs: number
  answerMs: number
  downloadMs: number
}

export const defaultRetry: RetryOptions = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 8000, jitterMs: 250, maxRetryAfterMs: 60_000 }
export const defaultTimeouts: TimeoutOptions = {
  connectMs: 15_000,
  headersMs: 300_000,
  bodyMs: 120_000,
  pollIntervalMs: 1000,
  pollMaxIntervalMs: 8000,
  taskMs: 15 * 60_000,
  uploadMs: 10 * 60_000,
  answerMs: 10 * 60_000,
  downloadMs: 5 * 60_000
}

/** An error answer is read this far at most: enough for any provider's message, never a flood. */
const MAX_ERROR_BODY_BYTES = 64 * 1024

/** What undici sends: async iterables are streamed as they yield (undici takes them; its types omit them). */
type Body = NonNullable<Dispatcher.RequestOptions['body']> | AsyncIterable<Uint8Array>

export interface SendSpec {
  provider: ProviderId
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  /** Builds the body afresh for each attempt (1-based): a streamed file can only be read once. */
  body?: (attempt: number) => Body | Promise<Body>
  maxResponseBytes: number
  /**
   * "when-not-sent": repeat only when the request never reached the server (a non-idempotent submit);
   * "retryable": also after retryable statuses and broken connections.
   */
  resend: 'retryable' | 'when-not-sent'
  /** Hand 3xx responses back (downloads follow them after checking the target); otherwise they fail. */
  returnRedirects?: boolean
  /** "download": one overall deadline (downloadMs); otherwise upload, then answer deadlines. */
  stage?: 'request' | 'download'
  /** Connections for this request (output downloads use one that checks resolved addresses). */
  dispatcher?: Dispatcher
}

export interface SendContext {
  signal?: AbortSignal
  retry: RetryOptions
  timeouts: TimeoutOptions
  attempts: Attempt[]
  /** Called before each try after the first, with the wait about to happen. */
  onRetry?: (attempt: number, delayMs: number, reason: AppErrorData) => void
  /** Called as soon as a response's status and headers arrive, before its body is read. */
  onResponseHead?: (status: number, headers: Record<string, string>) => void
}

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
}

const agents = new Map<number, Agent>()
/** One keep-alive pool per connect timeout, so consecutive requests reuse their connections. */
function agentFor(connectMs: number): Agent {
  let agent = agents.get(connectMs)
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: connectMs } })
    agents.set(connectMs, agent)
  }
  return agent
}

function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  return out
}

/** Retry-After in ms from `retry-after-ms`, or `retry-after` as seconds or an HTTP date. */
export function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | undefined {
  const ms = Number(headers['retry-after-ms'])
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return ms
  const value = headers['retry-after']?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** A request id from the headers or the JSON body, whichever the provider uses. */
export function requestIdFrom(headers: Record<string, string>, body?: unknown): string | undefined {
  const fromHeader = headers['x-request-id'] ?? headers['request-id']
  if (fromHeader) return untrustedText(fromHeader, 200) || undefined
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>
    for (const key of ['request_id', 'requestId', 'responseId']) {
      if (typeof b[key] === 'string') return untrustedText(b[key], 200) || undefined
    }
  }
  return undefined
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

/** Reads a response body without ever holding more than `max` bytes. */
export async function readCapped(res: Dispatcher.ResponseData, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) {
    res.body.destroy()
    throw new AppError({ code: 'bad_response', status: res.statusCode, message: `${what} is ${declared} bytes, over the ${max}-byte limit.` })
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length
    if (size > max) {
      res.body.destroy()
      throw new AppError({ code: 'bad_response', status: res.statusCode, message: `${what} exceeded the ${max}-byte limit.` })
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks, size)
}

/** Reads at most `max` bytes of a body and drops the rest: for error answers, whose start is what matters. */
async function readPrefix(res: Dispatcher.ResponseData, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    const piece = (chunk as Buffer).subarray(0, max - size)
    chunks.push(piece)
    size += piece.length
    if (size >= max) break
  }
  res.body.destroy()
  return Buffer.concat(chunks, size)
}

/** Yields the body as given and says when its last byte has been taken. */
async function* watchedBody(body: AsyncIterable<Uint8Array>, onSent: () => void): AsyncIterable<Uint8Array> {
  yield* body
  onSent()
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`

/**
 * The stage deadlines of one try as an AbortSignal whose reason is the timeout error: the upload has
 * uploadMs, then the whole answer answerMs; a download has downloadMs for everything.
 */
function stageDeadlines(spec: SendSpec, timeouts: TimeoutOptions) {
  const controller = new AbortController()
  const host = safeHost(spec.url)
  const who = providerFacts[spec.provider].name
  let timer: NodeJS.Timeout | undefined
  const arm = (ms: number, message: string) => {
    clearTimeout(timer)
    timer = setTimeout(() => controller.abort(new AppError({ code: 'timeout', retryable: true, providerCode: 'STAGE_DEADLINE', message })), ms)
  }
  const answering = () =>
    arm(timeouts.answerMs, `${who} (${host}) did not finish answering within ${seconds(timeouts.answerMs)}; the answer was cut off. Raise the timeout in Settings for very large images.`)
  if (spec.stage === 'download') arm(timeouts.downloadMs, `Downloading an output from ${host} did not finish within ${seconds(timeouts.downloadMs)}.`)
  else if (spec.body) arm(timeouts.uploadMs, `The upload to ${who} (${host}) did not finish within ${seconds(timeouts.uploadMs)}.`)
  else answering()
  return { signal: controller.signal, uploaded: () => spec.stage !== 'download' && answering(), clear: () => clearTimeout(timer) }
}

/** One try. Throws TransportError on network trouble; any HTTP status is returned as is. */
async function sendOnce(spec: SendSpec, ctx: Pick<SendContext, 'signal' | 'timeouts' | 'onResponseHead'>, attempt = 1): Promise<HttpResponse> {
  const deadlines = stageDeadlines(spec, ctx.timeouts)
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadlines.signal]) : deadlines.signal
  try {
    let res: Dispatcher.ResponseData
    try {
      let body = spec.body ? await spec.body(attempt) : undefined
      if (body && typeof body === 'object' && Symbol.asyncIterator in body && !(body instanceof Uint8Array)) {
        body = watchedBody(body as AsyncIterable<Uint8Array>, deadlines.uploaded)
      } else if (body !== undefined) deadlines.uploaded()
      res = await request(spec.url, {
        method: spec.method,
        headers: { 'user-agent': USER_AGENT, ...spec.headers },
        body: body as Dispatcher.RequestOptions['body'],
        signal,
        dispatcher: spec.dispatcher ?? agentFor(ctx.timeouts.connectMs),
        headersTimeout: ctx.timeouts.headersMs,
        bodyTimeout: ctx.timeouts.bodyMs
      })
    } catch (err) {
      if (err instanceof AppError) throw err
      throw transportError(err, spec.provider, spec.url, signal)
    }
    try {
      ctx.onResponseHead?.(res.statusCode, flatHeaders(res.headers))
      const failed = res.statusCode >= 300
      const body = failed ? await readPrefix(res, Math.min(MAX_ERROR_BODY_BYTES, spec.maxResponseBytes)) : await readCapped(res, spec.maxResponseBytes, 'The response')
      return { status: res.statusCode, headers: flatHeaders(res.headers), body }
    } catch (err) {
      if (err instanceof AppError) throw err
      throw transportError(err, spec.provider, spec.url, signal)
    }
  } finally {
    deadlines.clear()
  }
}

function backoff(attempt: number, retry: RetryOptions): number {
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)) + Math.random() * retry.jitterMs
}

export async function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch (err) {
    const reason: unknown = signal?.reason
    if (reason instanceof AppError) throw reason
    throw new AppError({ code: 'cancelled', message: 'Cancelled.' }, { cause: err })
  }
}

/**
 * Sends with retries: network errors and 408/429/500/502/503/504 are tried again with exponential backoff
 * and jitter (Retry-After wins when the server gives one); every try is logged in ctx.attempts. Resolves
 * with a 2xx response, otherwise throws an AppError carrying status, provider code and request id.
 */
export async function send(spec: SendSpec, ctx: SendContext): Promise<HttpResponse> {
  for (let attempt = 1; ; attempt++) {
    const startedAt = new Date()
    const t0 = performance.now()
    const log = (status: number | undefined, errorCode: string | undefined, requestId: string | undefined) =>
      ctx.attempts.push({ startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - t0), status, errorCode, requestId })

    let failure: AppErrorData
    let mayRepeat: boolean
    try {
      const res = await sendOnce(spec, ctx, attempt)
      const json = res.status >= 300 ? parseJson(res.body) : undefined
      const requestId = requestIdFrom(res.headers, json)
      if ((res.status >= 200 && res.status < 300) || (spec.returnRedirects && res.status >= 300 && res.status < 400)) {
        log(res.status, undefined, requestId)
        return res
      }
      const wait = retryAfterMs(res.headers)
      failure =
        res.status < 400
          ? { code: 'bad_response', status: res.status, requestId, message: `Unexpected redirect (HTTP ${res.status}) from ${new URL(spec.url).host}; check the base URL.` }
          : httpError(spec.provider, res.status, json ?? res.body.toString('utf8'), requestId, wait)
      log(res.status, failure.code, requestId)
      mayRepeat = spec.resend === 'retryable' && RETRYABLE_STATUSES.has(res.status)
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      log(undefined, err.code, undefined)
      if (err.code === 'cancelled' || ctx.signal?.aborted) throw err
      failure = err.data
      mayRepeat = err instanceof TransportError && err.data.retryable === true && (spec.resend === 'retryable' || !err.sent)
      if (!mayRepeat) throw err
    }
    const waitMs = failure.retryAfterMs ?? backoff(attempt, ctx.retry)
    if (!mayRepeat || attempt >= ctx.retry.maxAttempts || waitMs > ctx.retry.maxRetryAfterMs) throw new AppError(failure)
    ctx.onRetry?.(attempt + 1, waitMs, failure)
    await abortableSleep(waitMs, ctx.signal)
  }
}

/** An AbortSignal that fires on the caller's cancel or after `ms`, with a timeout error as its reason. */
export function withDeadline(signal: AbortSignal | undefined, ms: number, message: string): AbortSignal {
  const timeout = new AbortController()
  const timer = setTimeout(() => timeout.abort(new AppError({ code: 'timeout', retryable: true, message })), ms)
  timer.unref()
  return signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal
}
