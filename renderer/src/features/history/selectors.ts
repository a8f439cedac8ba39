import type { ModelEntry } from '@shared/catalog'
import type { BatchView, HistoryEntryView } from '@shared/views'
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
