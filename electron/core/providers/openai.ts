import { providerFacts } from '../../../shared/providers'
import type { ProviderAdapter } from './adapter'
import { requestIdFrom, send } from './http'
import { probeKeyWithGet } from './keyprobe'
import {
  bearer,
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

/**
 * CreateImageEditRequest: one image is the `image` part (what the SDK sends and what gateways that read
 * only `image` expect); several go as repeated `image[]` parts.
 */
function openaiImageField(inputCount: number): string {
  return inputCount > 1 ? 'image[]' : 'image'
}

/** The GPT image fields, sent only when set (validation already refused those the model lacks). */
function fieldsFor(ctx: RouteContext): Record<string, string | number | undefined> {
  const p = ctx.params
  return {
    model: ctx.model.id,
    prompt: ctx.prompt,
    n: p.n,
    size: p.size,
    quality: p.quality,
    background: p.background,
    output_format: p.outputFormat,
    output_compression: p.outputCompression,
    input_fidelity: p.inputFidelity,
    response_format: p.responseFormat
  }
}

/** Images edits (multipart, or the JSON form with `images[].image_url` for URL inputs) and generations. */
async function runOpenAI(ctx: RouteContext): Promise<RawResult> {
  const url = apiUrl(ctx.baseUrl, 'v1', `images/${ctx.kind === 'edit' ? 'edits' : 'generations'}`)
  ctx.trace.endpoint = url
  const fields = fieldsFor(ctx)
  let upload: UploadBody
  if (ctx.kind === 'edit' && !hasUrlInput(ctx)) {
    upload = multipartBody(ctx, fields, ctx.config.openaiImageField ?? openaiImageField(ctx.inputs.length))
  } else {
    const json: Record<string, unknown> = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))
    if (ctx.kind === 'edit') json.images = (await inputsAsUrls(ctx)).map((image_url) => ({ image_url }))
    upload = jsonBody(json)
  }
  const { headers, body } = uploadSpec(ctx, upload)
  const res = await send(
    { provider: 'openai', method: 'POST', url, headers: { ...bearer(ctx.apiKey), accept: 'application/json', ...headers }, body, maxResponseBytes: ctx.maxResponseBytes, resend: 'retryable' },
    ctx.http
  )
  const parsed = parseBody(res, imagesResponseSchema, 'openai')
  noteRequestId(ctx, requestIdFrom(res.headers, parsed))
  return { outputs: outputsOf(parsed.data), requestIds: ctx.trace.requestIds, usage: parsed.usage }
}

export const openaiAdapter: ProviderAdapter = {
  id: 'openai',
  ...providerFacts.openai,
  apiVersion: 'v1',
  keyEnvVar: 'OPENAI_API_KEY',
  // One request answers every call: there is no task to submit or resume.
  run: (ctx) => runOpenAI(ctx),
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  testKey: (test) => probeKeyWithGet('openai', apiUrl(test.baseUrl, 'v1', 'models'), { authorization: `Bearer ${test.apiKey}` }, test)
}
