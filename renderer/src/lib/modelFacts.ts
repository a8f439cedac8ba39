import { capabilitiesFor, maskRouteFor, type ModelEntry } from '@shared/catalog'
import { providerFacts } from '@shared/providers'
import type { ProviderId } from '@shared/records'
import { formatBytes } from './format'
import { paramsFor, requestPrice, type ParamChoice } from './models'

/**
 * What a model picker says about one model on the active route, in words: where requests go, what the
 * model takes and makes, and what one image costs with the settings chosen now.
 */
export interface ModelFacts {
  id: string
  label: string
  family: ModelEntry['family']
  familyLabel: string
  /** The provider that serves this request ("Pixapi", "OpenAI (direct)"). */
  routeLabel: string
  custom: boolean
  retires?: string
  kinds: string
  inputs: string
  sizes: string
  aspectRatios: string
  qualities: string
  /** How a masked edit reaches this model: as its own mask part, or only the masked region, placed back. */
  masks: 'native' | 'crop'
  asyncTasks: boolean
  /** Credits for one image with the current settings; null when the catalog has no price. */
  pricePerImage: number | null
  /** The provider bills its own account (tokens), so no credit price applies. */
  billedByProvider: boolean
}

const familyLabels: Record<ModelEntry['family'], string> = { gemini: 'Gemini', gpt: 'GPT', other: 'Other' }

const listOr = (values: readonly string[], none: string) => (values.length ? values.join(', ') : none)

export function modelFacts(model: ModelEntry, provider: ProviderId, choice: ParamChoice): ModelFacts | null {
  const caps = capabilitiesFor(model, provider)
  if (!caps) return null
  const facts = providerFacts[provider]
  const kinds = caps.kinds.includes('edit') && caps.kinds.includes('generate') ? 'Edits and generates' : caps.kinds.includes('edit') ? 'Edits only' : 'Generates only'
  const formats = caps.inputFormats.map((f) => f.toUpperCase()).join(', ')
  const rule = caps.sizeRule ? `, or any size in multiples of ${caps.sizeRule.multipleOf} px up to ${caps.sizeRule.maxLongEdge} px` : ''
  return {
    id: model.id,
    label: model.label,
    family: model.family,
    familyLabel: familyLabels[model.family],
    routeLabel: facts.label,
    custom: model.custom,
    ...(model.retires ? { retires: model.retires } : {}),
    kinds,
    inputs: caps.maxInputs ? `at most ${caps.maxInputs} · ${formats} · ${formatBytes(caps.maxInputBytes)} each` : 'none (generates only)',
    sizes: `${caps.sizes.join(', ')}${rule}`,
    aspectRatios: listOr(caps.aspectRatios, 'follows the input'),
    qualities: listOr(caps.qualities, 'no setting'),
    masks: maskRouteFor(model),
    asyncTasks: facts.asyncTasks,
    pricePerImage: facts.billing === 'credits' ? requestPrice([model], model.id, { ...paramsFor(caps, choice), n: 1 }) : null,
    billedByProvider: facts.billing === 'tokens'
  }
}

/** Every word of the query appears in the id, an alias, the label or the family. */
export function modelMatches(model: ModelEntry, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  if (!words.length) return true
  const hay = [model.id, ...model.aliases, model.label, familyLabels[model.family]].join(' ').toLowerCase()
  return words.every((w) => hay.includes(w))
}
