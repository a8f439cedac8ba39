import type { ModelEntry } from '@shared/catalog'
import type { ProviderId } from '@shared/records'
import { capsOf, modelLabel } from './models'
import { formatBytes } from './format'

/**
 * The most references every chosen model takes beside the image edited, and the model that sets it.
 * Bytes are shown, not enforced: a larger image is scaled down to the model's limit before it is sent.
 */
export interface ReferenceLimit {
  max: number
  model: string
  /** Per input image, in bytes, for the same model. */
  maxInputBytes: number
}

/** The tightest reference limit among the chosen models (catalog counts minus the image edited); null before a model is chosen. */
export function referenceLimit(models: readonly ModelEntry[], provider: ProviderId, chosen: readonly string[]): ReferenceLimit | null {
  let limit: ReferenceLimit | null = null
  for (const id of chosen) {
    const caps = capsOf(models, id, provider)
    if (!caps) continue
    const max = Math.max(0, caps.maxInputs - 1)
    if (!limit || max < limit.max) limit = { max, model: modelLabel(models, id), maxInputBytes: caps.maxInputBytes }
  }
  return limit
}

export function limitLine(limit: ReferenceLimit | null): string | null {
  if (!limit) return null
  if (limit.max === 0) return `${limit.model} takes no reference images.`
  return `${limit.model} takes up to ${limit.max} reference image${limit.max === 1 ? '' : 's'}, ${formatBytes(limit.maxInputBytes)} each.`
}

/**
 * Why the references cannot be sent, in words, or null; checked before anything is sent, as the main
 * process checks again. `references` counts the kit's images and the ones picked.
 */
export function referencesProblem(limit: ReferenceLimit | null, references: number): string | null {
  if (limit && references > limit.max) {
    return limit.max === 0 ? `${limit.model} takes no reference images: remove the ${references} chosen or pick another model.` : `${references} reference images chosen; ${limit.model} takes at most ${limit.max}. Remove ${references - limit.max}.`
  }
  return null
}
