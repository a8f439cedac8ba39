import { constants } from 'node:fs'
import { open, realpath, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { detectImageFormat, FORMAT_MIME, SNIFF_BYTES, type ImageFormat } from '../core/imageformat'
import { browserDisplayable, DEFAULT_DISPLAY_SIZE, displaySizeFor } from '../core/library/display'
import type { Library } from '../core/library/library'
import { isInside } from '../core/library/scan'
import { DEFAULT_OUTPUT_FOLDER } from '../core/outputs'

export interface AssetHandlerOptions {
  library: Library
  /** Where the handler is mounted, e.g. "pixdesk-asset://local/" or "http://127.0.0.1:5173/asset/". */
  baseUrl: string
  /** Path of output `index` of a history record, as the history recorded it. */
  resolveOutput?: (recordId: string, index: number) => Promise<string | undefined> | string | undefined
  /** The data folder's `masks/`, where masks of edits are kept by their sha256. */
  masksDir?: string
  /** A brand kit's image by kit id and content hash, and the kits folder it must lie in. */
  kitImages?: { dir: string; resolve(kitId: string, sha256: string): Promise<string | undefined> }
}

/**
 * Raster types a browser may be handed as stored; never SVG (a document that can run script), and
 * never TIFF (no browser decodes it: usable TIFFs are served as display renditions instead).
 */
const SERVABLE: ReadonlySet<ImageFormat> = new Set(['png', 'jpeg', 'webp', 'gif', 'avif'])

const ROUTES = {
  thumb: /^thumb\/([0-9a-f]{24})$/,
  original: /^original\/([0-9a-f]{24})$/,
  display: /^display\/([0-9a-f]{24})$/,
  output: /^output\/([A-Za-z0-9_-]{1,128})\/(\d{1,4})$/,
  mask: /^mask\/([0-9a-f]{64})$/,
  kit: /^kit\/([a-z0-9-]{1,100})\/([0-9a-f]{64})$/
}

const text = (status: number, message: string) =>
  new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' } })

/**
 * The renderer's only way to files: fetch-style, so Electron registers it for its custom scheme and
 * the browser harness mounts it on http. URLs name assets by id (`thumb/<id>?size=256`,
 * `original/<id>[?size=2048]`, `display/<id>[?size=2048]`, `output/<recordId>/<index>`, `mask/<sha256>`, `kit/<kit id>/<sha256>`), never by
 * path. An original a browser can show is served byte for byte; any other (TIFF, CMYK, 16-bit...) as
 * an upright 8-bit sRGB display rendition of at most `size` px, marked `X-Pixdesk-Rendition: display`.
 * `display/` is what the viewer compares against a result: the original itself only when a browser
 * shows it upright and it already fits within `size`, else that rendition, so a 24 MP photo never
 * reaches the renderer whole. Whatever a URL resolves to must also really lie (symlinks resolved)
 * inside an imported folder, an output folder or the thumbnail cache.
 */
export function createAssetHandler(options: AssetHandlerOptions): (request: Request) => Promise<Response> {
  const base = new URL(options.baseUrl)
  const { library } = options

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Only GET and HEAD are allowed.')
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return text(400, 'Malformed URL.')
    }
    if (url.protocol !== base.protocol || url.host !== base.host || !url.pathname.startsWith(base.pathname)) {
      return text(404, 'Not an asset URL.')
    }
    const rest = url.pathname.slice(base.pathname.length)
    // Ids never need escaping, dots or backslashes: any of them means someone is probing for paths.
    if (/[%\\.:]|\/\//.test(rest) || /\.\.|%2e|%2f|%5c/i.test(request.url)) return text(400, 'Refused: asset URLs name assets by id only.')
    const head = request.method === 'HEAD'

    let m = ROUTES.thumb.exec(rest)
    if (m) {
      const sizeParam = url.searchParams.get('size') ?? '256'
      if (!/^\d{1,4}$/.test(sizeParam)) return text(400, 'size must be a whole number of pixels.')
      const thumb = await library.thumbnail(m[1]!, Number(sizeParam))
      if (!thumb) return text(404, 'No thumbnail for this asset.')
      if (thumb.data) return new Response(head ? null : new Uint8Array(thumb.data), { status: 200, headers: imageHeaders(thumb.mime, thumb.data.length) })
      return serveFile(thumb.path, [library.thumbnailCacheDir], head, thumb.mime)
    }
    m = ROUTES.original.exec(rest) ?? ROUTES.display.exec(rest)
    if (m) {
      const asset = library.get(m[1]!)
      if (!asset) return text(404, 'Unknown asset.')
      const allowed = [...library.importedRoots(), ...library.importedFiles().filter((f) => f === asset.path)]
      const sizeParam = url.searchParams.get('size')
      if (sizeParam !== null && !/^\d{1,4}$/.test(sizeParam)) return text(400, 'size must be a whole number of pixels.')
      const bound = sizeParam === null ? DEFAULT_DISPLAY_SIZE : Number(sizeParam)
      const wantsDisplay = rest.startsWith('display/')
      if (!asset.verdict.ok) return wantsDisplay ? text(404, 'This file cannot be shown: it is not a usable image.') : serveFile(asset.path, allowed, head)
      // An EXIF-turned JPEG stays as stored for `original/`, where the browser turns it; the viewer gets it upright.
      const asStored = wantsDisplay ? browserDisplayable(asset) && asset.orientation === 1 && Math.max(asset.width, asset.height) <= displaySizeFor(bound) : browserDisplayable(asset)
      if (asStored) return serveFile(asset.path, allowed, head)
      // The original must still be servable itself: a rendition is no way around the folder check.
      const refused = await refuseOutside(asset.path, allowed)
      if (refused) return refused
      const rendition = await library.displayRendition(asset.id, bound)
      if (!rendition) return text(404, 'No display version of this file could be made: it changed since it was imported. Import it again.')
      return serveFile(rendition.path, [library.thumbnailCacheDir], head, rendition.mime, { 'X-Pixdesk-Rendition': 'display' })
    }
    m = ROUTES.output.exec(rest)
    if (m && options.resolveOutput) {
      const path = await options.resolveOutput(m[1]!, Number(m[2]))
      if (!path) return text(404, 'Unknown output.')
      const besideImported = library.importedFiles().map((f) => join(dirname(f), DEFAULT_OUTPUT_FOLDER))
      return serveFile(path, [...library.outputFolders(), ...library.importedRoots(), ...besideImported], head)
    }
    m = ROUTES.mask.exec(rest)
    if (m && options.masksDir) return serveFile(join(options.masksDir, `${m[1]!}.png`), [options.masksDir], head, 'image/png')
    m = ROUTES.kit.exec(rest)
    if (m && options.kitImages) {
      const path = await options.kitImages.resolve(m[1]!, m[2]!)
      return path ? serveFile(path, [options.kitImages.dir], head) : text(404, 'Unknown brand kit image.')
    }
    return text(404, 'Unknown asset route.')
  }
}

