import { capabilitiesFor, findModel, priceFor, type Capabilities, type ModelEntry } from '@shared/catalog'
import type { ProviderId, RequestParams } from '@shared/records'

/** What the user chose in a model picker; only fields the model accepts are ever sent. */
export interface ParamChoice {
  n: number
  size?: string
  quality?: string
  aspectRatio?: string
  background?: string
  outputFormat?: string
  inputFidelity?: string
}

export function modelsForProvider(models: readonly ModelEntry[], provider: ProviderId): ModelEntry[] {
  return models.filter((m) => capabilitiesFor(m, provider) !== undefined)
}

export function capsOf(models: readonly ModelEntry[], id: string, provider: ProviderId): Capabilities | undefined {
  const model = findModel(models, id)
  return model ? capabilitiesFor(model, provider) : undefined
}

/**
 * Narrows a choice to what one model accepts: a value the model does not know is dropped rather
 * than sent, so a picker switch from GPT to Gemini never produces a request the catalog would refuse.
 */
export function paramsFor(caps: Capabilities | undefined, choice: ParamChoice): RequestParams {
  if (!caps) return { n: Math.max(1, choice.n) }
  const keep = (value: string | undefined, allowed: readonly string[]) => (value !== undefined && allowed.includes(value) ? value : undefined)
  const params: RequestParams = { n: Math.min(Math.max(1, choice.n), caps.maxN) }
  const size = keep(choice.size, caps.sizes)
  if (size) params.size = size
  const quality = keep(choice.quality, caps.qualities)
  if (quality) params.quality = quality
  const aspect = keep(choice.aspectRatio, caps.aspectRatios)
  if (aspect) params.aspectRatio = aspect
  const background = keep(choice.background, caps.backgrounds)
  if (background) params.background = background
  const format = keep(choice.outputFormat, caps.outputFormats)
  if (format) params.outputFormat = format
  const fidelity = keep(choice.inputFidelity, caps.inputFidelities)
  if (fidelity) params.inputFidelity = fidelity
  return params
}

/** The options every chosen model accepts, so no shared control offers a value one of them would refuse. */
export function sharedCapabilities(all: readonly Capabilities[]): Capabilities | undefined {
  const [first, ...rest] = all
  if (!first) return undefined
  const both = (pick: (c: Capabilities) => string[]) => rest.reduce((acc, c) => acc.filter((v) => pick(c).includes(v)), pick(first))
  return {
    ...first,
    sizes: both((c) => c.sizes),
    qualities: both((c) => c.qualities),
    aspectRatios: both((c) => c.aspectRatios),
    backgrounds: both((c) => c.backgrounds),
    outputFormats: both((c) => c.outputFormats),
    inputFidelities: both((c) => c.inputFidelities),
    maxN: Math.min(...all.map((c) => c.maxN))
  }
}

/** One model's own choices in a multi-model run; n stays shared so every arm makes as many images. */
export type ModelChoice = Omit<ParamChoice, 'n'>

/** The per-model settings a picker offers, with the capability list that feeds each. */
const modelChoiceFields = [
  { field: 'size', options: 'sizes', label: 'Size' },
  { field: 'quality', options: 'qualities', label: 'Quality' },
  { field: 'aspectRatio', options: 'aspectRatios', label: 'Aspect' },
  { field: 'outputFormat', options: 'outputFormats', label: 'Format' },
  { field: 'background', options: 'backgrounds', label: 'Background' }
] as const satisfies ReadonlyArray<{ field: keyof ModelChoice; options: keyof Capabilities; label: string }>

export type ModelChoiceField = (typeof modelChoiceFields)[number]

/**
 * Settings a model gets a control of its own for: those where it accepts something the shared controls
 * cannot offer (GPT's quality beside Gemini, Gemini's 2K and 4K sizes beside GPT). Everything else is
 * set once for all models, so two controls never fight over the same value.
 */
export function ownFields(caps: Capabilities | undefined, shared: Capabilities | undefined): ModelChoiceField[] {
  if (!caps) return []
  return modelChoiceFields.filter(({ options }) => caps[options].some((v) => !(shared?.[options] ?? []).includes(v)))
}

/** The params one model is sent: the shared set, with its own choices on top where it has controls of its own. */
export function paramsWithOwn(caps: Capabilities | undefined, shared: Capabilities | undefined, params: RequestParams, own: ModelChoice | undefined): RequestParams {
  const choice: ParamChoice = { ...params }
  for (const { field } of ownFields(caps, shared)) {
    const value = own?.[field]
    if (value !== undefined) choice[field] = value
  }
  return paramsFor(caps, choice)
}

/** Credits for one request of this model with these params, or null when the catalog has no price. */
export function requestPrice(models: readonly ModelEntry[], id: string, params: RequestParams): number | null {
  const model = findModel(models, id)
  return model ? priceFor(model, params.size, params.quality, params.n) : null
}

export function modelLabel(models: readonly ModelEntry[], id: string): string {
  return findModel(models, id)?.label ?? id
}
