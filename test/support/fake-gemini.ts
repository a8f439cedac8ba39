import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import { z } from 'zod'

/**
 * A strict local stand-in for the Gemini API's generateContent (v1beta), built from Google's documented
 * request and response shapes: the key only in x-goog-api-key (a `?key=` is refused), inline images as
 * raw base64 without a data: prefix, image options under generationConfig.imageConfig.
 */

const ASPECT = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const

const requestSchema = z
  .object({
    contents: z
      .array(
        z
          .object({
            role: z.enum(['user', 'model']).optional(),
            parts: z
              .array(
                z.union([
                  z.object({ text: z.string().min(1) }).strict(),
                  z.object({ inline_data: z.object({ mime_type: z.enum(['image/png', 'image/jpeg', 'image/webp']), data: z.string().regex(/^[A-Za-z0-9+/]+=*$/, 'raw base64, no data: prefix') }).strict() }).strict()
                ])
              )
              .min(1)
          })
          .strict()
      )
      .min(1),
    generationConfig: z
      .object({
        responseModalities: z.array(z.enum(['TEXT', 'IMAGE'])).refine((m) => m.includes('IMAGE'), 'must include IMAGE'),
        imageConfig: z.object({ aspectRatio: z.enum(ASPECT).optional(), imageSize: z.enum(['1K', '2K', '4K']).optional() }).strict().optional()
      })
      .strict()
  })
  .strict()
export type GeminiRequestBody = z.infer<typeof requestSchema>

export interface ReceivedGemini {
  path: string
  query: string
  headers: Record<string, string | string[] | undefined>
  /** Bytes of request body actually received. */
  bodyBytes: number
  body?: GeminiRequestBody
}

export type GeminiScript =
  | { kind: 'image' }
  | { kind: 'blocked'; reason: string }
  | { kind: 'finish'; reason: string; text?: string }
  | { kind: 'text_only'; text: string }
  | { kind: 'error'; status: number; grpc: string; message: string }

export async function startFakeGemini(options: { apiKey: string }) {
  const received: ReceivedGemini[] = []
  const script: GeminiScript[] = []

  const error = (res: ServerResponse, status: number, grpc: string, message: string, reason?: string) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    const details = reason ? [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com' }] : []
    res.end(JSON.stringify({ error: { code: status, message, status: grpc, details } }))
  }
  const ok = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const r: ReceivedGemini = { path: url.pathname, query: url.search, headers: req.headers, bodyBytes: chunks.reduce((n, c) => n + c.length, 0) }
    received.push(r)
    if (url.searchParams.has('key')) return error(res, 400, 'INVALID_ARGUMENT', 'API keys in the URL are not accepted by this server.')
    if (req.headers['x-goog-api-key'] !== options.apiKey) return error(res, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', 'API_KEY_INVALID')
    if (req.method === 'GET' && url.pathname === '/v1beta/models') return ok(res, { models: [{ name: 'models/gemini-3-pro-image-preview' }] })
    const m = /^\/v1beta\/models\/([\w.-]+):generateContent$/.exec(url.pathname)
    if (req.method !== 'POST' || !m) return error(res, 404, 'NOT_FOUND', `Unknown route ${url.pathname}`)
    const parsed = requestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')))
    if (!parsed.success) return error(res, 400, 'INVALID_ARGUMENT', `Invalid JSON payload: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`)
    r.body = parsed.data

    const usageMetadata = { promptTokenCount: 300, candidatesTokenCount: 1290, totalTokenCount: 1590 }
    const next = script.shift() ?? { kind: 'image' }
    if (next.kind === 'error') return error(res, next.status, next.grpc, next.message)
    if (next.kind === 'blocked') return ok(res, { promptFeedback: { blockReason: next.reason }, usageMetadata, responseId: 'resp_blocked' })
    if (next.kind === 'finish') {
      return ok(res, { candidates: [{ content: { parts: next.text ? [{ text: next.text }] : [], role: 'model' }, finishReason: next.reason }], usageMetadata, responseId: 'resp_finish' })
    }
    if (next.kind === 'text_only') {
      return ok(res, { candidates: [{ content: { parts: [{ text: next.text }], role: 'model' }, finishReason: 'STOP' }], usageMetadata, responseId: 'resp_text' })
    }
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a04060' } }).png().toBuffer()
    return ok(res, {
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Here is your image.' }, { inlineData: { mimeType: 'image/png', data: png.toString('base64') } }] },
          finishReason: 'STOP'
        }
      ],
      usageMetadata,
      modelVersion: m[1],
      responseId: 'resp_fake_1'
    })
  }

  const server = createServer((req, res) => void handle(req, res).catch((e: unknown) => error(res, 500, 'INTERNAL', String(e))))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    script,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
