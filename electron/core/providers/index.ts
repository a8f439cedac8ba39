import { randomUUID } from 'node:crypto'
import { assertRequestValid, capabilitiesFor, priceFor, type ModelEntry } from '../../../shared/catalog'
import { AppError, toAppErrorData, type AppErrorData } from '../../../shared/errors'
import type { Attempt, Cost, ProviderId, RequestRecord } from '../../../shared/records'
import { bundledCatalog } from '../catalog'
import { providerNames, safeHost, scrubSecret } from './errors'
import { GEMINI_BASE_URL, runGemini } from './gemini'
import { defaultRetry, defaultTimeouts, parseJson, send, type SendContext } from './http'
import { collectOutputs, DEFAULT_MAX_OUTPUT_BYTES } from './images'
import { isLoopback, prepareInputs, type PreparedInput } from './inputs'
import { OPENAI_BASE_URL, runOpenAI } from './openai'
import { PIXAPI_BASE_URL, pollPixapiTask, runPixapiAsync, runPixapiSync } from './pixapi'
import type { RouteContext } from './shape'
import type { ExecuteOptions, ImageOutcome, ImageRequest, OutputImage, RawResult } from './types'

export type { ExecuteOptions, ImageInput, ImageOutcome, ImageRequest, OutputImage, ProgressEvent, ProviderConfig } from './types'
export type { RetryOptions, TimeoutOptions } from './http'
export { PIXAPI_IMAGE_FIELD } from './pixapi'
export { OPENAI_IMAGE_FIELD } from './openai'

export const defaultBaseUrls: Record<ProviderId, string> = { pixapi: PIXAPI_BASE_URL, openai: OPENAI_BASE_URL, gemini: GEMINI_BASE_URL }

/**
 * The base URL `/v1/...` is appended to. A trailing `/v1` (as OpenAI-compatible proxies are often
 * written) is dropped so it is not doubled. Plain http is allowed only on this computer: the key would
 * otherwise cross the network in clear text.
 */
