import { z } from 'zod'

/**
 * One taxonomy for every failure the app reports, whichever provider, file or store it came from.
 * Errors cross the IPC boundary and land in the history ledger, so they are plain data (AppErrorData)
 * with a class wrapper (AppError) for throwing inside one process.
 */
const apiErrorCodes = [
  'validation',
  'auth',
  'insufficient_credits',
  'prompt_rejected',
  'not_found',
  'rate_limited',
  'unavailable',
  'server',
  'network',
  'timeout',
  'bad_response',
  /** The provider answered (and may have charged) but an output could not be fetched: retry the download, never the request. */
  'download_failed',
  'cancelled'
] as const

export const fileErrorCodes = [
  'unsupported_format',
  'heic_unsupported',
  'corrupt',
  'empty_file',
  'too_many_bytes',
  'too_many_pixels',
  'too_small',
  'unreadable',
  'path_too_long',
  'dimension_mismatch',
  'svg_refused',
  'not_found_file'
] as const

const appErrorCodes = [
  ...apiErrorCodes,
  ...fileErrorCodes,
  'keychain_unavailable',
  'settings_invalid',
  'budget_reached',
  'interrupted',
  /** Paid for and received, but the images could not be written where they belong (kept for saving again when possible). */
  'not_saved',
  'internal'
] as const

export type ApiErrorCode = (typeof apiErrorCodes)[number]
export type FileErrorCode = (typeof fileErrorCodes)[number]
export type AppErrorCode = (typeof appErrorCodes)[number]

export const appErrorSchema = z.object({
  code: z.enum(appErrorCodes),
  /** Plain sentence for people: what happened, to what, and what to do. Never contains a secret. */
  message: z.string(),
  /** Form field or request field the error is about, when there is one (e.g. "size", "prompt"). */
  field: z.string().optional(),
  /** HTTP status from the provider, when the error came from a response. */
  status: z.number().int().optional(),
  /** The provider's own error code or type (string or number in their bodies), as text. */
  providerCode: z.string().optional(),
  requestId: z.string().optional(),
  /** True when trying again later may succeed (network, 429, 5xx). */
  retryable: z.boolean().optional(),
  /** Milliseconds the provider asked us to wait (Retry-After), when it said. */
  retryAfterMs: z.number().optional(),
  /** File the error is about, as the user gave it. */
  path: z.string().optional()
})
export type AppErrorData = z.infer<typeof appErrorSchema>

export class AppError extends Error {
  readonly code: AppErrorCode
  readonly data: AppErrorData

  constructor(data: AppErrorData, options?: { cause?: unknown }) {
    super(data.message, options)
    this.name = 'AppError'
    this.code = data.code
    this.data = data
  }

  toJSON(): AppErrorData {
    return this.data
  }
}

// C0 and C1 controls and DEL: ESC and its one-character form CSI (\u009b) start terminal escape sequences,
// the rest move the cursor or ring the bell. They become spaces so words stay apart.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/g
// Bidi embeddings, overrides, isolates and marks reorder what people read ("gnp.exe" shown as "exe.png").
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
// Half a surrogate pair is not text: it cannot be encoded, so the terminal or file shows it as garbage.
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** Server text is untrusted: keep it short and plain before it reaches a message, the terminal or a file. */
export function untrustedText(text: unknown, max = 300): string {
  const s = typeof text === 'string' ? text : text === undefined || text === null ? '' : String(text)
  const plain = s
    .replace(LONE_SURROGATES, '\ufffd')
    .replace(CONTROL_CHARS, ' ')
    .replace(BIDI_CONTROLS, '')
    .replace(/\s+/g, ' ')
    .trim()
  // Cut by code points, so an emoji at the limit is not split into half a surrogate pair.
  const chars = Array.from(plain)
  return chars.length > max ? `${chars.slice(0, max - 1).join('').trimEnd()}…` : plain
}

/** Any thrown value as AppErrorData, so nothing unstructured crosses a boundary. */
export function toAppErrorData(err: unknown): AppErrorData {
  if (err instanceof AppError) return err.data
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const parsed = appErrorSchema.safeParse(err)
    if (parsed.success) return parsed.data
  }
  const message = err instanceof Error ? err.message : untrustedText(err)
  return { code: 'internal', message: message || 'Unexpected error' }
}
