import type { ModelEntry } from '@shared/catalog'
import type { SpendInterval, SpendResult } from '@shared/history'
import type { BatchView, HistoryEntryView } from '@shared/views'
import { formatCredits, plural } from '../../lib/format'
import { modelLabel } from '../../lib/models'
import { isProviderId, providerFacts } from '@shared/providers'
import type { HistoryFilter, TotalsBy } from './store'

/** Any filter set besides the sort order. */
export function filterActive(filter: HistoryFilter): boolean {
  return Object.entries(filter).some(([k, v]) => k !== 'sort' && v !== undefined && v !== '')
}

/** Whether an empty list means "nothing matches" rather than "nothing yet". */
export function filterNarrows(filter: HistoryFilter): boolean {
  return Boolean(filter.text) || Object.keys(filter).length > 1
}

/** The name a totals row goes by: model and batch names, provider labels, days as they are. */
export function totalsKeyLabel(by: TotalsBy, key: string, models: readonly ModelEntry[], batches: Record<string, BatchView>): string {
  if (by === 'model') return modelLabel(models, key)
  if (by === 'batch') return key ? (batches[key]?.name ?? key) : 'Single edits'
  if (by === 'provider') return isProviderId(key) ? providerFacts[key].label : key
  return key
}

export function selectedEntry(items: readonly HistoryEntryView[], selectedId: string | null): HistoryEntryView | undefined {
  return items.find((i) => i.id === selectedId)
}

/** A row's picture: its first output still on disk, else what it was made from. */
export function entryThumbUrl(entry: HistoryEntryView): string | null {
  return entry.outputs.find((o) => !o.missing)?.url ?? entry.inputs[0]?.url ?? null
}

/** The request id support asks about: the one the final answer (or error) carried. */
export function entryRequestId(entry: HistoryEntryView): string | undefined {
  return entry.error?.requestId ?? entry.requestIds.at(-1)
}

/** More models than this in the chart would be colours nobody can tell apart: the rest are stacked as one. */
const SPEND_SERIES_LIMIT = 5

export interface SpendSeries {
  /** The chart's data key: model ids hold dots, which the chart would read as a path. */
  key: string
  label: string
  models: string[]
}

export type SpendRow = { start: string; end: string; credits: number; atRisk: number; count: number } & Record<string, number | string>

/** The chart's stacks (the models that spent most, then "Other models") and one row per period. */
export function spendChartData(spend: SpendResult, models: readonly ModelEntry[]): { series: SpendSeries[]; rows: SpendRow[] } {
  const spending = spend.models.filter((m) => m.credits > 0)
  const series: SpendSeries[] = spending.slice(0, SPEND_SERIES_LIMIT).map((m, i) => ({ key: `m${i}`, label: modelLabel(models, m.model), models: [m.model] }))
  const rest = spending.slice(SPEND_SERIES_LIMIT).map((m) => m.model)
  if (rest.length) series.push({ key: 'other', label: rest.length === 1 ? modelLabel(models, rest[0]!) : `Other models (${rest.length})`, models: rest })
  const rows = spend.buckets.map((b) => {
    const row: SpendRow = { start: b.start, end: b.end, credits: b.credits, atRisk: b.atRisk, count: b.count }
    for (const s of series) row[s.key] = b.models.filter((m) => s.models.includes(m.model)).reduce((sum, m) => sum + m.credits, 0)
    return row
  })
  return { series, rows }
}

function localDate(day: string): Date {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1)
}

const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' })
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' })
const monthYear = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' })

/** A period as an axis tick (short) or in a sentence (long): "3 Mar", "week of 2 Mar 2026", "Mar 2026". */
export function periodLabel(start: string, end: string, by: SpendInterval, style: 'short' | 'long'): string {
  const first = localDate(start)
  if (by === 'month') return monthYear.format(first)
  if (style === 'short') return dayMonth.format(first)
  if (by === 'day') return dayMonthYear.format(first)
  return `${dayMonth.format(first)} – ${dayMonthYear.format(localDate(end))}`
}

/** One sentence for people who cannot see the chart: the range, the total, the busiest period, what is at risk. */
export function spendSummary(spend: SpendResult, models: readonly ModelEntry[]): string {
  const first = spend.buckets[0]
  const last = spend.buckets.at(-1)
  if (!first || !last || spend.overall.count === 0) return 'No requests in this range.'
  const range = `${periodLabel(first.start, first.end, spend.by, 'long')} to ${periodLabel(last.start, last.end, spend.by, 'long')}`
  const busiest = spend.buckets.reduce((a, b) => (b.credits > a.credits ? b : a), first)
  const top = spend.models[0]
  const parts = [
    `Credits by ${spend.by} from ${range}: ${formatCredits(spend.overall.credits)} in ${plural(spend.overall.count, 'request')}.`,
    busiest.credits > 0 ? `Most ${spend.by === 'day' ? 'on' : 'in'} ${periodLabel(busiest.start, busiest.end, spend.by, 'long')} (${formatCredits(busiest.credits)}).` : '',
    top && top.credits > 0 && spend.models.length > 1 ? `${modelLabel(models, top.model)} spent most (${formatCredits(top.credits)}).` : '',
    spend.overall.atRisk > 0 ? `${formatCredits(spend.overall.atRisk)} more at risk: interrupted requests that may have been charged.` : ''
  ]
  return parts.filter(Boolean).join(' ')
}
