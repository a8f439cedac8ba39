import type { AppErrorData } from '../../../shared/errors'
import type { ImageFormat } from '../imageformat'

/** Formats sharp decodes here; anything else sniffed is named and refused. */
export const DECODABLE_FORMATS = ['png', 'jpeg', 'webp', 'gif', 'avif', 'tiff'] as const satisfies readonly ImageFormat[]
export type DecodableFormat = (typeof DECODABLE_FORMATS)[number]

/**
 * What one route accepts. The caller maps the model catalog onto this shape, so the library never
 * depends on the catalog.
 */
export interface UploadLimits {
  /** Largest file, in bytes, the route takes. */
  maxInputBytes: number
  /** Pixels (width × height) above which a file is refused outright: the decompression-bomb guard. */
  maxPixels?: number
  /** Long edge the upload is downscaled to. */
  maxLongEdge: number
  /** Shortest edge the route accepts. */
  minEdge?: number
  /** Formats the route takes as they are; anything else decodable is converted before upload. */
  acceptedFormats: DecodableFormat[]
}

/** Pixels above this are refused even when a route sets no limit: decoding more risks running out of memory. */
export const HARD_MAX_PIXELS = 268_402_689 // 16383², libvips' own default ceiling

/** Used when no model is chosen yet (browsing a folder): generous, but still guarded. */
export const DEFAULT_LIMITS: UploadLimits = {
  maxInputBytes: 200 * 1024 * 1024,
  maxPixels: 100_000_000,
  maxLongEdge: 4096,
  minEdge: 1,
  acceptedFormats: ['png', 'jpeg', 'webp']
}

export type Verdict = { ok: true } | { ok: false; error: AppErrorData }

export interface AssetInfo {
  /** Absolute path as imported (not resolved through symlinks). */
  path: string
  /** Type from content; null when the bytes match no image type. */
  format: ImageFormat | null
  /** Stored pixel size, before EXIF orientation; 0 when unknown. */
  width: number
  height: number
  /** Size as shown, after EXIF orientation. */
  displayWidth: number
  displayHeight: number
  bytes: number
  mtimeMs: number
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number
  alpha: boolean
  /** libvips interpretation: srgb, cmyk, b-w, rgb16, grey16... ('' when unknown). */
  space: string
  /** Bits per sample (8 or 16 for most files; 0 when unknown). */
  bitsPerSample: number
  /** Pages or animation frames. */
  pages: number
  /** Hex sha256 of the whole file, streamed; '' when the file could not be read. */
  sha256: string
  verdict: Verdict
}

export interface LibraryAsset extends AssetInfo {
  /** Stable id derived from the path: what the renderer uses instead of paths. */
  id: string
  /** The imported folder this file was found in; absent for files imported on their own. */
  root?: string
}

/** A small rendering of an image, made by the decode that validated it and kept by the thumbnail cache. */
export interface Preview {
  data: Buffer
  format: 'jpeg' | 'webp'
  width: number
  height: number
}
