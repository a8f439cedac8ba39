import type { ModelEntry } from '../../shared/catalog'
import type { ProviderId } from '../../shared/records'
import type { Catalog } from '../core/catalog'
import { usageError } from './exit'

/**
 * Model look-up for flags: an unknown id is refused here, with the closest known ids, so a typo never
 * reaches the API and never costs anything.
 */
export function resolveModelFlag(catalog: Catalog, id: string, flag = '--model'): ModelEntry {
  const model = catalog.get(id)
  if (model) return model
  const known = catalog.models().flatMap((m) => [m.id, ...m.aliases])
  const close = known.filter((k) => similar(k, id)).slice(0, 3)
  const hint = close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : ''
  throw usageError(`${flag}: unknown model "${id}".${hint} Run "pixdesk models" for the catalog.`, 'model')
}

/** The route a model goes through: the one asked for, else the active provider if it serves the model, else its first route. */
export function routeFor(model: ModelEntry, asked: ProviderId | undefined, active: ProviderId): ProviderId {
  if (asked) {
    if (!model.routes[asked]) {
      throw usageError(`--provider ${asked}: ${model.id} is not served by ${asked}; it is available through ${Object.keys(model.routes).join(', ')}.`, 'provider')
    }
    return asked
  }
  if (model.routes[active]) return active
  const first = Object.keys(model.routes)[0] as ProviderId | undefined
  return first ?? active
}

function similar(a: string, b: string): boolean {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  if (x.includes(y) || y.includes(x)) return true
  return distance(x, y) <= Math.max(2, Math.floor(Math.min(x.length, y.length) / 4))
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const temp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = temp
    }
  }
  return row[b.length]!
}