export function normaliseBaseUrl(raw: string | undefined, provider: ProviderId): string {
  const value = (raw?.trim() || defaultBaseUrls[provider]).replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new AppError({ code: 'validation', field: 'baseUrl', message: `The ${providerNames[provider]} base URL "${value}" is not a valid URL (e.g. ${defaultBaseUrls[provider]}).` })
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new AppError({ code: 'validation', field: 'baseUrl', message: `The ${providerNames[provider]} base URL must use https:// (http:// only for a server on this computer).` })
  }
  if (url.username || url.password || url.search) {
    throw new AppError({ code: 'validation', field: 'baseUrl', message: `The ${providerNames[provider]} base URL must not contain credentials or a query string; the key is kept in the keychain.` })
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}`
}

interface Prepared {
  request: ImageRequest
  model: ModelEntry
  inputs: PreparedInput[]
  baseUrl: string
}

/** Every check that can refuse the request, before a single byte is sent. */
async function prepare(request: ImageRequest, options: ExecuteOptions): Promise<Prepared> {
  const catalog = options.catalog ?? bundledCatalog()
  const model = catalog.resolve(request.model, request.provider)
  const baseUrl = normaliseBaseUrl(options.baseUrl, request.provider)
  const inputs = await prepareInputs(request.inputs)
  assertRequestValid(model, {
    kind: request.kind,
    provider: request.provider,
    route: request.route,
    prompt: request.prompt,
    params: request.params,
    inputs: inputs.map((i) => i.facts)
  })
  return { request, model, inputs, baseUrl }
}

function costOf(p: Prepared, raw: RawResult | undefined, images: number): Cost {
  // Catalog prices are Pixapi credits; direct OpenAI/Gemini calls are billed by those providers in money.
  if (p.request.provider !== 'pixapi') return { credits: 0, estimated: false, estimate: 0 }
  const { params } = p.request
  const estimate = priceFor(p.model, params.size, params.quality, Math.max(images, 0)) ?? 0
  if (raw?.credits !== undefined) return { credits: raw.credits, estimated: false, estimate }
  return { credits: estimate, estimated: images > 0, estimate }
}

type Runner = (ctx: RouteContext) => Promise<RawResult>

/** Runs a route and always comes back with a full record: failures and cancellations included. */
async function runAndRecord(p: Prepared, options: ExecuteOptions, runner: Runner, initialTaskId?: string): Promise<ImageOutcome> {
  const { request } = p
  const startedAt = new Date()
  const t0 = performance.now()
  const attempts: Attempt[] = []
  const progress = options.onProgress ?? (() => {})
  const http: SendContext = {
    signal: options.signal,
    retry: { ...defaultRetry, ...options.retry },
    timeouts: { ...defaultTimeouts, ...options.timeouts },
    attempts,
    onRetry: (attempt, delayMs, reason) => progress({ stage: 'retrying', attempt, delayMs, message: reason.message })
  }
  const ctx: RouteContext = {
    provider: request.provider,
    kind: request.kind,
    model: p.model,
    caps: capabilitiesFor(p.model, request.provider) ?? p.model.capabilities,
    prompt: request.prompt,
    params: request.params,
    inputs: p.inputs,
    baseUrl: p.baseUrl,
    apiKey: options.apiKey,
    http,
    config: options.config ?? {},
    maxResponseBytes: Math.ceil((options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES) * 1.4) * Math.max(1, request.params.n),
    progress,
    onTaskSubmitted: options.onTaskSubmitted,
    trace: { endpoint: `${p.baseUrl}/v1`, requestIds: [], taskId: initialTaskId }
  }

  // Inputs the caller gave no hash for are hashed while the request is in flight: only the record needs it.
  const hashing = Promise.all(
    p.inputs.map((input) =>
      input.hash?.().then(
        (sha256) => void (input.record.sha256 = sha256),
        () => undefined
      )
    )
  )
  let raw: RawResult | undefined
  let images: OutputImage[] = []
  let error: AppErrorData | undefined
  try {
    raw = await runner(ctx)
    progress({ stage: 'downloading', done: 0, total: raw.outputs.length })
    images = await collectOutputs(raw, request.provider, http, options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, (done, total) =>
      progress({ stage: 'verifying', done, total })
    )
  } catch (err) {
    error = toAppErrorData(err)
    if (options.signal?.aborted && error.code !== 'timeout') error = { code: 'cancelled', message: 'Cancelled.' }
    if (error.code === 'internal') error = { ...error, message: `Unexpected failure talking to ${providerNames[request.provider]}: ${error.message}` }
    error = scrubSecret({ ...error, requestId: error.requestId ?? ctx.trace.requestIds[0] }, options.apiKey)
  }

  // A cancel should come back at once; the record then goes without hashes still being computed.
  if (error?.code !== 'cancelled') await hashing
  const endpoint = ctx.trace.endpoint.split('?')[0] ?? ctx.trace.endpoint
  const record: RequestRecord = {
    id: randomUUID(),
    kind: request.kind,
    provider: request.provider,
    sandbox: request.sandbox ?? false,
    route: request.route,
    endpoint,
    model: p.model.id,
    params: request.params,
    prompt: request.prompt,
    inputs: p.inputs.map((i) => i.record),
    requestIds: [...ctx.trace.requestIds],
    taskId: ctx.trace.taskId,
    attempts,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    latencyMs: Math.round(performance.now() - t0),
    status: error ? (error.code === 'cancelled' ? 'cancelled' : 'failed') : 'succeeded',
    error,
    cost: costOf(p, error ? undefined : raw, error ? 0 : images.length),
    usage: raw?.usage ?? ctx.trace.usage,
    outputs: [],
    batchId: request.batchId,
    compareGroup: request.compareGroup,
    templateId: request.templateId,
    jobItemId: request.jobItemId
  }
  return { record, images: error ? [] : images }
}

function routeFor(request: ImageRequest): Runner {
  if (request.provider === 'openai') return runOpenAI
  if (request.provider === 'gemini') return runGemini
  return request.route === 'async' ? runPixapiAsync : runPixapiSync
}

/**
 * Turns one edit or generation request into verified images plus a complete record. Throws only an
 * AppError "validation" (before anything is sent); every later failure comes back as a record with
 * status "failed" or "cancelled". `record.outputs` is left for the caller, which writes the files.
 */
export async function executeImageRequest(request: ImageRequest, options: ExecuteOptions = {}): Promise<ImageOutcome> {
  const prepared = await prepare(request, options)
  return runAndRecord(prepared, options, routeFor(request))
}

/**
 * Picks up a Pixapi task after a restart from its id alone: polls and downloads, never submits again.
 * `request` is the one originally submitted (for the record); it is validated but not re-sent.
 */
export async function resumeAsyncTask(taskId: string, request: ImageRequest, options: ExecuteOptions = {}): Promise<ImageOutcome> {
  if (request.provider !== 'pixapi') {
    throw new AppError({ code: 'validation', field: 'provider', message: 'Only Pixapi tasks can be resumed; other routes answer in one request.' })
  }
  if (!taskId.trim()) throw new AppError({ code: 'validation', field: 'taskId', message: 'A task id is needed to resume.' })
  const prepared = await prepare({ ...request, route: 'async' }, options)
  return runAndRecord(prepared, options, (ctx) => pollPixapiTask(ctx, taskId), taskId)
}

export interface KeyCheck {
  provider: ProviderId
  /** "unknown": the provider has no cheap authenticated call; the first real request will tell. */
  status: 'valid' | 'invalid' | 'unknown' | 'unreachable'
  message: string
  error?: AppErrorData
}

/** A cheap authenticated call where the provider has one (no credits spent). */
export async function testKey(provider: ProviderId, apiKey: string, baseUrl?: string, options: Pick<ExecuteOptions, 'signal' | 'timeouts'> = {}): Promise<KeyCheck> {
  const who = providerNames[provider]
  if (!apiKey.trim()) return { provider, status: 'invalid', message: `No ${who} key entered.` }
  const base = normaliseBaseUrl(baseUrl, provider)
  if (provider === 'pixapi') {
    return { provider, status: 'unknown', message: 'Pixapi has no endpoint to check a key without running a request; the first real request will tell.' }
  }
  const url = provider === 'openai' ? `${base}/v1/models` : `${base}/v1beta/models`
  const headers: Record<string, string> = provider === 'openai' ? { authorization: `Bearer ${apiKey}` } : { 'x-goog-api-key': apiKey }
  try {
    const res = await send(
      { provider, method: 'GET', url, headers: { ...headers, accept: 'application/json' }, maxResponseBytes: 4 * 1024 * 1024, resend: 'retryable' },
      { signal: options.signal, retry: { ...defaultRetry, maxAttempts: 1 }, timeouts: { ...defaultTimeouts, headersMs: 20_000, ...options.timeouts }, attempts: [] }
    )
    if (parseJson(res.body) === undefined) return { provider, status: 'unreachable', message: `${safeHost(url)} answered, but not like the ${who} API. Check the base URL.` }
    return { provider, status: 'valid', message: `${who} accepted the key.` }
  } catch (err) {
    const data = scrubSecret(toAppErrorData(err), apiKey)
    const status = data.code === 'auth' ? 'invalid' : 'unreachable'
    return { provider, status, message: data.message, error: data }
  }
}