/** The real path of `path` when it lies inside one of `allowed` (all resolved), else the refusal. */
async function allowedRealPath(path: string, allowed: readonly string[]): Promise<string | Response> {
  let real: string
  try {
    real = await realpath(path)
  } catch {
    return text(404, 'File not found.')
  }
  const realAllowed = await Promise.all(allowed.map((a) => realpath(a).catch(() => undefined)))
  if (!realAllowed.some((a) => a !== undefined && (a === real || isInside(a, real)))) {
    return text(403, 'Refused: the file is outside the imported folders, output folders and cache.')
  }
  return real
}

async function refuseOutside(path: string, allowed: readonly string[]): Promise<Response | undefined> {
  const real = await allowedRealPath(path, allowed)
  return typeof real === 'string' ? undefined : real
}

function imageHeaders(type: string, size: number, extraHeaders: Record<string, string> = {}): Record<string, string> {
  return {
    'Content-Type': type,
    'Content-Length': String(size),
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    ...extraHeaders
  }
}

async function serveFile(path: string, allowed: readonly string[], head: boolean, mime?: string, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const real = await allowedRealPath(path, allowed)
  if (typeof real !== 'string') return real
  let fh: FileHandle
  try {
    // The resolved path, opened without following a link that appeared since it was resolved.
    fh = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch {
    return text(404, 'File not found.')
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) {
      await fh.close()
      return text(404, 'Not a file.')
    }
    let type = mime
    if (!type) {
      const probe = Buffer.alloc(SNIFF_BYTES)
      const { bytesRead } = await fh.read(probe, 0, SNIFF_BYTES, 0)
      const format = detectImageFormat(probe.subarray(0, bytesRead))
      if (!format || !SERVABLE.has(format)) {
        await fh.close()
        return text(415, 'Refused: not a raster image.')
      }
      type = FORMAT_MIME[format]
    }
    const headers = imageHeaders(type, st.size, extraHeaders)
    if (head) {
      await fh.close()
      return new Response(null, { status: 200, headers })
    }
    const stream = Readable.toWeb(fh.createReadStream({ start: 0, autoClose: true })) as ReadableStream<Uint8Array>
    return new Response(stream, { status: 200, headers })
  } catch {
    await fh.close().catch(() => undefined)
    return text(500, 'The file could not be read.')
  }
}
