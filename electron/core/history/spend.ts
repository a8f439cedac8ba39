import { AppError } from '../../../shared/errors'
import type { SpendBucket, SpendCell, SpendInterval, SpendResult } from '../../../shared/history'
import type { Entry } from './index-entry'
import { localDay } from './query'

/** Ranges up to this many days are shown by day; up to a year by week; longer ones by month. */
const DAILY_UP_TO_DAYS = 60
const WEEKLY_UP_TO_DAYS = 366
/** More buckets than this is a question nobody can read as a chart or a table. */
const MAX_BUCKETS = 5000

export interface SpendRange {
  /** Inclusive bounds of the question in milliseconds, when it gave them. */
  fromMs?: number
  toMs?: number
  /** Where an open-ended range ends: today, so recent quiet days show as quiet. */
  nowMs: number
}

type Tally = Omit<SpendCell, 'model'>

const emptyTally = (): Tally => ({ credits: 0, atRisk: 0, count: 0, failed: 0, interrupted: 0 })

function add(tally: Tally, entry: Entry): void {
  tally.count++
  tally.credits += entry.credits
  if (entry.status === 'failed') tally.failed++
  if (entry.status === 'interrupted') {
    tally.interrupted++
    // An interrupted request with credits booked was answered (so charged); one without may or may not
    // have been, and counts at its estimate until someone finds out.
    if (entry.credits === 0) tally.atRisk += entry.estimate
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6

function finished<T extends Tally>(tally: T): T {
  return { ...tally, credits: round(tally.credits), atRisk: round(tally.atRisk) }
}

function byCreditsThenName(a: SpendCell, b: SpendCell): number {
  return b.credits - a.credits || b.atRisk - a.atRisk || b.count - a.count || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0)
}

function dateOf(day: string): Date {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1)
}

function shiftDays(day: string, days: number): string {
  const date = dateOf(day)
  date.setDate(date.getDate() + days)
  return localDay(date.getTime())
}

/** Calendar days from one local day to another, whatever daylight saving did in between. */
function daysBetween(from: string, to: string): number {
  const a = dateOf(from)
  const b = dateOf(to)
  return Math.round((Date.UTC(b.getFullYear(), b.getMonth(), b.getDate()) - Date.UTC(a.getFullYear(), a.getMonth(), a.getDate())) / 86_400_000)
}

/** The first local day of the bucket a day falls in: weeks start on Monday, months on the 1st. */
function bucketStart(day: string, by: SpendInterval): string {
  if (by === 'day') return day
  if (by === 'month') return `${day.slice(0, 7)}-01`
  const weekday = (dateOf(day).getDay() + 6) % 7
  return shiftDays(day, -weekday)
}

function nextBucket(start: string, by: SpendInterval): string {
  if (by === 'day') return shiftDays(start, 1)
  if (by === 'week') return shiftDays(start, 7)
  const date = dateOf(start)
  return localDay(new Date(date.getFullYear(), date.getMonth() + 1, 1).getTime())
}

export function intervalFor(firstDay: string, lastDay: string): SpendInterval {
  const span = daysBetween(firstDay, lastDay) + 1
  return span <= DAILY_UP_TO_DAYS ? 'day' : span <= WEEKLY_UP_TO_DAYS ? 'week' : 'month'
}

/**
 * Credits over time by model, in local calendar buckets from the first day of the range to its last,
 * quiet buckets included so a chart's time axis is true. `entries` are those the filter selected.
 */
export function spendOf(entries: Iterable<Entry>, range: SpendRange, by?: SpendInterval): Omit<SpendResult, 'readWarnings'> {
  const days = new Map<string, Map<string, Tally>>()
  const dayOf = localDayCache()
  let earliest = Number.POSITIVE_INFINITY
  let latest = Number.NEGATIVE_INFINITY
  for (const entry of entries) {
    const day = dayOf(entry.startedMs)
    let models = days.get(day)
    if (!models) days.set(day, (models = new Map()))
    let tally = models.get(entry.model)
    if (!tally) models.set(entry.model, (tally = emptyTally()))
    add(tally, entry)
    if (entry.startedMs < earliest) earliest = entry.startedMs
    if (entry.startedMs > latest) latest = entry.startedMs
  }
  const firstMs = range.fromMs ?? (days.size ? earliest : undefined)
  const lastMs = range.toMs ?? Math.max(latest, range.nowMs)
  if (firstMs === undefined || firstMs > lastMs) {
    return { by: by ?? 'day', buckets: [], models: [], overall: emptyTally() }
  }
  const firstDay = localDay(firstMs)
  const lastDay = localDay(lastMs)
  const interval = by ?? intervalFor(firstDay, lastDay)

  const buckets = new Map<string, { end: string; models: Map<string, Tally> }>()
  const lastStart = bucketStart(lastDay, interval)
  for (let start = bucketStart(firstDay, interval); start <= lastStart; start = nextBucket(start, interval)) {
    if (buckets.size >= MAX_BUCKETS) {
      throw new AppError({
        code: 'validation',
        field: 'by',
        message: `That range makes more than ${MAX_BUCKETS} ${interval}s; narrow the dates or group by ${interval === 'day' ? 'week or month' : 'month'}.`
      })
    }
    buckets.set(start, { end: shiftDays(nextBucket(start, interval), -1), models: new Map() })
  }

  const perModel = new Map<string, Tally>()
  const overall = emptyTally()
  for (const [day, models] of days) {
    const bucket = buckets.get(bucketStart(day, interval))
    for (const [model, tally] of models) {
      if (bucket) {
        const cell = bucket.models.get(model) ?? emptyTally()
        bucket.models.set(model, merge(cell, tally))
      }
      perModel.set(model, merge(perModel.get(model) ?? emptyTally(), tally))
      merge(overall, tally)
    }
  }

  const cells = (models: Map<string, Tally>): SpendCell[] =>
    [...models].map(([model, tally]) => finished({ model, ...tally })).sort(byCreditsThenName)
  const result: SpendBucket[] = [...buckets].map(([start, { end, models }]) => {
    const total = emptyTally()
    for (const tally of models.values()) merge(total, tally)
    const { credits, atRisk, count } = finished(total)
    return { start, end, credits, atRisk, count, models: cells(models) }
  })
  return { by: interval, buckets: result, models: cells(perModel), overall: finished(overall) }
}

/**
 * localDay for many moments in time order: the history hands entries over day by day, so remembering
 * the last day's bounds saves building a date for almost every one of them.
 */
function localDayCache(): (ms: number) => string {
  let from = Number.POSITIVE_INFINITY
  let to = Number.NEGATIVE_INFINITY
  let key = ''
  return (ms) => {
    if (ms >= from && ms < to) return key
    const d = new Date(ms)
    from = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
    to = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime()
    key = localDay(ms)
    return key
  }
}

function merge(into: Tally, from: Tally): Tally {
  into.credits += from.credits
  into.atRisk += from.atRisk
  into.count += from.count
  into.failed += from.failed
  into.interrupted += from.interrupted
  return into
}
