import { assetIdFor, type Library } from '../core/library/library'
import type { LibraryAsset } from '../core/library/types'

/**
 * Where the renderer loads an image from: URLs that name assets by id, answered by the asset handler
 * (asset-handler.ts) mounted at the same base. The renderer never sees a path it could read itself.
 */
export interface AssetUrls {
  /** URL of output `index` of history record `recordId`. */
  output(recordId: string, index: number): string
  /** URL of an input file the user imported, when the library knows it. */
  input(path: string): string | null
  thumbnail(asset: LibraryAsset, size?: number): string
  original(asset: LibraryAsset): string
  /** The original as the viewer compares it: upright, at most `size` px on the long edge (default 2048). */
  display(asset: LibraryAsset): string
  /** A mask kept with an edit (`<data>/masks/<sha256>.png`). */
  mask?(sha256: string): string
  /** An image of a brand kit (`<data>/kits/<id>/`), by its content hash. */
  kitImage?(kitId: string, sha256: string): string
}

export function createAssetUrls(baseUrl: string, library: Library): AssetUrls {
  const urls: AssetUrls = {
    output: (recordId, index) => `${baseUrl}output/${encodeURIComponent(recordId)}/${index}`,
    input: (path) => {
      const asset = library.get(assetIdFor(path))
      return asset?.verdict.ok ? urls.original(asset) : null
    },
    // The content hash in the URL makes a changed file load fresh instead of from the page's cache.
    thumbnail: (asset, size = 256) => `${baseUrl}thumb/${asset.id}?size=${size}&v=${asset.sha256.slice(0, 12)}`,
    original: (asset) => `${baseUrl}original/${asset.id}?v=${asset.sha256.slice(0, 12)}`,
    display: (asset) => `${baseUrl}display/${asset.id}?v=${asset.sha256.slice(0, 12)}`,
    mask: (sha256) => `${baseUrl}mask/${sha256}`,
    kitImage: (kitId, sha256) => `${baseUrl}kit/${kitId}/${sha256}`
  }
  return urls
}
