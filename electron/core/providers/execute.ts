import { randomUUID } from 'node:crypto'
import { assertRequestValid, capabilitiesFor, priceFor, type ModelEntry } from '../../../shared/catalog'
import { AppError, toAppErrorData, type AppErrorData } from '../../../shared/errors'
import { promptWithReferences } from '../../../shared/references'
import { providerNamesWhere, type ProviderId } from '../../../shared/providers'
import type { Attempt, Cost, RequestRecord } from '../../../shared/records'
import { bundledCatalog } from '../catalog'
import { scrubSecret } from './errors'
import { defaultRetry, defaultTimeouts, requestIdFrom, type SendContext } from './http'
import { collectOutputs, DEFAULT_MAX_OUTPUT_BYTES, type DownloadOptions } from './images'
import { isLoopback, prepareInputs, type PreparedInput } from './inputs'
import { assertKeyMayGo } from './key-origin'
import { providerAdapter } from './registry'
import type { RouteContext } from './shape'
import { apiRoot } from './urls'
import type { ExecuteOptions, ImageOutcome, ImageRequest, KeyCheck, OutputImage, RawResult } from './types'

/**
 * The base URL endpoints are joined to (see apiUrl). A trailing copy of the provider's own version
 * (`/v1`, Gemini's `/v1beta`, as such bases are often written) is dropped so it is not doubled; any
 * other path is kept as given. Plain http is allowed only on this computer: the key would otherwise
 * cross the network in clear text.
 */
