import type { HistoryFilter, HistorySort, TotalsGrouping, TotalsRow } from '../../../shared/history'
import type { LazyColumn } from './month-index-file'
import type { Entry } from './index-entry'
import type { LedgerIndex } from './in-memory-index'

/** A filter with its dates resolved to milliseconds and its text split into lower-cased words. */
export interface ResolvedFilter {
  fromMs?: number
  toMs?: number
  words: string[]
  filter: HistoryFilter
}

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/

/** A bare date means a local calendar day: from its first moment, to its last. */
export function resolveFilter(filter: HistoryFilter): ResolvedFilter {
  const fromMs = filter.from === undefined ? undefined : BARE_DATE.test(filter.from) ? localDayStart(filter.from) : Date.parse(filter.from)
  const toMs =
    filter.to === undefined ? undefined : BARE_DATE.test(filter.to) ? localDayStart(filter.to) + dayLength(filter.to) - 1 : Date.parse(filter.to)
  const words = (filter.text ?? '').toLowerCase().split(/\s+/).filter(Boolean)
  return { fromMs, toMs, words, filter }
}

function localDayStart(day: string): number {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1).getTime()
}

/** Days around a daylight-saving change are 23 or 25 hours long. */
function dayLength(day: string): number {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + 1).getTime() - localDayStart(day)
}

function matches(entry: Entry, r: ResolvedFilter): boolean {
  const f = r.filter
  if (r.fromMs !== undefined && !(entry.startedMs >= r.fromMs)) return false
  if (r.toMs !== undefined && !(entry.startedMs <= r.toMs)) return false
  if (f.model !== undefined && entry.model !== f.model) return false
  if (f.provider !== undefined && entry.provider !== f.provider) return false
  if (f.status !== undefined && entry.status !== f.status) return false
  if (f.batchId !== undefined && entry.batchId !== f.batchId) return false
  if (f.compareGroup !== undefined && entry.compareGroup !== f.compareGroup) return false
  if (f.templateId !== undefined && entry.templateId !== f.templateId) return false
  if (f.jobItemId !== undefined && entry.jobItemId !== f.jobItemId) return false
  if (f.sandbox !== undefined && entry.sandbox !== f.sandbox) return false
  for (const word of r.words) if (!(entry.search ?? '').includes(word)) return false
  return true
}

/** The entry fields (beyond those always loaded) a filter reads. */
function columnsFor(filter: HistoryFilter, by?: TotalsGrouping): LazyColumn[] {
  const columns: LazyColumn[] = []
  if (filter.text?.trim()) columns.push('search')
  if (filter.batchId !== undefined || by === 'batch') columns.push('batchId')
  if (filter.compareGroup !== undefined) columns.push('compareGroup')
  if (filter.templateId !== undefined) columns.push('templateId')
  if (filter.jobItemId !== undefined) columns.push('jobItemId')
  return columns
}

/** Every visible entry matching the filter, newest first. */
export function select(index: LedgerIndex, filter: HistoryFilter): Entry[] {
  const resolved = resolveFilter(filter)
  index.need(columnsFor(filter))
  const narrowed = index.candidates(filter)
  const out: Entry[] = []
  for (const entry of narrowed ?? index.newestFirst()) if (matches(entry, resolved)) out.push(entry)
  return out
}

export function sortEntries(entries: Entry[], sort: HistorySort): Entry[] {
  switch (sort) {
    case 'newest':
      return entries
    case 'oldest':
      return entries.reverse()
    case 'credits_desc':
      return entries.sort((a, b) => b.credits - a.credits || b.order - a.order)
    case 'latency_desc':
      return entries.sort((a, b) => b.latencyMs - a.latencyMs || b.order - a.order)
  }
}

/** The local calendar day of a moment, YYYY-MM-DD. */
export function localDay(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

function keyOf(entry: Entry, by: TotalsGrouping): string {
  switch (by) {
    case 'model':
      return entry.model
    case 'provider':
      return entry.provider
    case 'batch':
      return entry.batchId ?? ''
    case 'day':
      return localDay(entry.startedMs)
  }
}

function emptyRow(key: string): TotalsRow {
  return {
    key,
    count: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    interrupted: 0,
    skipped: 0,
    credits: 0,
    reportedCredits: 0,
    estimatedCredits: 0,
    unreportedCount: 0,
    latencyMsAverage: 0,
    sizeMismatches: 0
  }
}

function addTo(row: TotalsRow, entry: Entry): void {
  row.count++
  row[entry.status]++
  row.credits += entry.credits
  if (entry.estimated) row.unreportedCount++
  else row.reportedCredits += entry.credits
  row.estimatedCredits += entry.estimate
  if (entry.sizeMismatch) row.sizeMismatches++
  // Running sum for now; turned into the average once all entries are in.
  row.latencyMsAverage += entry.latencyMs
}

function finish(row: TotalsRow): TotalsRow {
  const round = (n: number) => Math.round(n * 1e6) / 1e6
  return {
    ...row,
    credits: round(row.credits),
    reportedCredits: round(row.reportedCredits),
    estimatedCredits: round(row.estimatedCredits),
    // Skipped files were never sent: they have no latency to average.
    latencyMsAverage: row.count > row.skipped ? Math.round(row.latencyMsAverage / (row.count - row.skipped)) : 0
  }
}

/** Rows sorted by key (days and ids read naturally in that order), plus the overall row. */
export function totalsOf(index: LedgerIndex, entries: Iterable<Entry>, by: TotalsGrouping): { rows: TotalsRow[]; overall: TotalsRow } {
  index.need(columnsFor({}, by))
  const rows = new Map<string, TotalsRow>()
  const overall = emptyRow('all')
  for (const entry of entries) {
    const key = keyOf(entry, by)
    let row = rows.get(key)
    if (!row) rows.set(key, (row = emptyRow(key)))
    addTo(row, entry)
    addTo(overall, entry)
  }
  const sorted = [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(finish)
  return { rows: sorted, overall: finish(overall) }
}
