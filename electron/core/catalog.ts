import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../shared/errors'
import {
  catalogDataSchema,
  customModelEntry,
  customModelSchema,
  findModel,
  priceFor,
  type CatalogData,
  type CustomModel,
  type ModelEntry
} from '../../shared/catalog'
import type { ProviderId } from '../../shared/records'
import { resourcesDir } from './paths'

/** The bundled catalog plus the custom ids the user added (kept in settings by the caller). */
export interface Catalog {
  readonly updated: string
  /** Bundled models first, then custom ones; plain data, safe to send to the renderer. */
  models(): ModelEntry[]
  get(idOrAlias: string): ModelEntry | undefined
  /**
   * The entry to use for a request: a known id or alias, or an id the user added as custom. An unknown
   * id is a validation error that says how to add it, so a typo never reaches the API.
   */
  resolve(idOrAlias: string, provider: ProviderId): ModelEntry
  addCustomModel(custom: CustomModel): ModelEntry
  removeCustomModel(id: string): boolean
  price(idOrAlias: string, size: string | undefined, quality: string | undefined, n: number): number | null
}

export function bundledCatalogPath(): string {
  return join(resourcesDir(), 'models.json')
}

export function parseCatalog(json: unknown, source: string): CatalogData {
  const parsed = catalogDataSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.join('.') || '(root)'
    throw new AppError({
      code: 'settings_invalid',
      field: where,
      path: source,
      message: `The model catalog ${source} is invalid at ${where}: ${issue?.message ?? 'unknown problem'}. Reinstall the app or restore the file.`
    })
  }
  return parsed.data
}

export function createCatalog(data: CatalogData, customs: readonly CustomModel[] = []): Catalog {
  const bundled = data.models
  const custom: ModelEntry[] = []

  const catalog: Catalog = {
    updated: data.updated,
    models: () => [...bundled, ...custom],
    get: (idOrAlias) => findModel(bundled, idOrAlias) ?? findModel(custom, idOrAlias),
    resolve(idOrAlias, provider) {
      const model = catalog.get(idOrAlias)
      if (model) return model
      throw new AppError({
        code: 'validation',
        field: 'model',
        message: `Unknown model "${idOrAlias}" for ${provider}. Pick one from the list, or add it as a custom model id in Settings if the provider has a new one.`
      })
    },
    addCustomModel(input) {
      const parsed = customModelSchema.safeParse(input)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new AppError({ code: 'validation', field: issue?.path.join('.') || 'id', message: `Custom model: ${issue?.message ?? 'invalid'}.` })
      }
      const value = parsed.data
      if (findModel(bundled, value.id)) {
        throw new AppError({ code: 'validation', field: 'id', message: `"${value.id}" is already in the catalog; pick it from the list.` })
      }
      let base: ModelEntry | undefined
      if (value.basedOn) {
        base = findModel(bundled, value.basedOn)
        if (!base) throw new AppError({ code: 'validation', field: 'basedOn', message: `"${value.basedOn}" is not a catalog model to borrow limits from.` })
      }
      const entry = customModelEntry(value, base)
      const existing = custom.findIndex((m) => m.id.toLowerCase() === value.id.toLowerCase())
      if (existing >= 0) custom.splice(existing, 1, entry)
      else custom.push(entry)
      return entry
    },
    removeCustomModel(id) {
      const i = custom.findIndex((m) => m.id.toLowerCase() === id.trim().toLowerCase())
      if (i < 0) return false
      custom.splice(i, 1)
      return true
    },
    price(idOrAlias, size, quality, n) {
      const model = catalog.get(idOrAlias)
      return model ? priceFor(model, size, quality, n) : null
    }
  }
  for (const c of customs) catalog.addCustomModel(c)
  return catalog
}

/** Reads and validates a catalog file (the bundled one by default); a broken catalog stops start-up clearly. */
export function loadCatalog(path: string = bundledCatalogPath(), customs: readonly CustomModel[] = []): Catalog {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new AppError(
      { code: 'settings_invalid', path, message: `Cannot read the model catalog ${path}: ${err instanceof Error ? err.message : String(err)}.` },
      { cause: err }
    )
  }
  return createCatalog(parseCatalog(json, path), customs)
}

let bundledCache: Catalog | undefined
/** The bundled catalog, read once per process (for callers that do not pass their own). */
export function bundledCatalog(): Catalog {
  bundledCache ??= loadCatalog()
  return bundledCache
}
