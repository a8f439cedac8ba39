import type { ModelEntry } from '@shared/catalog'
import type { ProviderId } from '@shared/records'
import type { AssetView, ItemView } from '@shared/views'
import { sharedParams, type Draft } from '../../lib/draft'
import { requestPrice } from '../../lib/models'
import { activeItemStates } from '../batches/jobsStore'

/** One request per image with the first chosen model; null when its price is unknown. */
export function editPrice(models: readonly ModelEntry[], provider: ProviderId, draft: Draft, images: number): number | null {
  const params = sharedParams(models, provider, draft)
  const each = draft.models[0] ? requestPrice(models, draft.models[0], params) : null
  return each === null ? null : each * Math.max(1, images)
}

export function editRunning(items: readonly ItemView[]): boolean {
  return items.some((i) => activeItemStates.has(i.state) || i.state === 'queued')
}

/** The result on the stage: the one picked in the strip, else the first with an output, else the first. */
export function shownResult(items: readonly ItemView[], picked: string | null): ItemView | undefined {
  return items.find((i) => i.id === picked) ?? items.find((i) => i.outputs.length) ?? items[0]
}

/** The "before" picture: the shown result's source, or the first chosen image while nothing has run. */
export function beforeUrl(shown: ItemView | undefined, assets: Record<string, AssetView>, sources: readonly AssetView[]): string | null {
  if (shown) return shown.sourceUrl ?? assets[shown.assetId ?? '']?.originalUrl ?? null
  return sources[0]?.originalUrl ?? sources[0]?.thumbUrl ?? null
}
