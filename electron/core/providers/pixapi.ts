import { z } from 'zod'
import { AppError } from '../../../shared/errors'
import { providerFacts } from '../../../shared/providers'
import type { ProviderAdapter } from './adapter'
import { badResponse, taskFailure } from './errors'
import { abortableSleep, requestIdFrom, send, withDeadline, type SendSpec } from './http'
import {
  bearer,
  creditsOf,
  hasUrlInput,
  imagesResponseSchema,
  inputsAsUrls,
  jsonBody,
  multipartBody,
  noteRequestId,
  outputsOf,
  parseBody,
  uploadSpec,
  type RouteContext
} from './shape'
import type { RawResult } from './types'
import type { UploadBody } from './upload'
import { apiUrl } from './urls'

/** The docs say "file or file[]" without naming the multi-image field; repeated `image` parts by default. */
const PIXAPI_IMAGE_FIELD = 'image'

const taskSchema = z.looseObject({
  id: z.string().min(1).max(200),
  status: z.string().optional(),
  request_id: z.string().optional()
})

const taskStatusSchema = z.looseObject({
  id: z.string().optional(),
  status: z.string().min(1),
  result: z.looseObject({ data: imagesResponseSchema.shape.data }).nullish(),
  error: z.unknown().optional(),
  costCredits: z.number().nonnegative().optional(),
  credits: z.number().nonnegative().optional()
})

function path(ctx: RouteContext, route: 'sync' | 'async'): string {
  const op = ctx.kind === 'edit' ? 'edits' : 'generations'
  return apiUrl(ctx.baseUrl, 'v1', `${route === 'async' ? 'async/' : ''}images/${op}`)
}

/** The request body, as documented: multipart for file edits, JSON for generations and URL inputs. */
async function bodyFor(ctx: RouteContext): Promise<UploadBody> {
  const { params } = ctx
  const fields = {
    model: ctx.model.id,
    prompt: ctx.prompt,
    n: params.n,
    size: params.size,
    // Assumption (docs/pixapi-contract.md): Gemini's aspect ratio goes as its own field, the size staying the tier.
    aspect_ratio: params.aspectRatio,
    quality: params.quality,
    response_format: params.responseFormat
  }
  if (ctx.kind === 'edit' && !hasUrlInput(ctx)) return multipartBody(ctx, fields, ctx.config.pixapiImageField ?? PIXAPI_IMAGE_FIELD)
  const json: Record<string, unknown> = { ...fields }
  if (ctx.kind === 'edit') {
    // Assumption (docs/pixapi-contract.md): URL and data-URL inputs go as JSON `image`, a string or an array.
    const urls = await inputsAsUrls(ctx)
    json.image = urls.length === 1 ? urls[0] : urls
  }
  return jsonBody(json)
}

async function runPixapiSync(ctx: RouteContext): Promise<RawResult> {
  const url = path(ctx, 'sync')
  ctx.trace.endpoint = url
  const { headers, body } = uploadSpec(ctx, await bodyFor(ctx))
  const res = await send(
    { provider: 'pixapi', method: 'POST', url, headers: { ...bearer(ctx.apiKey), accept: 'application/json', ...headers }, body, maxResponseBytes: ctx.maxResponseBytes, resend: 'retryable' },
    ctx.http
  )
  const parsed = parseBody(res, imagesResponseSchema, 'pixapi')
  noteRequestId(ctx, requestIdFrom(res.headers, parsed) ?? parsed.id)
  return { outputs: outputsOf(parsed.data), requestIds: ctx.trace.requestIds, credits: creditsOf(parsed) }
}

/**
 * Submits once (a repeated submit creates and may charge another task, so it is only re-sent when the
 * first never reached the server), reports the task id at once, then polls until done.
 */
async function runPixapiAsync(ctx: RouteContext): Promise<RawResult> {
  const url = path(ctx, 'async')
  ctx.trace.endpoint = url
  const { headers, body } = uploadSpec(ctx, await bodyFor(ctx))
  const res = await send(
    { provider: 'pixapi', method: 'POST', url, headers: { ...bearer(ctx.apiKey), accept: 'application/json', ...headers }, body, maxResponseBytes: 1024 * 1024, resend: 'when-not-sent' },
    ctx.http
  )
  const task = parseBody(res, taskSchema, 'pixapi')
  const requestId = requestIdFrom(res.headers, task)
  noteRequestId(ctx, requestId)
  ctx.trace.taskId = task.id
  ctx.onTaskSubmitted?.(task.id, requestId)
  ctx.progress({ stage: 'submitted', taskState: task.status ?? 'queued' })
  return pollPixapiTask(ctx, task.id)
}

/** Polls GET /v1/tasks/{id} with growing waits until completed or failed; any other state is "running". */
async function pollPixapiTask(ctx: RouteContext, taskId: string): Promise<RawResult> {
  ctx.trace.taskId = taskId
  const { timeouts } = ctx.http
  const minutes = Math.round(timeouts.taskMs / 6000) / 10
  const signal = withDeadline(ctx.http.signal, timeouts.taskMs, `Pixapi task ${taskId} did not finish within ${minutes} min. It may still complete: resume it later from the queue.`)
  const url = apiUrl(ctx.baseUrl, 'v1', `tasks/${encodeURIComponent(taskId)}`)
  if (!ctx.trace.endpoint) ctx.trace.endpoint = url
  let wait = timeouts.pollIntervalMs
  for (;;) {
    await abortableSleep(wait, signal)
    const pollAttempts: typeof ctx.http.attempts = []
    const spec: SendSpec = { provider: 'pixapi', method: 'GET', url, headers: { ...bearer(ctx.apiKey), accept: 'application/json' }, maxResponseBytes: 4 * 1024 * 1024, resend: 'retryable' }
    try {
      const res = await send(spec, { ...ctx.http, signal, attempts: pollAttempts })
      const status = parseBody(res, taskStatusSchema, 'pixapi')
      const state = status.status.toLowerCase()
      ctx.progress({ stage: 'polling', taskState: state, delayMs: wait })
      if (state === 'completed') {
        if (!status.result?.data.length) throw badResponse('pixapi', `Task ${taskId} completed without result images.`)
        return { outputs: outputsOf(status.result.data), requestIds: ctx.trace.requestIds, credits: creditsOf(status) }
      }
      if (state === 'failed') throw new AppError(taskFailure('pixapi', status.error, taskId, ctx.trace.requestIds[0]))
    } finally {
      // Successful polls are routine; only troubled ones belong in the record's attempt list.
      ctx.http.attempts.push(...pollAttempts.filter((a) => a.errorCode !== undefined))
    }
    wait = Math.min(timeouts.pollMaxIntervalMs, wait * 2)
  }
}

export const pixapiAdapter: ProviderAdapter = {
  id: 'pixapi',
  ...providerFacts.pixapi,
  apiVersion: 'v1',
  keyEnvVar: 'PIXAPI_KEY',
  baseUrlEnvVar: 'PIXAPI_BASE_URL',
  routeFromSettings: (settings) => settings.provider.pixapi.route,
  run: (ctx, route) => (route === 'async' ? runPixapiAsync(ctx) : runPixapiSync(ctx)),
  resume: pollPixapiTask,
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  testKey: async () => ({
    provider: 'pixapi',
    status: 'unknown',
    message: 'Pixapi has no endpoint to check a key without running a request; the first real request will tell.'
  })
}
