import { z } from 'zod'
import { AppError, untrustedText } from '../../../shared/errors'
import { parseSize } from '../../../shared/catalog'
import { providerFacts } from '../../../shared/providers'
import type { ProviderAdapter } from './adapter'
import { badResponse, describe } from './errors'
import { requestIdFrom, send } from './http'
import { inputBytes, mimeOf } from './inputs'
import { probeKeyWithGet } from './keyprobe'
import { jsonBody, noteRequestId, parseBody, uploadSpec, type RouteContext } from './shape'
import type { RawResult } from './types'
import { apiUrl } from './urls'

const ASPECT_RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9']
/** Finish reasons that mean the model refused on policy grounds, not that something broke. */
const POLICY_FINISH = new Set(['SAFETY', 'PROHIBITED_CONTENT', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII', 'RECITATION', 'IMAGE_RECITATION'])

const inlineSchema = z.looseObject({ mimeType: z.string().optional(), mime_type: z.string().optional(), data: z.string() })
const partSchema = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  inlineData: inlineSchema.optional(),
  inline_data: inlineSchema.optional()
})
const responseSchema = z.looseObject({
  candidates: z
    .array(
      z.looseObject({
        content: z.looseObject({ parts: z.array(partSchema).optional() }).optional(),
        finishReason: z.string().optional(),
        finishMessage: z.string().optional()
      })
    )
    .optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional(), blockReasonMessage: z.string().optional() }).optional(),
  usageMetadata: z.record(z.string(), z.unknown()).optional(),
  responseId: z.string().optional(),
  modelVersion: z.string().optional()
})

/** Pixdesk's size vocabulary in Gemini's: imageSize from the long edge, aspectRatio from WxH when it is a listed ratio. */
export function imageConfigFor(size: string | undefined, aspectRatio: string | undefined, namedSizes: boolean): Record<string, string> {
  const config: Record<string, string> = {}
  if (aspectRatio) config.aspectRatio = aspectRatio
  if (!size || size === 'auto') return config
  const wh = parseSize(size)
  if (wh && !aspectRatio) {
    const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a)
    const g = gcd(wh.width, wh.height)
    const ratio = `${wh.width / g}:${wh.height / g}`
    if (ASPECT_RATIOS.includes(ratio)) config.aspectRatio = ratio
  }
  // gemini-2.5-flash-image has no imageSize setting (1K only); the catalog lists named sizes only for models that do.
  if (namedSizes) {
    const long = wh ? Math.max(wh.width, wh.height) : size === '4K' ? 4096 : size === '2K' ? 2048 : 1024
    config.imageSize = long <= 1536 ? '1K' : long <= 2048 ? '2K' : '4K'
  }
  return config
}

/** generateContent with inline images; the key travels in x-goog-api-key, never in the URL. */
async function runGemini(ctx: RouteContext): Promise<RawResult> {
  const url = apiUrl(ctx.baseUrl, 'v1beta', `models/${encodeURIComponent(ctx.model.id)}:generateContent`)
  ctx.trace.endpoint = url
  const parts: unknown[] = [{ text: ctx.prompt }]
  for (const input of ctx.inputs) {
    // Gemini takes images inline only; the catalog caps the total at 20 MB before we get here.
    const bytes = await inputBytes(input)
    parts.push({ inline_data: { mime_type: mimeOf(input), data: bytes.toString('base64') } })
  }
  const imageConfig = imageConfigFor(ctx.params.size, ctx.params.aspectRatio, ctx.caps.sizes.includes('2K'))
  const { headers, body } = uploadSpec(
    ctx,
    jsonBody({
      contents: [{ role: 'user', parts }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'], ...(Object.keys(imageConfig).length ? { imageConfig } : {}) }
    })
  )
  const res = await send(
    {
      provider: 'gemini',
      method: 'POST',
      url,
      headers: { ...(ctx.apiKey ? { 'x-goog-api-key': ctx.apiKey } : {}), accept: 'application/json', ...headers },
      body,
      maxResponseBytes: ctx.maxResponseBytes,
      resend: 'retryable'
    },
    ctx.http
  )
  const parsed = parseBody(res, responseSchema, 'gemini')
  const requestId = requestIdFrom(res.headers, parsed)
  noteRequestId(ctx, requestId)
  const usage = parsed.usageMetadata ? { ...parsed.usageMetadata, ...(parsed.modelVersion ? { modelVersion: parsed.modelVersion } : {}) } : undefined
  ctx.trace.usage = usage

  const block = parsed.promptFeedback?.blockReason
  if (block) {
    const why = parsed.promptFeedback?.blockReasonMessage ?? block
    throw new AppError({ code: 'prompt_rejected', providerCode: block, requestId, message: `${describe('prompt_rejected', 'gemini', why)} (blocked: ${block})` })
  }
  const candidates = parsed.candidates ?? []
  const outputs: RawResult['outputs'] = []
  const said: string[] = []
  for (const c of candidates) {
    for (const part of c.content?.parts ?? []) {
      if (part.thought) continue
      const inline = part.inlineData ?? part.inline_data
      if (inline) outputs.push({ b64: inline.data })
      else if (part.text) said.push(part.text)
    }
  }
  if (outputs.length) return { outputs, requestIds: ctx.trace.requestIds, usage }

  const finish = candidates.find((c) => c.finishReason && c.finishReason !== 'STOP')
  const reason = finish?.finishReason
  const modelWords = untrustedText(finish?.finishMessage ?? said.join(' '), 240)
  if (reason && POLICY_FINISH.has(reason)) {
    throw new AppError({ code: 'prompt_rejected', providerCode: reason, requestId, message: `${describe('prompt_rejected', 'gemini', modelWords || undefined)} (finish reason ${reason})` })
  }
  throw badResponse(
    'gemini',
    modelWords ? `The model answered with text only${reason ? ` (${reason})` : ''}: "${modelWords}"` : `The model returned no image${reason ? ` (finish reason ${reason})` : ''}.`,
    { providerCode: reason, requestId }
  )
}

export const geminiAdapter: ProviderAdapter = {
  id: 'gemini',
  ...providerFacts.gemini,
  apiVersion: 'v1beta',
  keyEnvVar: 'GEMINI_API_KEY',
  // generateContent answers in one request: there is no task to submit or resume.
  run: (ctx) => runGemini(ctx),
  authHeaders: (apiKey) => ({ 'x-goog-api-key': apiKey }),
  testKey: (test) => probeKeyWithGet('gemini', apiUrl(test.baseUrl, 'v1beta', 'models'), { 'x-goog-api-key': test.apiKey }, test)
}
