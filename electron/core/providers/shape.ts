import { z } from 'zod'
import type { Capabilities, ModelEntry } from '../../../shared/catalog'
import type { ProviderId, RequestParams } from '../../../shared/records'
import { badResponse } from './errors'
import { parseJson, requestIdFrom, type HttpResponse, type SendContext, type SendSpec } from './http'
import { inputBytes, inputParts, mimeOf, type PreparedInput } from './inputs'
import type { ProgressEvent, ProviderConfig, RawResult } from './types'
import { bytesBody, multipartUpload, uploadMeter, type BodyPart, type UploadBody } from './upload'

/** Everything a route needs for one request; routes fill in endpoint, request ids and task id as they go. */
export interface RouteContext {
  provider: ProviderId
  kind: 'edit' | 'generate'
  model: ModelEntry
  caps: Capabilities
  prompt: string
  params: RequestParams
  inputs: PreparedInput[]
  /** The mask part (RGBA PNG, transparent = edit), for models that take one. */
  mask?: Buffer
  baseUrl: string
  apiKey?: string
  http: SendContext
  config: ProviderConfig
  maxResponseBytes: number
  progress: (e: ProgressEvent) => void
  onTaskSubmitted?: (taskId: string, requestId?: string) => void
  trace: { endpoint: string; requestIds: string[]; taskId?: string; usage?: Record<string, unknown> }
}

export function noteRequestId(ctx: RouteContext, id: string | undefined): void {
  if (id && !ctx.trace.requestIds.includes(id)) ctx.trace.requestIds.push(id)
}

const imageDataSchema = z
  .looseObject({ url: z.string().min(1).optional(), b64_json: z.string().min(1).optional() })
  .refine((d) => d.url !== undefined || d.b64_json !== undefined, 'each data item needs url or b64_json')

/**
 * OpenAI's ImagesResponse, which Pixapi's sync responses follow. Only `created` is required by the
 * spec; `data` may be missing (then there are no images, which collectOutputs reports as such) and
 * extra fields are kept, not required.
 */
export const imagesResponseSchema = z.looseObject({
  created: z.number().optional(),
  data: z.array(imageDataSchema).default([]),
  id: z.string().optional(),
  request_id: z.string().optional(),
  costCredits: z.number().nonnegative().optional(),
  credits: z.number().nonnegative().optional(),
  usage: z.record(z.string(), z.unknown()).optional()
})
export type ImagesResponse = z.infer<typeof imagesResponseSchema>

export function outputsOf(data: ImagesResponse['data'] | undefined): RawResult['outputs'] {
  return (data ?? []).map((d) => (d.b64_json !== undefined ? { b64: d.b64_json } : { url: d.url as string }))
}

/** Parses a JSON body with a schema; a mismatch is a bad_response naming the first bad field. */
export function parseBody<T extends z.ZodType>(res: HttpResponse, schema: T, provider: ProviderId): z.output<T> {
  const json = parseJson(res.body)
  const requestId = requestIdFrom(res.headers, json)
  if (json === undefined) {
    throw badResponse(provider, `Its answer (HTTP ${res.status}) is not valid JSON.`, { status: res.status, requestId })
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw badResponse(provider, `Its answer does not have the expected shape (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'}).`, {
      status: res.status,
      requestId
    })
  }
  return parsed.data
}

/** Credits the response says were charged, under any of the names Pixapi's pages use. */
export function creditsOf(body: ImagesResponse | Record<string, unknown>): number | undefined {
  const b = body as Record<string, unknown>
  const usage = b.usage as Record<string, unknown> | undefined
  for (const v of [b.costCredits, b.credits, usage?.credits]) if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  return undefined
}

/** Multipart body with one file part per input, each streamed from disk when its turn comes. */
export function multipartBody(ctx: RouteContext, fields: Record<string, string | number | undefined>, imageField: string): UploadBody {
  const files = ctx.inputs.map((input) => ({ field: imageField, fileName: input.fileName, type: mimeOf(input), parts: inputParts(input) as BodyPart[] }))
  if (ctx.mask) files.push({ field: 'mask', fileName: 'mask.png', type: 'image/png', parts: [ctx.mask] })
  return multipartUpload(fields, files)
}

/** A JSON body, sent with its length and byte progress like any upload (inline images make it large). */
export function jsonBody(value: unknown): UploadBody {
  return bytesBody(Buffer.from(JSON.stringify(value)), 'application/json')
}

/**
 * The headers and per-attempt body for an upload: each attempt reports its own bytes from 0 (a retry
 * sends everything again), with the attempt number, so the count restarts visibly.
 */
export function uploadSpec(ctx: RouteContext, upload: UploadBody): Pick<SendSpec, 'headers' | 'body'> {
  return {
    headers: { 'content-type': upload.contentType, 'content-length': String(upload.length) },
    body: (attempt) => upload.stream(uploadMeter(ctx.progress, attempt, upload.length))
  }
}

/** The JSON form of an edit: URLs as given, data URLs as given, files as data URLs (bounded by the catalog limits). */
export async function inputsAsUrls(ctx: RouteContext): Promise<string[]> {
  return Promise.all(
    ctx.inputs.map(async (input) => {
      const src = input.source
      if (src.source === 'url') return src.url
      if (src.source === 'data') return src.dataUrl
      return `data:${mimeOf(input)};base64,${(await inputBytes(input)).toString('base64')}`
    })
  )
}

export function bearer(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {}
}

export const hasUrlInput = (ctx: RouteContext) => ctx.inputs.some((i) => i.source.source === 'url')
