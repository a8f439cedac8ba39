import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import type { Preview } from './types'
import { rasterFormatOf } from './raster'
import { HARD_MAX_PIXELS } from './types'

/**
 * What a cached picture is for. Thumbnails and display renditions of the same size differ in
 * quality and must not be served for one another.
 */
export type CacheKind = 'thumb' | 'display'

export interface CachedThumbnail {
  path: string
  mime: 'image/jpeg' | 'image/webp'
  bytes: number
  /** The file's content when it was made moments ago and is still held in memory. */
  data?: Buffer
}

interface Entry {
  file: string
  bytes: number
  usedAt: number
}

const FILE_RE = /^([0-9a-f]{64})-(d?\d{1,5})\.(jpg|webp)$/

/**
 * Thumbnails and display renditions on disk, keyed by content hash, kind and size (a renamed or
 * moved photo keeps them),
 * bounded in bytes with least-recently-used eviction. Last use is kept in the file's mtime so the order
 * survives restarts.
 */
export class ThumbnailCache {
  private readonly entries = new Map<string, Entry>()
  private total = 0
  private loaded: Promise<void> | undefined
  /**
   * The pictures made last, in the order made. During an import the window asks for exactly these, while
   * the decoding of the next files keeps every file thread busy: answered from memory, a new thumbnail
   * reaches the screen without queueing its file reads behind that work.
   */
  private readonly recent = new Map<string, Buffer>()
  private recentBytes = 0

  constructor(
    readonly dir: string,
    readonly maxBytes: number = 512 * 1024 * 1024,
    readonly recentMaxBytes: number = 8 * 1024 * 1024
  ) {}

  get totalBytes(): number {
    return this.total
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      await mkdir(this.dir, { recursive: true })
      for (const file of await readdir(this.dir)) {
        const m = FILE_RE.exec(file)
        if (!m) continue
        try {
          const st = await stat(join(this.dir, file))
          this.entries.set(`${m[1]}-${m[2]}`, { file, bytes: st.size, usedAt: st.mtimeMs })
          this.total += st.size
        } catch {
          // Removed while listing: nothing to account for.
        }
      }
      await this.evict()
    })()
    return this.loaded
  }

  /** The cached thumbnail, or undefined; marks it as recently used. */
  async get(sha256: string, size: number, kind: CacheKind = 'thumb'): Promise<CachedThumbnail | undefined> {
    await this.load()
    const key = cacheKey(sha256, size, kind)
    const entry = this.entries.get(key)
    if (!entry) return undefined
    const path = join(this.dir, entry.file)
    entry.usedAt = Date.now()
    const data = this.recent.get(key)
    if (data) {
      // The use is still recorded on disk for the order after a restart, without making this answer wait on it.
      const now = new Date(entry.usedAt)
      void utimes(path, now, now).catch(() => undefined)
      return { path, mime: mimeOf(entry.file), bytes: entry.bytes, data }
    }
    try {
      const now = new Date(entry.usedAt)
      await utimes(path, now, now)
    } catch {
      this.forget(key)
      return undefined
    }
    return { path, mime: mimeOf(entry.file), bytes: entry.bytes }
  }

  async has(sha256: string, size: number, kind: CacheKind = 'thumb'): Promise<boolean> {
    await this.load()
    return this.entries.has(cacheKey(sha256, size, kind))
  }

  async put(sha256: string, size: number, preview: Pick<Preview, 'data' | 'format'>, kind: CacheKind = 'thumb'): Promise<CachedThumbnail> {
    await this.load()
    const key = cacheKey(sha256, size, kind)
    const file = `${key}.${preview.format === 'webp' ? 'webp' : 'jpg'}`
    const path = join(this.dir, file)
    // Rename over a unique temp name so a reader never sees a half-written thumbnail.
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
    await writeFile(tmp, preview.data)
    await rename(tmp, path)
    const previous = this.entries.get(key)
    if (previous) this.total -= previous.bytes
    this.entries.set(key, { file, bytes: preview.data.length, usedAt: Date.now() })
    this.total += preview.data.length
    this.remember(key, preview.data)
    await this.evict(key)
    return { path, mime: mimeOf(file), bytes: preview.data.length, data: preview.data }
  }

  private remember(key: string, data: Buffer): void {
    this.dropRecent(key)
    this.recent.set(key, data)
    this.recentBytes += data.length
    for (const [oldest] of this.recent) {
      if (this.recentBytes <= this.recentMaxBytes) break
      this.dropRecent(oldest)
    }
  }

  private dropRecent(key: string): void {
    const data = this.recent.get(key)
    if (!data) return
    this.recentBytes -= data.length
    this.recent.delete(key)
  }

  async read(sha256: string, size: number, kind: CacheKind = 'thumb'): Promise<{ data: Buffer; mime: CachedThumbnail['mime'] } | undefined> {
    const hit = await this.get(sha256, size, kind)
    if (!hit) return undefined
    if (hit.data) return { data: hit.data, mime: hit.mime }
    try {
      return { data: await readFile(hit.path), mime: hit.mime }
    } catch {
      this.forget(cacheKey(sha256, size, kind))
      return undefined
    }
  }

  private forget(key: string): void {
    const entry = this.entries.get(key)
    if (!entry) return
    this.total -= entry.bytes
    this.entries.delete(key)
    this.dropRecent(key)
  }

  private async evict(keep?: string): Promise<void> {
    if (this.total <= this.maxBytes) return
    const oldest = [...this.entries.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)
    for (const [key, entry] of oldest) {
      if (this.total <= this.maxBytes) break
      if (key === keep) continue
      this.forget(key)
      await unlink(join(this.dir, entry.file)).catch(() => undefined)
    }
  }
}

const mimeOf = (file: string): CachedThumbnail['mime'] => (file.endsWith('.webp') ? 'image/webp' : 'image/jpeg')

const cacheKey = (sha256: string, size: number, kind: CacheKind) => `${sha256}-${kind === 'display' ? 'd' : ''}${size}`

/**
 * One thumbnail of an image already known to be valid: shrink-on-load (JPEG and WebP decode at a
 * fraction of their size), EXIF orientation applied, first frame only. Takes the bytes, not a path,
 * so what is decoded is what was sniffed: anything but a raster type is refused before libvips sees it.
 */
export async function renderThumbnail(
  bytes: Buffer,
  size: number,
  alpha: boolean,
  maxPixels = HARD_MAX_PIXELS,
  timeoutSeconds = 30
): Promise<Preview> {
  rasterFormatOf(bytes, 'The file')
  const pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, pages: 1, sequentialRead: true })
    .timeout({ seconds: timeoutSeconds })
    .autoOrient()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
  const out = alpha ? pipeline.webp({ quality: 80, effort: 2 }) : pipeline.jpeg({ quality: 80 })
  const { data, info } = await out.toBuffer({ resolveWithObject: true })
  return { data, format: alpha ? 'webp' : 'jpeg', width: info.width, height: info.height }
}
