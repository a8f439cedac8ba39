import { z } from 'zod'
import { providerIds, type ProviderId } from '../../shared/records'
import { baseUrlSchema } from '../../shared/providers'
import { usageError } from './exit'

/**
 * Flag parsing helpers: commander splits argv, zod checks the values, and every refusal names the flag
 * and says what to type instead. All of this runs before any service is asked to do anything.
 */

/** Validates parsed flags; the first problem becomes a usage error naming its flag. */
export function parseFlags<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const key = issue?.path[0]
  const flag = typeof key === 'string' ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'arguments'
  throw usageError(`${flag}: ${issue?.message ?? 'invalid value'}.`, typeof key === 'string' ? key : undefined)
}

/** Positive integer from a flag string, with the bounds in the message. */
export const intFlag = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`)

export const providerFlag = z.enum(providerIds, { error: `use one of ${providerIds.join(', ')}` })

export function parseProvider(value: unknown): ProviderId | undefined {
  if (value === undefined) return undefined
  const parsed = providerFlag.safeParse(value)
  if (!parsed.success) throw usageError(`--provider "${String(value)}" is not a provider; use one of ${providerIds.join(', ')}.`, 'provider')
  return parsed.data
}

export const baseUrlFlag = baseUrlSchema

/** Comma-separated list, trimmed, without empties or repeats. */
export function splitList(value: string): string[] {
  return [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))]
}

/** For repeatable flags (--var a=b --var c=d). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** A date for --since: ISO date or time, checked here so a typo is not a silently empty result. */
export const dateFlag = z
  .string()
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)),
    'must be an ISO date such as 2026-03-01 or 2026-03-01T12:00:00Z'
  )

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** A duration for --max-wait: 90s, 10m, 2h or 500ms (a bare number is seconds), in milliseconds. */
export const durationFlag = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'must be a duration such as 90s, 10m or 2h')
  .transform((s) => {
    const unit = /(ms|s|m|h)$/.exec(s)?.[1] ?? 's'
    return Math.round(parseFloat(s) * DURATION_UNITS_MS[unit]!)
  })
  .refine((ms) => ms > 0, 'must be longer than 0')
