import type { ModelEntry } from '@shared/catalog'
import type { ProviderId } from '@shared/records'
import type { AssetView, ItemView } from '@shared/views'
import { sharedParams, type Draft } from '../../lib/draft'
import { requestPrice } from '../../lib/models'
import { activeItemStates } from '../batches/jobsStore'
import { displayCopyAt } from '../../components/viewer/displayCopy'
import type { Size } from '../../components/viewer/geometry'

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

/**
 * The "before" picture: the source's display copy (upright, bounded; never the thumbnail), asked for at
 * the result's long edge so both sides are drawn from pictures of the same resolution.
 */
export function beforePicture(shown: ItemView | undefined, assets: Record<string, AssetView>, sources: readonly AssetView[], resultLongEdge?: number): { url: string | null; size: Size | null } {
  const asset = shown ? assets[shown.assetId ?? ''] : sources[0]
  const url = shown ? (shown.sourceDisplayUrl ?? asset?.displayUrl ?? asset?.originalUrl ?? null) : (asset?.displayUrl ?? asset?.originalUrl ?? null)
  const size = asset?.width && asset.height ? { width: asset.width, height: asset.height } : null
  return { url: displayCopyAt(url, resultLongEdge), size }
}
