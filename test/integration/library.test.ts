import { createHash } from 'node:crypto'
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Library, type AssetChange } from '../../electron/core/library/library'
import type { LibraryAsset } from '../../electron/core/library/types'
import { ThumbnailCache } from '../../electron/core/library/thumbnails'
import { orientationSamples, pngSuite, realPhotos } from '../support/corpus'
import { generateCorpus, type GeneratedCorpus } from '../support/library-fixtures'
import { pictureDistance } from '../support/pixels'

const tmp = mkdtempSync(join(tmpdir(), 'pixdesk-library-int-'))
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const opened: Library[] = []
const openLibrary = async (name: string, extra: Partial<Parameters<typeof Library.open>[0]> = {}) => {
  const lib = await Library.open({ dataDir: join(tmp, name, 'data'), cacheDir: join(tmp, name, 'cache'), watch: false, ...extra })
  opened.push(lib)
  return lib
}
const thumbOf = async (lib: Library, asset: LibraryAsset, size = 256) => {
  const t = await lib.thumbnail(asset.id, size)
  expect(t, asset.path).toBeDefined()
  return readFileSync(t!.path)
}

afterAll(async () => {
  await Promise.all(opened.map((l) => l.close()))
  rmSync(tmp, { recursive: true, force: true })
})

describe('real third-party material', () => {
  it('PngSuite: every valid sample gets a thumbnail, every corrupted one a specific reason', async () => {
    const suite = pngSuite()
    expect(suite.corrupted).toHaveLength(14)
    const before = new Map([...suite.valid, ...suite.corrupted].map((f) => [f, sha(f)]))
    const lib = await openLibrary('pngsuite')
    const summary = await lib.importPaths([...suite.valid, ...suite.corrupted])
    expect(summary.assets).toBe(suite.valid.length + suite.corrupted.length)
    for (const asset of lib.list()) {
      const corrupted = basename(asset.path).startsWith('x')
      if (!corrupted) {
        expect(asset.verdict, asset.path).toEqual({ ok: true })
        const meta = await sharp(await thumbOf(lib, asset)).metadata()
        expect(Math.max(meta.width!, meta.height!)).toBe(Math.min(256, Math.max(asset.width, asset.height)))
      } else {
        expect(asset.verdict.ok, asset.path).toBe(false)
        if (asset.verdict.ok) continue
        // Damaged signatures match no image type; the rest are damaged PNGs.
        const expected = /^xs|^xcr|^xlf/.test(basename(asset.path)) ? 'unsupported_format' : 'corrupt'
        expect(asset.verdict.error.code, asset.path).toBe(expected)
        expect(await lib.thumbnail(asset.id)).toBeUndefined()
      }
    }
    for (const [f, h] of before) expect(sha(f), f).toBe(h)
  })

  it('EXIF orientation 1–8 samples: every thumbnail is upright like the reference picture', async () => {
    const { upright, byOrientation } = orientationSamples()
    const lib = await openLibrary('orientation')
    await lib.importPaths([...byOrientation.values()])
    for (const [o, file] of byOrientation) {
      const asset = lib.list().find((a) => a.path === file)!
      expect(asset.orientation).toBe(o)
      const thumb = await thumbOf(lib, asset)
      const meta = await sharp(thumb).metadata()
      expect([meta.width, meta.height], `orientation ${o}`).toEqual([50, 70])
      expect(await pictureDistance(thumb, upright), `orientation ${o}`).toBeLessThan(12)
    }
    // The check can fail: the stored pixels of a turned sample do not look like the upright picture.
    expect(await pictureDistance(byOrientation.get(6)!, upright).catch(() => 0)).toBeLessThan(12)
    const stored6 = await sharp(byOrientation.get(6)!).resize(50, 70, { fit: 'fill' }).toBuffer()
    expect(await pictureDistance(stored6, upright)).toBeGreaterThan(20)
  })

  it('real photos: import, thumbnails streamed as events, re-import reuses the index without decoding', async () => {
    const photos = realPhotos()
    expect(photos.length).toBeGreaterThanOrEqual(3)
    const folder = join(tmp, 'shoot')
    mkdirSync(join(folder, 'day1'), { recursive: true })
    for (const p of photos) {
      copyFileSync(p, join(folder, 'day1', basename(p)))
      // Whole seconds, so the test can put the exact same mtime back below.
      utimesSync(join(folder, 'day1', basename(p)), 1_700_000_000, 1_700_000_000)
    }
    const lib = await openLibrary('photos')
    const events: AssetChange[] = []
    const thumbs: string[] = []
    lib.on('asset', (e) => events.push(e))
    lib.on('thumbnail', (t) => thumbs.push(t.assetId))
    const first = await lib.importPaths([folder])
    expect(first).toMatchObject({ assets: photos.length, ok: photos.length, reused: 0 })
    expect(events.filter((e) => e.type === 'added')).toHaveLength(photos.length)
    expect(new Set(thumbs).size).toBe(photos.length)
    for (const asset of lib.list()) {
      const meta = await sharp(await thumbOf(lib, asset)).metadata()
      expect(Math.max(meta.width!, meta.height!)).toBe(256)
      expect(asset.width * asset.height).toBeGreaterThan(2_000_000)
    }
    await lib.close()

    // Same size and mtime but different bytes: a decode or a hash would notice, a reuse does not.
    const victim = join(folder, 'day1', basename(photos[0]!))
    const st = statSync(victim)
    writeFileSync(victim, Buffer.alloc(st.size, 0))
    utimesSync(victim, 1_700_000_000, 1_700_000_000)
    const reopened = await openLibrary('photos')
    const again = await reopened.importPaths([folder])
    expect(again).toMatchObject({ assets: photos.length, reused: photos.length, ok: photos.length })
    // A real change (mtime) is noticed and re-inspected.
    utimesSync(victim, 1_700_000_000, 1_700_000_005)
    const third = await reopened.importPaths([folder])
    expect(third.reused).toBe(photos.length - 1)
    expect(reopened.list().find((a) => a.path === victim)!.verdict).toMatchObject({ ok: false, error: { code: 'unsupported_format' } })
  })
})

