import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { browserDisplayable } from '../../electron/core/library/display'
import { Library } from '../../electron/core/library/library'
import type { LibraryAsset } from '../../electron/core/library/types'
import { createAssetHandler } from '../../electron/ipc/asset-handler'
import { generateCorpus, type GeneratedCorpus } from '../support/library-fixtures'
import { pictureDistance } from '../support/pixels'

const BASE = 'http://127.0.0.1:4321/asset/'
const tmp = mkdtempSync(join(tmpdir(), 'pixdesk-assets-'))
const root = join(tmp, 'client')
const outside = join(tmp, 'outside')
const outputsDir = join(tmp, 'exports')
let library: Library
let handler: (r: Request) => Promise<Response>
let photo: LibraryAsset
let secretPath: string

beforeAll(async () => {
  mkdirSync(join(root, 'shoot'), { recursive: true })
  mkdirSync(outside, { recursive: true })
  mkdirSync(outputsDir, { recursive: true })
  const img = sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366cc' } })
  writeFileSync(join(root, 'shoot', 'mug.jpg'), await img.clone().jpeg().toBuffer())
  writeFileSync(join(root, 'swap.png'), await img.clone().png().toBuffer())
  writeFileSync(join(root, 'drawing.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
  secretPath = join(outside, 'secret.png')
  writeFileSync(secretPath, await img.clone().png().toBuffer())
  writeFileSync(join(outputsDir, 'out_1.png'), await img.clone().png().toBuffer())
  symlinkSync(outside, join(root, 'escape'))
  library = await Library.open({ dataDir: join(tmp, 'data'), cacheDir: join(tmp, 'cache'), watch: false, outputFolders: () => [outputsDir] })
  await library.importPaths([root])
  photo = library.list().find((a) => a.path.endsWith('mug.jpg'))!
  const outputs: Record<string, string> = { rec_ok: join(outputsDir, 'out_1.png'), rec_evil: secretPath, rec_dir: outputsDir }
  handler = createAssetHandler({ library, baseUrl: BASE, resolveOutput: (id, index) => (index === 0 ? outputs[id] : undefined) })
})
afterAll(async () => {
  await library.close()
  rmSync(tmp, { recursive: true, force: true })
})

const get = (path: string, init?: RequestInit) => handler(new Request(BASE + path, init))

describe('asset handler', () => {
  it('answers a thumbnail made moments ago from memory, with the same bytes and headers as from disk', async () => {
    const fresh = await library.thumbnail(photo.id, 256)
    expect(fresh?.data).toBeDefined()
    expect(fresh!.data!).toEqual(readFileSync(fresh!.path))
    const fromMemory = await get(`thumb/${photo.id}?size=256`)
    const reopened = await Library.open({ dataDir: join(tmp, 'data'), cacheDir: join(tmp, 'cache'), watch: false })
    try {
      expect((await reopened.thumbnail(photo.id, 256))?.data).toBeUndefined()
      const fromDisk = await createAssetHandler({ library: reopened, baseUrl: BASE })(new Request(`${BASE}thumb/${photo.id}?size=256`))
      expect(Object.fromEntries(fromMemory.headers)).toEqual(Object.fromEntries(fromDisk.headers))
      expect(Buffer.from(await fromMemory.arrayBuffer())).toEqual(Buffer.from(await fromDisk.arrayBuffer()))
    } finally {
      await reopened.close()
    }
  })

  it('serves thumbnails, originals and outputs by id with correct content types', async () => {
    const thumb = await get(`thumb/${photo.id}?size=256`)
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('content-type')).toBe('image/jpeg')
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()
    expect([meta.width, meta.height]).toEqual([256, 171])
    const original = await get(`original/${photo.id}`)
    expect(original.headers.get('content-type')).toBe('image/jpeg')
    expect(original.headers.get('x-content-type-options')).toBe('nosniff')
    expect(Buffer.from(await original.arrayBuffer())).toEqual(readFileSync(photo.path))
    const out = await get('output/rec_ok/0')
    expect(out.status).toBe(200)
    expect(out.headers.get('content-type')).toBe('image/png')
    const head = await get(`original/${photo.id}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(readFileSync(photo.path).length))
    expect((await get(`original/${photo.id}`, { method: 'POST' })).status).toBe(405)
  })

  it('refuses traversal, encoded traversal, absolute paths and unknown ids', async () => {
    const attempts = [
      '../../../../etc/passwd',
      '..%2f..%2f..%2fetc%2fpasswd',
      '%2e%2e/%2e%2e/etc/passwd',
      'original/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      'original/..\\..\\etc\\passwd',
      'original//etc/passwd',
      `original/${encodeURIComponent(secretPath)}`,
      `original${secretPath}`,
      'original/file:%2F%2F%2Fetc%2Fpasswd',
      `thumb/${photo.id}/../../${photo.id}`,
      'original/0123456789abcdef01234567',
      'output/rec_ok/../../secret',
      'shoot/',
      ''
    ]
    for (const path of attempts) {
      const res = await get(path)
      expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(res.headers.get('content-type'), path).toMatch(/^text\/plain/)
    }
    const wrongBase = await handler(new Request('http://127.0.0.1:4321/etc/passwd'))
    expect(wrongBase.status).toBe(404)
  })

  it('refuses outputs and originals that resolve outside the allowed folders, and never lists folders', async () => {
    expect((await get('output/rec_evil/0')).status).toBe(403)
    expect((await get('output/rec_dir/0')).status).toBe(404)
    // The scan never followed the link that leaves the root.
    expect(library.list().some((a) => a.path.includes('escape'))).toBe(false)
    // A file swapped for a link to the outside after import is refused when served.
    const swap = library.list().find((a) => a.path.endsWith('swap.png'))!
    expect((await get(`original/${swap.id}`)).status).toBe(200)
    unlinkSync(swap.path)
    symlinkSync(secretPath, swap.path)
    const res = await get(`original/${swap.id}`)
    expect(res.status).toBe(403)
    expect(await res.text()).toMatch(/outside the imported folders/)
  })

  it('never serves SVG as a document', async () => {
    const svg = library.list().find((a) => a.path.endsWith('drawing.svg'))!
    expect(svg.verdict).toMatchObject({ ok: false, error: { code: 'svg_refused' } })
    expect((await get(`thumb/${svg.id}`)).status).toBe(404)
    const original = await get(`original/${svg.id}`)
    expect(original.status).toBe(415)
    expect(original.headers.get('content-type')).not.toMatch(/svg/)
  })
})

describe('originals a browser cannot display', () => {
  const dir = join(tmp, 'renditions')
  let lib: Library
  let serve: (r: Request) => Promise<Response>
  let corpus: GeneratedCorpus
  const byName = (name: string) => lib.list().find((a) => a.path === join(corpus.dir, name))!
  const fetchOriginal = (asset: LibraryAsset, query = '') => serve(new Request(`${BASE}original/${asset.id}${query}`))

  beforeAll(async () => {
    corpus = await generateCorpus(join(dir, 'corpus'))
    const upright = sharp(corpus.upright)
    await sharp(await upright.clone().rotate(270).png().toBuffer()).withMetadata({ orientation: 6 }).png().toFile(join(corpus.dir, 'turned.png'))
    await upright.clone().ensureAlpha(0.5).toColourspace('rgb16').png().toFile(join(corpus.dir, 'deep16-alpha.png'))
    await upright.clone().resize(3000, 2000, { fit: 'fill' }).tiff({ compression: 'lzw' }).toFile(join(corpus.dir, 'large.tif'))
    lib = await Library.open({ dataDir: join(dir, 'data'), cacheDir: join(dir, 'cache'), watch: false })
    await lib.importPaths([corpus.dir])
    serve = createAssetHandler({ library: lib, baseUrl: BASE })
  })
  afterAll(() => lib.close())

  it('knows which originals a browser shows as stored', () => {
    const expected: Record<string, boolean> = {
      'basic.png': true,
      'basic.jpg': true,
      'basic.webp': true,
      'basic.gif': true,
      'basic.avif': true,
      'alpha.png': true,
      'animated.gif': true,
      'orientation-6.jpg': true,
      'basic.tif': false,
      'cmyk.jpg': false,
      'deep16.png': false,
      'deep16-alpha.png': false,
      'turned.png': false
    }
    for (const [name, displayable] of Object.entries(expected)) expect(browserDisplayable(byName(name)), name).toBe(displayable)
  })

  it('serves TIFF, CMYK and 16-bit originals as upright 8-bit sRGB renditions, cached by content', async () => {
    const cases: Array<[string, string, number]> = [
      ['basic.tif', 'image/jpeg', 20],
      ['cmyk.jpg', 'image/jpeg', 40],
      ['deep16.png', 'image/jpeg', 20],
      ['deep16-alpha.png', 'image/webp', 20],
      ['turned.png', 'image/jpeg', 20]
    ]
    for (const [name, mime, tolerance] of cases) {
      const asset = byName(name)
      expect(asset.verdict, name).toEqual({ ok: true })
      const res = await fetchOriginal(asset)
      expect(res.status, name).toBe(200)
      expect(res.headers.get('content-type'), name).toBe(mime)
      expect(res.headers.get('x-pixdesk-rendition'), name).toBe('display')
      const body = Buffer.from(await res.arrayBuffer())
      expect(body.equals(readFileSync(asset.path)), name).toBe(false)
      const meta = await sharp(body).metadata()
      expect([meta.width, meta.height], name).toEqual([96, 64])
      expect(meta.space, name).toBe('srgb')
      expect(meta.depth, name).toBe('uchar')
      expect(meta.orientation ?? 1, name).toBe(1)
      expect(meta.hasAlpha, name).toBe(mime === 'image/webp')
      expect(await pictureDistance(body, corpus.upright), name).toBeLessThan(tolerance)
      // Kept in the thumbnail cache under the content hash, apart from the thumbnails.
      expect(readdirSync(lib.thumbnailCacheDir), name).toContain(`${asset.sha256}-d2048.${mime === 'image/webp' ? 'webp' : 'jpg'}`)
    }
    const tif = byName('basic.tif')
    const cached = await lib.displayRendition(tif.id)
    const thumb = await lib.thumbnail(tif.id, 1024)
    expect(cached?.path).toBe(join(lib.thumbnailCacheDir, `${tif.sha256}-d2048.jpg`))
    expect(thumb?.path).not.toBe((await lib.displayRendition(tif.id, 1024))?.path)
    const head = await serve(new Request(`${BASE}original/${tif.id}`, { method: 'HEAD' }))
    expect(head.headers.get('content-length')).toBe(String(readFileSync(cached!.path).length))
  })

  it('bounds renditions at 2048 px, or the size asked for', async () => {
    const large = byName('large.tif')
    const size = async (query: string) => {
      const res = await fetchOriginal(large, query)
      expect(res.status, query).toBe(200)
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata()
      return [meta.width, meta.height]
    }
    expect(await size('')).toEqual([2048, 1365])
    expect(await size('?size=1000')).toEqual([1024, 683])
    expect(await size('?size=9999')).toEqual([3000, 2000])
    expect((await fetchOriginal(large, '?size=big')).status).toBe(400)
  })

  it('serves originals a browser can show byte for byte, EXIF-turned JPEGs included', async () => {
    for (const name of ['basic.png', 'basic.jpg', 'basic.webp', 'basic.avif', 'animated.gif', 'alpha.png', 'orientation-6.jpg']) {
      const asset = byName(name)
      const res = await fetchOriginal(asset, '?size=1024')
      expect(res.status, name).toBe(200)
      expect(res.headers.get('x-pixdesk-rendition'), name).toBeNull()
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(asset.path)), name).toBe(true)
    }
  })

  it('never renders a file whose content changed since import, an SVG swapped in included', async () => {
    const copy = join(dir, 'swap-folder')
    mkdirSync(copy, { recursive: true })
    // Content of its own, so nothing for it is in the cache yet.
    await sharp(corpus.upright).flop().tiff().toFile(join(copy, 'scan.tif'))
    await lib.importPaths([copy])
    const asset = lib.list().find((a) => a.path === join(copy, 'scan.tif'))!
    expect(asset.verdict).toEqual({ ok: true })
    // Drawable by libvips, and new content: neither a thumbnail nor a rendition may come out of it.
    writeFileSync(asset.path, '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="red"/></svg>')
    expect(await lib.thumbnail(asset.id, 512)).toBeUndefined()
    expect(await lib.displayRendition(asset.id)).toBeUndefined()
    const res = await fetchOriginal(asset)
    expect(res.status).toBe(404)
    expect(await res.text()).toMatch(/changed since it was imported/)
    expect(readdirSync(lib.thumbnailCacheDir).filter((f) => f.startsWith(asset.sha256) && !f.endsWith('-256.jpg'))).toEqual([])
  })
})
