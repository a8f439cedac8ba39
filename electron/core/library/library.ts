import { createHash, randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { mkdir, realpath, stat, unlink } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { AppError, toAppErrorData, type AppErrorData } from '../../../shared/errors'
import { detectImageFormat, SNIFF_BYTES } from '../imageformat'
import { DEFAULT_DISPLAY_SIZE, displaySizeFor, renderDisplay } from './display'
import { emptyInfo, formatName, fsErrorReason, inspectWithPreview, svgRefusal } from './inspect'
import { Limiter } from './limiter'
import { writePastedFile } from './paste'
import { isDecodable, readCapped } from './raster'
import { isInside, scanFolder } from './scan'
import { loadIndex, saveIndex } from './store'
import { renderThumbnail, ThumbnailCache, type CacheKind, type CachedThumbnail } from './thumbnails'
import { DEFAULT_LIMITS, type LibraryAsset, type Preview, type UploadLimits } from './types'
import { FolderWatcher, type FolderChange } from './watch'

/** Sizes the cache keeps; a request for another size is served the next larger one. */
const THUMBNAIL_SIZES = [128, 256, 512, 1024] as const
const DEFAULT_THUMBNAIL_SIZE = 256
/** About what a library window shows before scrolling at the default thumbnail size. */
const FIRST_SCREEN_FILES = 24

export type AssetChange = { type: 'added' | 'updated'; asset: LibraryAsset } | { type: 'removed'; assetId: string; path: string }

export interface ImportProgress {
  importId: string
  /** Files found so far (grows while folders are still being scanned). */
  found: number
  done: number
  failed: number
  finished: boolean
}

export interface ImportSummary {
  importId: string
  assets: number
  ok: number
  failed: number
  /** Files recognised unchanged from the index: no decoding, no hashing. */
  reused: number
  errors: AppErrorData[]
}

export interface LibraryEvents {
  /** A path given to importPaths is now an imported root or file (before its contents are scanned). */
  registered: [string]
  asset: [AssetChange]
  thumbnail: [{ assetId: string; size: number }]
  progress: [ImportProgress]
}

export interface LibraryOptions {
  dataDir: string
  cacheDir: string
  /** Limits files are judged by while browsing (per-model checks use checkAgainstLimits). */
  limits?: UploadLimits
  /** Files worked on at once (default: two per core). */
  concurrency?: number
  thumbnailCacheBytes?: number
  /** Output folder name written beside sources, skipped when scanning. */
  outputFolderName?: string
  /** Configured output folders: skipped when scanning, servable by the asset handler. */
  outputFolders?: () => readonly string[]
  /** Watch imported folders for changes (default true). */
  watch?: boolean
  watchDebounceMs?: number
}

export const assetIdFor = (path: string) => createHash('sha256').update(resolve(path)).digest('hex').slice(0, 24)

/**
 * The local image library: imported folders and files, their inspection results and thumbnails. Results
 * stream out as events while an import runs; the state persists in the data folder.
 */
export class Library extends EventEmitter<LibraryEvents> {
  private readonly assets = new Map<string, LibraryAsset>()
  private readonly roots = new Set<string>()
  private readonly files = new Set<string>()
  private readonly limiter: Limiter
  private readonly thumbs: ThumbnailCache
  private readonly indexFile: string
  private readonly limits: UploadLimits
  private readonly limitsKey: string
  private watcher: FolderWatcher | undefined
  /** Set by close: an import still running finishes its files but starts no new watcher. */
  private closed = false
  private saveTimer: NodeJS.Timeout | undefined
  private saving: Promise<void> = Promise.resolve()
  private readonly rendering = new Map<string, Promise<CachedThumbnail | undefined>>()

  private constructor(private readonly options: LibraryOptions) {
    super()
    this.limits = options.limits ?? DEFAULT_LIMITS
    this.limitsKey = JSON.stringify(this.limits)
    // Two per core: each file also waits on reads and hashes on the main thread, and with only one per
    // core those gaps leave the cores idle while the decoder could be working on the next file.
    this.limiter = new Limiter(options.concurrency ?? Math.max(2, 2 * availableParallelism()))
    this.thumbs = new ThumbnailCache(join(options.cacheDir, 'thumbnails'), options.thumbnailCacheBytes)
    this.indexFile = join(options.dataDir, 'library.json')
  }

  /** Loads the persisted index and starts watching the folders it lists. */
  static async open(options: LibraryOptions): Promise<Library> {
    const library = new Library(options)
    await mkdir(options.dataDir, { recursive: true })
    const index = await loadIndex(library.indexFile, library.limitsKey)
    for (const asset of index.assets) library.assets.set(asset.id, asset)
    for (const file of index.files) library.files.add(file)
    for (const root of index.roots) {
      library.roots.add(root)
      await library.watchRoot(root)
    }
    return library
  }

  /** Whether imported folders are watched for changes (the app does; one-shot commands do not). */
  get watching(): boolean {
    return this.options.watch !== false
  }

  get thumbnailCacheDir(): string {
    return this.thumbs.dir
  }

  /** Resolves once every given path is an imported root or file, which importPaths does before scanning. */
  whenRegistered(paths: readonly string[]): Promise<void> {
    const pending = new Set(paths.map((p) => resolve(p)).filter((p) => !this.roots.has(p) && !this.files.has(p)))
    if (pending.size === 0) return Promise.resolve()
    return new Promise((done) => {
      const onRegistered = (path: string) => {
        pending.delete(path)
        if (pending.size > 0) return
        this.off('registered', onRegistered)
        done()
      }
      this.on('registered', onRegistered)
    })
  }

  list(): LibraryAsset[] {
    return [...this.assets.values()].sort((a, b) => a.path.localeCompare(b.path))
  }

  get(assetId: string): LibraryAsset | undefined {
    return this.assets.get(assetId)
  }

  /** Imported folders (as given, absolute). */
  importedRoots(): string[] {
    return [...this.roots]
  }

  /** Files imported on their own (dropped, pasted, picked). */
  importedFiles(): string[] {
    return [...this.files]
  }

  /** Configured output folders (the default `pixdesk` folder beside a source needs no configuration). */
  outputFolders(): readonly string[] {
    return this.options.outputFolders?.() ?? []
  }

  /** Never imported: output folders, and the app's own data and cache should they sit in a chosen folder. */
  private skippedFolders(): readonly string[] {
    return [...this.outputFolders(), resolve(this.options.dataDir), resolve(this.options.cacheDir)]
  }

  /**
   * Import folders (recursively) and single files. Each file is reported through `onAsset` and the
   * `asset` event as soon as it is inspected; thumbnails for the default size are cached on the way.
   * One bad file or folder never stops the rest.
   */
  async importPaths(paths: readonly string[], onAsset?: (asset: LibraryAsset) => void): Promise<ImportSummary> {
    const importId = randomUUID()
    const summary: ImportSummary = { importId, assets: 0, ok: 0, failed: 0, reused: 0, errors: [] }
    const progress: ImportProgress = { importId, found: 0, done: 0, failed: 0, finished: false }
    const tasks: Promise<void>[] = []
    const seen = new Set<string>()
    const report = () => this.emit('progress', { ...progress })

    const enqueue = (path: string, root: string | undefined) => {
      if (seen.has(path)) return
      seen.add(path)
      progress.found++
      if (progress.found % 64 === 0) report()
      tasks.push(
        this.limiter.run(async () => {
          // Its folder or the file itself was removed while the import was still on its way to it.
          if (!this.stillImported(path, root)) return
          const processed = await this.processFile(path, root)
          if (!processed) return
          const { asset, reused } = processed
          summary.assets++
          if (reused) summary.reused++
          if (asset.verdict.ok) summary.ok++
          else summary.failed++
          progress.done++
          if (!asset.verdict.ok) progress.failed++
          onAsset?.(asset)
          if (progress.done % 25 === 0) report()
        })
      )
    }

    for (const given of paths) {
      const path = resolve(given)
      let isDir = false
      try {
        isDir = (await stat(path)).isDirectory()
      } catch {
        // Reported below as this file's verdict.
      }
      if (!isDir) {
        this.files.add(path)
        this.emit('registered', path)
        enqueue(path, undefined)
        continue
      }
      this.roots.add(path)
      this.emit('registered', path)
      const queuedBefore = tasks.length
      await this.scanInto(path, enqueue, summary)
      // The watcher's first walk of a big tree (a stat and a watch per entry) holds the event loop and
      // the file threads for a while: it starts once the first screen of this folder is inspected, so
      // those thumbnails are not kept waiting behind it. A file created before the watcher saw its
      // folder is caught by a second look once it is ready.
      await Promise.all(tasks.slice(queuedBefore, queuedBefore + FIRST_SCREEN_FILES))
      if (this.watching && this.roots.has(path)) {
        await this.watchRoot(path)
        await this.scanInto(path, enqueue, undefined)
      }
      report()
    }
    await Promise.all(tasks)
    progress.finished = true
    report()
    this.scheduleSave(0)
    await this.flush()
    return summary
  }

  /** Enqueues every file under `root` not seen yet; folder errors go into `summary` when given. */
  private async scanInto(root: string, enqueue: (path: string, root: string) => void, summary: ImportSummary | undefined): Promise<void> {
    for await (const item of scanFolder(root, { skipFolderNames: [this.outputFolderName], skipFolders: this.skippedFolders() })) {
      if (item.kind === 'file') enqueue(item.path, root)
      else if (summary) {
        const [code, message] = fsErrorReason(item.error, item.path)
        summary.errors.push({ code, message, path: item.path })
      }
    }
  }

  /**
   * A thumbnail of an asset at one of THUMBNAIL_SIZES (others round up), from the cache or made now.
   * Undefined for files that have no preview (their verdict says why).
   */
  async thumbnail(assetId: string, requestedSize: number = DEFAULT_THUMBNAIL_SIZE): Promise<CachedThumbnail | undefined> {
    const size = THUMBNAIL_SIZES.find((s) => s >= requestedSize) ?? THUMBNAIL_SIZES[THUMBNAIL_SIZES.length - 1]!
    return this.cachedRendering(assetId, size, 'thumb')
  }

  /**
   * What the renderer shows for an original it cannot display as stored (see browserDisplayable):
   * upright, sRGB, 8-bit, at most `requestedSize` px (rounded up to one of DISPLAY_SIZES) on the long
   * edge, cached beside the thumbnails. Undefined for unusable files and for files whose content no
   * longer matches what was imported (the original is never decoded blindly).
   */
  async displayRendition(assetId: string, requestedSize: number = DEFAULT_DISPLAY_SIZE): Promise<CachedThumbnail | undefined> {
    return this.cachedRendering(assetId, displaySizeFor(requestedSize), 'display')
  }

  /**
   * Import an image that has no file yet (pasted from the clipboard). The content is checked before
   * anything is written: only PNG, JPEG, WebP, GIF, AVIF or TIFF bytes within the size limit are saved,
   * as a new file under `<dataDir>/pasted/` named by date and typed by content (the suggested name
   * only lends its readable part). Throws AppError when the bytes cannot be used; nothing is kept then.
   */
  async importBytes(bytes: Buffer, suggestedName?: string): Promise<LibraryAsset> {
    const what = 'The pasted image'
    if (bytes.length === 0) throw new AppError({ code: 'empty_file', message: `${what} is empty: nothing was copied. Copy the image again.` })
    if (bytes.length > this.limits.maxInputBytes) {
      const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`
      throw new AppError({ code: 'too_many_bytes', message: `${what} is ${mb(bytes.length)}; the limit is ${mb(this.limits.maxInputBytes)}. Save it as a smaller file and import that.` })
    }
    const format = detectImageFormat(bytes.subarray(0, SNIFF_BYTES))
    if (format === 'svg') throw new AppError({ code: 'svg_refused', message: svgRefusal('The pasted image') })
    if (format === 'heic') throw new AppError({ code: 'heic_unsupported', message: `${what} is HEIC, which is not supported; export it as JPEG or PNG.` })
    if (!isDecodable(format)) {
      const kind = format ? `${formatName(format)}, which is not supported` : 'not an image: its content matches no image type'
      throw new AppError({ code: 'unsupported_format', message: `${what} is ${kind}. Copy a PNG, JPEG or WebP image (the picture itself, not a link or text).` })
    }
    const dir = join(this.options.dataDir, 'pasted')
    let path: string
    try {
      path = await writePastedFile(dir, bytes, format, suggestedName)
    } catch (err) {
      const [code, reason] = fsErrorReason(err, dir)
      throw new AppError({ code, message: `${what} could not be saved into ${dir}: ${reason} Check that the folder is writable and the disk has room.` }, { cause: err })
    }
    await this.importPaths([path])
    const asset = this.assets.get(assetIdFor(path))
    if (asset?.verdict.ok) return asset
    // Unusable after all (e.g. damaged data behind a valid header): keep neither the file nor the entry.
    if (asset) this.removeAsset(asset)
    this.files.delete(path)
    await unlink(path).catch(() => undefined)
    this.scheduleSave(0)
    await this.flush()
    const error: AppErrorData = asset && !asset.verdict.ok ? asset.verdict.error : { code: 'internal', message: 'the import did not report it' }
    throw new AppError({ ...error, path: undefined, message: `${what} cannot be used: ${error.message}` })
  }

  /**
   * Forgets an imported folder (and everything found in it) or a file imported on its own; their files
   * are untouched. An import of it still running skips the files it has not reached.
   */
  async removeRoot(root: string): Promise<void> {
    const path = resolve(root)
    if (this.files.delete(path)) {
      const asset = this.assets.get(assetIdFor(path))
      if (asset && !asset.root) this.removeAsset(asset)
    }
    if (this.roots.delete(path)) await this.watcher?.remove(path)
    for (const asset of [...this.assets.values()]) {
      if (asset.root === path) this.removeAsset(asset)
    }
    this.scheduleSave(0)
    await this.flush()
  }

  /** Writes the index now (also done automatically after imports and changes). */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer)
      this.saveTimer = undefined
      this.saving = this.saving.then(() => this.writeIndex())
    }
    await this.saving
  }

  async close(): Promise<void> {
    this.closed = true
    await this.watcher?.close()
    this.watcher = undefined
    this.scheduleSave(0)
    await this.flush()
  }

  private get outputFolderName(): string {
    return (this.options.outputFolderName ?? 'pixdesk').toLowerCase()
  }

  /** Inspects one file into the library; undefined when its folder or itself was removed meanwhile. */
  private async processFile(path: string, root: string | undefined): Promise<{ asset: LibraryAsset; reused: boolean } | undefined> {
    const id = assetIdFor(path)
    const previous = this.assets.get(id)
    try {
      const st = await stat(path)
      if (!this.stillImported(path, root)) return undefined
      if (previous && previous.bytes === st.size && previous.mtimeMs === st.mtimeMs) {
        // Unchanged since last seen: reuse everything; only a missing thumbnail costs a decode.
        const asset = root && previous.root !== root ? { ...previous, root } : previous
        this.assets.set(id, asset)
        if (asset.verdict.ok && !(await this.thumbs.has(asset.sha256, DEFAULT_THUMBNAIL_SIZE))) {
          await this.renderDefaultThumbnail(asset)
        }
        return { asset, reused: true }
      }
    } catch {
      // inspectWithPreview gives the precise reason below.
    }
    let result: Awaited<ReturnType<typeof inspectWithPreview>>
    try {
      result = await inspectWithPreview(path, this.limits, { previewSize: DEFAULT_THUMBNAIL_SIZE })
    } catch (err) {
      // inspect never throws for a bad file; anything here is unexpected, still only this file's problem.
      const error = { ...toAppErrorData(err), path }
      result = { info: { ...emptyInfo(path), verdict: { ok: false, error } } }
    }
    const asset: LibraryAsset = { ...result.info, id, ...(root ? { root } : {}) }
    if (!this.stillImported(path, root)) return undefined
    // In the library from the moment it is announced, with its thumbnail: never listed before the event.
    if (result.preview && asset.verdict.ok) {
      await this.thumbs.put(asset.sha256, DEFAULT_THUMBNAIL_SIZE, result.preview)
      if (!this.stillImported(path, root)) return undefined
      this.assets.set(id, asset)
      this.emit('asset', { type: previous ? 'updated' : 'added', asset })
      this.emit('thumbnail', { assetId: id, size: DEFAULT_THUMBNAIL_SIZE })
    } else {
      this.assets.set(id, asset)
      this.emit('asset', { type: previous ? 'updated' : 'added', asset })
    }
    this.scheduleSave()
    return { asset, reused: false }
  }

  private async renderDefaultThumbnail(asset: LibraryAsset): Promise<void> {
    try {
      const bytes = await this.readAsImported(asset)
      if (!bytes) return
      const preview = await renderThumbnail(bytes, DEFAULT_THUMBNAIL_SIZE, asset.alpha)
      await this.thumbs.put(asset.sha256, DEFAULT_THUMBNAIL_SIZE, preview)
      this.emit('thumbnail', { assetId: asset.id, size: DEFAULT_THUMBNAIL_SIZE })
    } catch {
      // The file changed under us since it was indexed; the watcher or next import re-inspects it.
    }
  }

  /**
   * The file's bytes, only if they are still those that were inspected. Renderings are cached by that
   * hash, and the inspection is what proved the content a decodable raster: anything else is not decoded.
   */
  private async readAsImported(asset: LibraryAsset): Promise<Buffer | undefined> {
    let bytes: Buffer
    try {
      bytes = await readCapped(asset.path, Math.max(asset.bytes, 1))
    } catch {
      return undefined
    }
    return createHash('sha256').update(bytes).digest('hex') === asset.sha256 ? bytes : undefined
  }

  private async cachedRendering(assetId: string, size: number, kind: CacheKind): Promise<CachedThumbnail | undefined> {
    const asset = this.assets.get(assetId)
    if (!asset || !asset.verdict.ok) return undefined
    const hit = await this.thumbs.get(asset.sha256, size, kind)
    if (hit) return hit
    const key = `${asset.sha256}-${kind}-${size}`
    let job = this.rendering.get(key)
    if (!job) {
      job = this.limiter
        .run(
          async () => {
            const bytes = await this.readAsImported(asset)
            if (!bytes) return undefined
            let made: Preview
            if (kind === 'thumb') made = await renderThumbnail(bytes, size, asset.alpha)
            else made = await renderDisplay(bytes, size, asset.alpha)
            const stored = await this.thumbs.put(asset.sha256, size, made, kind)
            if (kind === 'thumb') this.emit('thumbnail', { assetId, size })
            return stored
          },
          // Someone is waiting to see it: it goes ahead of the files an import has queued.
          { urgent: true }
        )
        .catch(() => undefined)
        .finally(() => this.rendering.delete(key))
      this.rendering.set(key, job)
    }
    return job
  }

  private removeAsset(asset: LibraryAsset): void {
    this.assets.delete(asset.id)
    this.files.delete(asset.path)
    this.emit('asset', { type: 'removed', assetId: asset.id, path: asset.path })
    this.scheduleSave()
  }

  private stillImported(path: string, root: string | undefined): boolean {
    return root ? this.roots.has(root) : this.files.has(path)
  }

  private async watchRoot(root: string): Promise<void> {
    if (this.options.watch === false || this.closed) return
    this.watcher ??= new FolderWatcher((changes) => void this.applyChanges(changes), {
      debounceMs: this.options.watchDebounceMs,
      skipFolderNames: [this.outputFolderName],
      skipFolders: () => this.skippedFolders()
    })
    await this.watcher.add(root)
  }

  private async applyChanges(changes: FolderChange[]): Promise<void> {
    for (const change of changes) {
      if (change.kind === 'remove') {
        // A removed folder removes everything below it.
        for (const asset of [...this.assets.values()]) {
          if (asset.path === change.path || isInside(change.path, asset.path)) this.removeAsset(asset)
        }
        continue
      }
      const root = [...this.roots].find((r) => isInside(r, change.path))
      if (!root) continue
      await this.limiter.run(() => this.processFile(change.path, root))
    }
    this.scheduleSave()
  }

  private scheduleSave(delayMs = 1000): void {
    if (this.saveTimer) clearTimeout(this.saveTimer)
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      this.saving = this.saving.then(() => this.writeIndex())
    }, delayMs)
  }

  private async writeIndex(): Promise<void> {
    try {
      await saveIndex(this.indexFile, {
        version: 1,
        limitsKey: this.limitsKey,
        roots: [...this.roots],
        files: [...this.files],
        assets: [...this.assets.values()]
      })
    } catch {
      // The index is a cache of the files: failing to save it costs a slower next start, nothing more.
    }
  }

  /** Real paths of everything the asset handler may serve from. */
  async allowedRoots(): Promise<string[]> {
    const dirs = [...this.roots, ...this.outputFolders(), this.thumbs.dir]
    const real = await Promise.all(dirs.map((d) => realpath(d).catch(() => undefined)))
    return real.filter((d): d is string => d !== undefined)
  }
}

