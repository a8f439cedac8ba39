import { basename, relative } from 'node:path'
import type { AppErrorData } from '../../../shared/errors'
import { assetIdFor, type Library } from './library'
import type { LibraryAsset, UploadLimits } from './types'
import { checkAgainstLimits } from './validate'

/** The imported folder (or lone file) an asset belongs to, by id. */
export const assetRootId = (asset: LibraryAsset): string => assetIdFor(asset.root ?? asset.path)

/** The asset's path within its imported folder; a lone file is its own name. */
export const assetRelPath = (asset: LibraryAsset): string => (asset.root ? relative(asset.root, asset.path) : basename(asset.path))

export interface AssetQuery {
  rootId?: string
  filter: 'all' | 'ok' | 'problems'
  /** Part of the path within its folder, any case. */
  search?: string
}

/** Library images matching a query, in the order a person reads their paths (numbers by value). */
export function findAssets(library: Library, query: AssetQuery): LibraryAsset[] {
  const needle = query.search?.trim().toLowerCase()
  return library
    .list()
    .map((asset) => ({ asset, relPath: assetRelPath(asset) }))
    .filter(({ asset }) => !query.rootId || assetRootId(asset) === query.rootId)
    .filter(({ asset }) => query.filter === 'all' || (query.filter === 'ok') === asset.verdict.ok)
    .filter(({ relPath }) => !needle || relPath.toLowerCase().includes(needle))
    .sort((a, b) => a.relPath.localeCompare(b.relPath, undefined, { numeric: true }))
    .map(({ asset }) => asset)
}

export type AssetCheck = { assetId: string; ok: true } | { assetId: string; ok: false; error: AppErrorData }

/** Each asset judged against what one model accepts, without reading the files again. */
export function checkAssets(library: Library, assetIds: readonly string[], limits: UploadLimits): AssetCheck[] {
  return assetIds.map((assetId) => {
    const asset = library.get(assetId)
    if (!asset) return { assetId, ok: false, error: { code: 'not_found_file', message: 'This file is no longer in the library.' } }
    const verdict = checkAgainstLimits(asset, limits)
    return verdict.ok ? { assetId, ok: true } : { assetId, ok: false, error: verdict.error }
  })
}

/** The imported folder or lone file with this id, as a path, when it is still imported. */
export function importedPathFor(library: Library, rootId: string): string | undefined {
  return [...library.importedRoots(), ...library.importedFiles()].find((path) => assetIdFor(path) === rootId)
}