export function normaliseBaseUrl(raw: string | undefined, provider: ProviderId): string {
  const { name, defaultBaseUrl, apiVersion } = providerAdapter(provider)
  const value = (raw?.trim() || defaultBaseUrl).replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new AppError({ code: 'validation', field: 'baseUrl', message: `The ${name} base URL "${value}" is not a valid URL (e.g. ${defaultBaseUrl}).` })
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new AppError({ code: 'validation', field: 'baseUrl', message: `The ${name} base URL must use https:// (http:// only for a server on this computer).` })
  }
  if (url.username || url.password || url.search) {
    throw new AppError({ code: 'validation', field: 'baseUrl', message: `The ${name} base URL must not contain credentials or a query string; the key is kept in the keychain.` })
  }
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.origin}${path.endsWith(`/${apiVersion}`) ? path.slice(0, -apiVersion.length - 1) : path}`
}

interface Prepared {
  request: ImageRequest
  model: ModelEntry
  inputs: PreparedInput[]
  baseUrl: string
  /** The prompt as it goes out: with references, the line naming each image comes first. */
  sentPrompt: string
}

/** Every check that can refuse the request, before a single byte is sent. `opened`: the inputs already looked at. */
async function prepare(request: ImageRequest, options: ExecuteOptions, opened?: PreparedInput[]): Promise<Prepared> {
  const catalog = options.catalog ?? bundledCatalog()
  const model = catalog.resolve(request.model, request.provider)
  const baseUrl = normaliseBaseUrl(options.baseUrl, request.provider)
  if (options.apiKey && options.keyOrigin) assertKeyMayGo(request.provider, options.keyOrigin, baseUrl)
  const inputs = opened ?? (await prepareInputs(request.inputs))
  const sentPrompt = request.kind === 'edit' ? promptWithReferences(request.prompt, request.inputs) : request.prompt
  assertRequestValid(model, {
    kind: request.kind,
    provider: request.provider,
    route: request.route,
    prompt: sentPrompt,
    params: request.params,
    inputs: inputs.map((i) => i.facts)
  })
  if (request.mask) assertMaskSendable(request, inputs)
  return { request, model, inputs, baseUrl, sentPrompt }
}

/** A mask part goes only with one uploaded file edit on a route that has the field. */
function assertMaskSendable(request: ImageRequest, inputs: PreparedInput[]): void {
  const refuse = (message: string) => {
    throw new AppError({ code: 'validation', field: 'mask', message })
  }
  if (request.kind !== 'edit') refuse('A mask only goes with an edit.')
  if (request.provider === 'gemini') refuse('Gemini has no mask parameter: masked edits to Gemini models send the masked region instead.')
  if (inputs.some((i) => i.source.source === 'url')) refuse('A mask cannot go with a web-address input; download the image and edit the file.')
}

/** Reported credits above this multiple of the catalog estimate are flagged for a look. */
const CREDITS_FLAG_FACTOR = 3

function costOf(p: Prepared, raw: RawResult | undefined, images: number): Cost {
  // Catalog prices are credits; providers billing by tokens charge their own account in money.
  if (providerAdapter(p.request.provider).billing !== 'credits') return { credits: 0, estimated: false, estimate: 0 }
  const { params } = p.request
  const estimate = priceFor(p.model, params.size, params.quality, Math.max(images, 0)) ?? 0
  if (raw?.credits !== undefined) {
    // The figure is recorded as reported (it is what the account was charged), but not silently.
    const aboveEstimate = estimate > 0 && raw.credits > estimate * CREDITS_FLAG_FACTOR
    return { credits: raw.credits, estimated: false, estimate, ...(aboveEstimate ? { aboveEstimate } : {}) }
  }
  return { credits: estimate, estimated: images > 0, estimate }
}

/**
 * At most n outputs are kept: a server that sends more does not decide how many files are written or
 * how many credits are estimated. The excess is counted for the record.
 */
function keepRequested(raw: RawResult, n: number): { raw: RawResult; discarded: number } {
  const limit = Math.max(1, n)
  if (raw.outputs.length <= limit) return { raw, discarded: 0 }
  return { raw: { ...raw, outputs: raw.outputs.slice(0, limit) }, discarded: raw.outputs.length - limit }
}

/** Downloads may carry the key only to the API's own origin; a loopback API (the sandbox) may point at loopback addresses. */
function downloadOptions(p: Prepared, apiKey: string | undefined): DownloadOptions {
  const base = new URL(p.baseUrl)
  const allowLoopback = isLoopback(base.hostname.replace(/^\[|\]$/g, ''))
  const headers = apiKey ? providerAdapter(p.request.provider).authHeaders(apiKey) : undefined
  return { policy: { allowLoopback }, auth: headers ? { origin: base.origin, headers } : undefined }
}

type Runner = (ctx: RouteContext) => Promise<RawResult>

/** Runs a route and always comes back with a full record: failures and cancellations included. */
async function runAndRecord(p: Prepared, options: ExecuteOptions, runner: Runner, initialTaskId?: string): Promise<ImageOutcome> {
  const { request } = p
  const startedAt = new Date()
  const t0 = performance.now()
  const attempts: Attempt[] = []
  const progress = options.onProgress ?? (() => {})
  let answered = false
  const http: SendContext = {
    signal: options.signal,
    retry: { ...defaultRetry, ...options.retry },
    timeouts: { ...defaultTimeouts, ...options.timeouts },
    attempts,
    onRetry: (attempt, delayMs, reason) => progress({ stage: 'retrying', attempt, delayMs, message: reason.message }),
    // A sync request's first success answer is its (charged) result: say so before its body is read, so
    // the caller can keep its request id even if everything after this point is lost.
    onResponseHead: (status, headers) => {
      if (request.route !== 'sync' || answered || status < 200 || status >= 300) return
      answered = true
      progress({ stage: 'answered', requestId: requestIdFrom(headers) })
    }
  }
  const ctx: RouteContext = {
    provider: request.provider,
    kind: request.kind,
    model: p.model,
    caps: capabilitiesFor(p.model, request.provider) ?? p.model.capabilities,
    prompt: p.sentPrompt,
    params: request.params,
    inputs: p.inputs,
    mask: request.mask,
    baseUrl: p.baseUrl,
    apiKey: options.apiKey,
    http,
    config: options.config ?? {},
    maxResponseBytes: Math.ceil((options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES) * 1.4) * Math.max(1, request.params.n),
    progress,
    onTaskSubmitted: options.onTaskSubmitted,
    trace: { endpoint: apiRoot(p.baseUrl, providerAdapter(request.provider).apiVersion), requestIds: [], taskId: initialTaskId }
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
  let discarded = 0
  let images: OutputImage[] = []
  let error: AppErrorData | undefined
  try {
    ;({ raw, discarded } = keepRequested(await runner(ctx), request.params.n))
    const links = linksOf(raw)
    progress({ stage: 'downloading', done: 0, total: raw.outputs.length, requestId: ctx.trace.requestIds.at(-1), ...(links ? { outputUrls: links } : {}) })
    images = await collectOutputs(raw, request.provider, http, options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, downloadOptions(p, options.apiKey), (done, total) =>
      progress({ stage: 'verifying', done, total })
    )
  } catch (err) {
    error = toAppErrorData(err)
    if (options.signal?.aborted && error.code !== 'timeout') error = { code: 'cancelled', message: 'Cancelled.' }
    if (error.code === 'internal') error = { ...error, message: `Unexpected failure talking to ${providerAdapter(request.provider).name}: ${error.message}` }
    error = scrubSecret({ ...error, requestId: error.requestId ?? ctx.trace.requestIds[0] }, options.apiKey)
  }

  // A cancel should come back at once; the record then goes without hashes still being computed.
  if (error?.code !== 'cancelled') await hashing
  // The provider answered with a result, so it charged: a download that failed afterwards does not undo that.
  const charged = !error || (error.code === 'download_failed' && raw !== undefined)
  const urls = raw && linksOf(raw)
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
    cost: costOf(p, charged ? raw : undefined, charged ? (raw?.outputs.length ?? 0) : 0),
    usage: raw?.usage ?? ctx.trace.usage,
    outputs: [],
    ...(discarded ? { outputsDiscarded: discarded } : {}),
    batchId: request.batchId,
    compareGroup: request.compareGroup,
    templateId: request.templateId,
    jobItemId: request.jobItemId
  }
  return { record, images: error ? [] : images, ...(charged && urls?.length ? { outputUrls: urls } : {}) }
}

/**
 * Turns one edit or generation request into verified images plus a complete record. Throws only an
 * AppError "validation" (before anything is sent); every later failure comes back as a record with
 * status "failed" or "cancelled". `record.outputs` is left for the caller, which writes the files.
 * `opened`: the request's inputs from prepareInputs, when the caller looked at them ahead of sending.
 */
export async function executeImageRequest(request: ImageRequest, options: ExecuteOptions = {}, opened?: PreparedInput[]): Promise<ImageOutcome> {
  const adapter = providerAdapter(request.provider)
  const prepared = await prepare(request, options, opened)
  return runAndRecord(prepared, options, (ctx) => adapter.run(ctx, request.route))
}

/**
 * Picks up an asynchronous task after a restart from its id alone: polls and downloads, never submits
 * again. `request` is the one originally submitted (for the record); it is validated but not re-sent.
 */
export async function resumeAsyncTask(taskId: string, request: ImageRequest, options: ExecuteOptions = {}): Promise<ImageOutcome> {
  const { resume } = providerAdapter(request.provider)
  if (!resume) {
    throw new AppError({ code: 'validation', field: 'provider', message: `Only ${providerNamesWhere((f) => f.asyncTasks)} tasks can be resumed; other routes answer in one request.` })
  }
  if (!taskId.trim()) throw new AppError({ code: 'validation', field: 'taskId', message: 'A task id is needed to resume.' })
  const prepared = await prepare({ ...request, route: 'async' }, options)
  return runAndRecord(prepared, options, (ctx) => resume(ctx, taskId), taskId)
}

/**
 * Fetches a paid result's images again from the output URLs its answer gave, under the same rules as the
 * first time (the key only to the API's own origin, the output URL policy, size caps): never a new request.
 */
export async function downloadResultAgain(request: ImageRequest, urls: readonly string[], options: ExecuteOptions = {}): Promise<OutputImage[]> {
  const catalog = options.catalog ?? bundledCatalog()
  const model = catalog.resolve(request.model, request.provider)
  const baseUrl = normaliseBaseUrl(options.baseUrl, request.provider)
  if (options.apiKey && options.keyOrigin) assertKeyMayGo(request.provider, options.keyOrigin, baseUrl)
  const p: Prepared = { request, model, inputs: [], baseUrl, sentPrompt: request.prompt }
  const http: SendContext = { signal: options.signal, retry: { ...defaultRetry, ...options.retry }, timeouts: { ...defaultTimeouts, ...options.timeouts }, attempts: [] }
  const raw: RawResult = { outputs: urls.map((url) => ({ url })), requestIds: [] }
  const progress = options.onProgress ?? (() => {})
  progress({ stage: 'downloading', done: 0, total: urls.length })
  return collectOutputs(raw, request.provider, http, options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, downloadOptions(p, options.apiKey), (done, total) =>
    progress({ stage: 'verifying', done, total })
  )
}

/** A cheap authenticated call where the provider has one (no credits spent). */
export async function testKey(provider: ProviderId, apiKey: string, baseUrl?: string, options: Pick<ExecuteOptions, 'signal' | 'timeouts' | 'keyOrigin'> = {}): Promise<KeyCheck> {
  const adapter = providerAdapter(provider)
  if (!apiKey.trim()) return { provider, status: 'invalid', message: `No ${adapter.name} key entered.` }
  const base = normaliseBaseUrl(baseUrl, provider)
  if (options.keyOrigin) assertKeyMayGo(provider, options.keyOrigin, base)
  return adapter.testKey({ baseUrl: base, apiKey, signal: options.signal, timeouts: options.timeouts })
}

/** The answer's image links, when every output is one: a paid result can be fetched again from them. */
function linksOf(raw: RawResult): string[] | undefined {
  if (!raw.outputs.length || !raw.outputs.every((o) => 'url' in o)) return undefined
  return raw.outputs.map((o) => (o as { url: string }).url)
}