describe('generated corpus through the library', () => {
  let corpus: GeneratedCorpus
  beforeAll(async () => {
    corpus = await generateCorpus(join(tmp, 'generated'))
  })

  it('every valid file gets an upright thumbnail, every bad file its reason, originals untouched', async () => {
    const before = new Map(readdirSync(corpus.dir).map((f) => [f, sha(join(corpus.dir, f))]))
    const lib = await openLibrary('generated')
    const summary = await lib.importPaths([corpus.dir])
    expect(summary.assets).toBe(Object.keys(corpus.valid).length + Object.keys(corpus.invalid).length)
    for (const asset of lib.list()) {
      const name = basename(asset.path)
      if (corpus.valid[name]) {
        expect(asset.verdict, name).toEqual({ ok: true })
        const thumb = await thumbOf(lib, asset, 128)
        if (name.startsWith('orientation-') || name.startsWith('basic.') || name === 'cmyk.jpg' || name === 'deep16.png') {
          // CMYK goes through a colour profile and comes back slightly shifted; a wrong turn costs > 100.
          expect(await pictureDistance(thumb, corpus.upright), name).toBeLessThan(name === 'cmyk.jpg' ? 40 : 20)
        }
      } else {
        expect(asset.verdict.ok === false && asset.verdict.error.code, name).toBe(corpus.invalid[name])
      }
    }
    for (const [f, h] of before) expect(sha(join(corpus.dir, f)), f).toBe(h)
  })

  it('skips hidden files and output folders, survives symlink loops, and imports single files', async () => {
    const root = join(tmp, 'tree')
    mkdirSync(join(root, 'a', 'pixdesk'), { recursive: true })
    mkdirSync(join(root, '.hidden'), { recursive: true })
    const png = readFileSync(join(corpus.dir, 'basic.png'))
    writeFileSync(join(root, 'a', 'one.png'), png)
    writeFileSync(join(root, 'a', 'pixdesk', 'output.png'), png)
    writeFileSync(join(root, '.hidden', 'h.png'), png)
    writeFileSync(join(root, '.dotfile.png'), png)
    symlinkSync(root, join(root, 'a', 'loop'))
    const lib = await openLibrary('tree')
    const single = join(corpus.dir, 'basic.jpg')
    await lib.importPaths([root, single])
    expect(lib.list().map((a) => a.path).sort()).toEqual([join(root, 'a', 'one.png'), single].sort())
    expect(lib.importedFiles()).toEqual([single])
  })

  it('watches imported folders: added, changed and removed files keep the library in sync', async () => {
    // The library's own data and cache folders sit inside the watched folder: they must stay out of it.
    const root = join(tmp, 'watched')
    mkdirSync(root, { recursive: true })
    writeFileSync(join(root, 'first.png'), readFileSync(join(corpus.dir, 'basic.png')))
    const lib = await openLibrary('watched', { watch: true, watchDebounceMs: 100 })
    await lib.importPaths([root])
    const seen: AssetChange[] = []
    const waitFor = (pred: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now()
        const tick = () => (pred() ? resolve() : Date.now() - started > 15_000 ? reject(new Error('library did not catch up with the folder')) : setTimeout(tick, 50))
        tick()
      })
    lib.on('asset', (e) => seen.push(e))
    writeFileSync(join(root, 'second.jpg'), readFileSync(join(corpus.dir, 'basic.jpg')))
    await waitFor(() => lib.list().some((a) => a.path.endsWith('second.jpg')))
    expect(seen.find((e) => e.type === 'added')).toBeDefined()
    appendFileSync(join(root, 'first.png'), 'trailing junk')
    writeFileSync(join(root, 'first.png'), readFileSync(join(corpus.dir, 'truncated.png')))
    await waitFor(() => lib.list().find((a) => a.path.endsWith('first.png'))?.verdict.ok === false)
    unlinkSync(join(root, 'second.jpg'))
    await waitFor(() => !lib.list().some((a) => a.path.endsWith('second.jpg')))
    expect(seen.some((e) => e.type === 'removed')).toBe(true)
    await lib.close()
    const persisted = await openLibrary('watched')
    expect(persisted.list().map((a) => a.path)).toEqual([join(root, 'first.png')])
  })

  it('a folder removed while it is still importing stays removed: files not reached yet are skipped', async () => {
    const root = join(tmp, 'removed-midway')
    mkdirSync(root, { recursive: true })
    const png = readFileSync(join(corpus.dir, 'basic.png'))
    for (let i = 0; i < 24; i++) writeFileSync(join(root, `photo-${String(i).padStart(2, '0')}.png`), png)
    const lib = await openLibrary('removed-midway', { watch: true, concurrency: 1 })
    let removing: Promise<void> | undefined
    lib.on('asset', () => {
      removing ??= lib.removeRoot(root)
    })
    const summary = await lib.importPaths([root])
    await removing
    expect(summary.assets).toBeLessThan(24)
    expect(lib.importedRoots()).toEqual([])
    expect(lib.list()).toEqual([])
    await lib.close()
    const reopened = await openLibrary('removed-midway')
    expect(reopened.list()).toEqual([])
  })

  it('bounds the thumbnail cache in bytes, evicting the least recently used', async () => {
    const dir = join(tmp, 'lru')
    const cache = new ThumbnailCache(dir, 3000)
    const blob = (n: number) => ({ data: Buffer.alloc(1000, n), format: 'jpeg' as const })
    const key = (n: number) => String(n).repeat(64).slice(0, 64).replace(/[^0-9a-f]/g, 'a')
    await cache.put(key(1), 256, blob(1))
    await new Promise((r) => setTimeout(r, 5))
    await cache.put(key(2), 256, blob(2))
    await new Promise((r) => setTimeout(r, 5))
    await cache.put(key(3), 256, blob(3))
    await new Promise((r) => setTimeout(r, 5))
    expect(await cache.get(key(1), 256)).toBeDefined()
    await cache.put(key(4), 256, blob(4))
    expect(cache.totalBytes).toBeLessThanOrEqual(3000)
    expect(await cache.has(key(2), 256)).toBe(false)
    expect(await cache.has(key(1), 256)).toBe(true)
    expect(readdirSync(dir).sort()).toHaveLength(3)
    // The order and size survive a restart.
    const reopened = new ThumbnailCache(dir, 2000)
    expect(await reopened.has(key(3), 256)).toBe(false)
    expect(await reopened.has(key(4), 256)).toBe(true)
    expect(reopened.totalBytes).toBe(2000)
  })
})
