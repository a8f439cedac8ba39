import type { ModelEntry } from '@shared/catalog'
import type { ProviderId } from '@shared/records'
import type { ItemView } from '@shared/views'
import { modelParams, type Draft } from '../../lib/draft'
import { requestPrice } from '../../lib/models'
import { activeItemStates } from '../batches/jobsStore'

export type Pair = [string | null, string | null]

/** Pane letters, in the order results are shown. */
export const letters = ['A', 'B', 'C', 'D']

/** The chosen pair first (A then B), the other results after them. */
export function orderedResults(items: readonly ItemView[], pair: Pair): ItemView[] {
  const [a, b] = pair
  const first = items.find((i) => i.id === a)
  const second = items.find((i) => i.id === b)
  const rest = items.filter((i) => i !== first && i !== second)
  return [first ?? rest.shift(), second ?? rest.shift(), ...rest].filter((i): i is ItemView => Boolean(i))
}

/** The price of one request per chosen model, summed; null when any price is unknown. */
export function comparisonPrice(models: readonly ModelEntry[], provider: ProviderId, draft: Draft): number | null {
  return draft.models.reduce<number | null>((sum, id) => {
    const p = requestPrice(models, id, modelParams(models, provider, draft, id))
    return sum === null || p === null ? null : sum + p
  }, 0)
}

export function comparisonFinished(items: readonly ItemView[]): boolean {
  return items.length > 0 && items.every((i) => !activeItemStates.has(i.state) && i.state !== 'queued')
}

/** Gemini vs GPT is the comparison people come for: one of each the provider can reach. */
export function defaultComparisonModels(models: readonly ModelEntry[], provider: ProviderId): string[] {
  const gemini = models.find((m) => m.family === 'gemini' && m.routes[provider])
  const gpt = models.find((m) => m.family === 'gpt' && m.routes[provider])
  return [gemini?.id, gpt?.id].filter((id): id is string => Boolean(id))
}

export function swappedPair(ordered: readonly ItemView[]): Pair {
  return [ordered[1]?.id ?? null, ordered[0]?.id ?? null]
}

export const compareModes = ['side-by-side', 'slider', 'hold'] as const

/** The pair the slider shows, before side first: the one chosen, else A against B. */
export function stagePairOf(chosen: [string, string] | null, ordered: readonly ItemView[], keys: readonly string[]): [string, string] | null {
  if (chosen && chosen[0] !== chosen[1] && chosen.every((k) => keys.includes(k))) return chosen
  const [a, b] = ordered
  return a && b ? [a.id, b.id] : a ? ['original', a.id] : null
}
