/**
 * Removes secrets from text that leaves the process as logs or support reports: API keys in the shapes
 * the providers issue, Authorization bearer tokens, `x-goog-api-key` and `api_key`/`key` values, and
 * any secret the caller knows (the keys currently configured), wherever they appear.
 */
export const REDACTED = '[redacted]'

const patterns: RegExp[] = [
  // Authorization: Bearer <token>, in headers, logs of headers, or prose.
  /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  // x-goog-api-key: <key> / "x-goog-api-key":"<key>" / x-api-key=<key>
  /\b(x-(?:goog-)?api-key["']?\s*[:=]\s*["']?)[^\s"',;}]{6,}/gi,
  // api_key=<key>, apiKey: <key>, ?key=<key>
  /\b((?:api[_-]?key|apikey|access[_-]?token|secret)["']?\s*[:=]\s*["']?)[^\s"',;}&]{6,}/gi,
  /([?&]key=)[^\s&"']{6,}/gi,
  // Key shapes: OpenAI (sk-..., sk-proj-...), Google (AIza...), Pixapi (pk_/px_ prefixed).
  /\b(sk-(?:proj-|svcacct-|admin-)?)[A-Za-z0-9_-]{16,}/g,
  /\b(AIza)[0-9A-Za-z_-]{30,}/g,
  /\b(p[kx]_(?:live_|test_)?)[A-Za-z0-9]{16,}/g
]

/** A function that scrubs text with the patterns above plus the given secrets (read on every call). */
export function createRedactor(secrets: () => Iterable<string | null | undefined> = () => []): (text: string) => string {
  return (text) => {
    let out = text
    for (const secret of secrets()) {
      // Very short values would blank out ordinary words; real keys are long.
      if (secret && secret.length >= 8) out = out.split(secret).join(REDACTED)
    }
    for (const pattern of patterns) out = out.replace(pattern, (_match, prefix: string) => `${prefix}${REDACTED}`)
    return out
  }
}

/** Scrubs every string inside a JSON-like value (for structured log arguments and reports). */
export function redactValue<T>(value: T, redact: (text: string) => string, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T
  if (depth > 8 || value === null || typeof value !== 'object') return value
  if (value instanceof Error) {
    const copy = new Error(redact(value.message))
    copy.name = value.name
    copy.stack = value.stack ? redact(value.stack) : undefined
    return copy as T
  }
  if (Array.isArray(value)) return value.map((v: unknown) => redactValue(v, redact, depth + 1)) as T
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    out[key] = /^(authorization|api[_-]?key|apikey|x-goog-api-key|x-api-key|password|secret|token)$/i.test(key) && v ? REDACTED : redactValue(v, redact, depth + 1)
  }
  return out as T
}
