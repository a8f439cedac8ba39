import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Library } from '../../electron/core/library/library'
import type { LibraryAsset } from '../../electron/core/library/types'
import { createAssetHandler } from '../../electron/ipc/asset-handler'
import { createAssetUrls } from '../../electron/ipc/asset-urls'
import { orientationSamples, realPhotos } from '../support/corpus'
import { pictureDistance } from '../support/pixels'

/*
 * The display copy the viewer compares a result against (`display/<id>`), with real photos: upright,
 * bounded on the long edge, cached by content, and the original never touched.
 */

const BASE = 'http://127.0.0.1:4321/asset/'
const tmp = mkdtempSync(join(tmpdir(), 'pixdesk-display-'))
const folder = join(tmp, 'shoot')
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
let library: Library
let serve: (r: Request) => Promise<Response>
const fingerprints = new Map<string, { sha: string; mtimeMs: number; size: number }>()
const byName = (name: string): LibraryAsset => library.list().find((a) => basename(a.path) === name)!
const fetchDisplay = async (asset: LibraryAsset, query = '') => {
  const res = await serve(new Request(`${BASE}display/${asset.id}${query}`))
  return { res, body: Buffer.from(await res.arrayBuffer()) }
}

beforeAll(async () => {
  mkdirSync(folder, { recursive: true })
  const photos = realPhotos()
  const wide = photos.find((p) => basename(p).startsWith('Kleiber'))!
  const square = photos.find((p) => basename(p).startsWith('Infinite-Sea'))!
  copyFileSync(wide, join(folder, 'kleiber.jpg'))
  copyFileSync(square, join(folder, 'sea.jpg'))
  // The same camera picture stored lying on its side, with the EXIF tag that stands it up.
  await sharp(wide).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(join(folder, 'kleiber-turned.jpg'))
  copyFileSync(orientationSamples().byOrientation.get(6)!, join(folder, 'orientation-6.jpg'))
  await sharp(wide).resize(800).png().toFile(join(folder, 'small.png'))
  for (const name of readdirSync(folder)) {
    const path = join(folder, name)
    const st = statSync(path)
    fingerprints.set(path, { sha: sha(path), mtimeMs: st.mtimeMs, size: st.size })
  }
  library = await Library.open({ dataDir: join(tmp, 'data'), cacheDir: join(tmp, 'cache'), watch: false })
  await library.importPaths([folder])
  serve = createAssetHandler({ library, baseUrl: BASE })
})

afterAll(async () => {
  await library.close()
  rmSync(tmp, { recursive: true, force: true })
})

describe('display copies of originals', () => {
  it('are named by the view model and bounded to 2048 px on the long edge by default', async () => {
    const kleiber = byName('kleiber.jpg')
    const url = createAssetUrls(BASE, library).display(kleiber)
    expect(url).toBe(`${BASE}display/${kleiber.id}?v=${kleiber.sha256.slice(0, 12)}`)
    const res = await serve(new Request(url))
    expect(res.status).toBe(200)
    expect(res.headers.get('x-pixdesk-rendition')).toBe('display')
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata()
    // 6028×3391 scaled to fit 2048: the aspect kept to the pixel.
    expect([meta.width, meta.height]).toEqual([2048, Math.round((3391 * 2048) / 6028)])
    expect(meta.space).toBe('srgb')
  })

  it('take a larger bound when asked, rounded up to the sizes kept, never past the original', async () => {
    const sea = byName('sea.jpg')
    const size = async (query: string) => {
      const { res, body } = await fetchDisplay(sea, query)
      expect(res.status, query).toBe(200)
      const meta = await sharp(body).metadata()
      return [meta.width, meta.height]
    }
    expect(await size('?size=1500')).toEqual([2048, 2048])
    expect(await size('?size=1000')).toEqual([1024, 1024])
    expect(await size('?size=4096')).toEqual([4096, 4096])
    expect(await size('?size=9999')).toEqual([4096, 4096])
    expect((await fetchDisplay(sea, '?size=huge')).res.status).toBe(400)
  })

  it('stand EXIF-turned photos upright, the real photo and the orientation sample alike', async () => {
    const turned = byName('kleiber-turned.jpg')
    const { res, body } = await fetchDisplay(turned)
    expect(res.headers.get('x-pixdesk-rendition')).toBe('display')
    const meta = await sharp(body).metadata()
    expect(meta.orientation ?? 1).toBe(1)
    expect([meta.width, meta.height]).toEqual([2048, Math.round((3391 * 2048) / 6028)])
    expect(await pictureDistance(body, byName('kleiber.jpg').path)).toBeLessThan(12)

    const sample = byName('orientation-6.jpg')
    const small = await fetchDisplay(sample)
    // Smaller than the bound, yet not served as stored: the tag would leave the turning to the page.
    expect(small.res.headers.get('x-pixdesk-rendition')).toBe('display')
    const upright = await sharp(small.body).metadata()
    expect([upright.width, upright.height, upright.orientation ?? 1]).toEqual([50, 70, 1])
    expect(await pictureDistance(small.body, orientationSamples().upright)).toBeLessThan(12)
  })

  it('serve an upright original that already fits as stored, byte for byte', async () => {
    const small = byName('small.png')
    const { res, body } = await fetchDisplay(small)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-pixdesk-rendition')).toBeNull()
    expect(body.equals(readFileSync(small.path))).toBe(true)
  })

  it('are made once and then served from the cache', async () => {
    const kleiber = byName('kleiber.jpg')
    await fetchDisplay(kleiber)
    const cached = join(library.thumbnailCacheDir, `${kleiber.sha256}-d2048.jpg`)
    expect(readdirSync(library.thumbnailCacheDir)).toContain(basename(cached))
    // Replace the cached copy with a picture of its own: a second request must answer with it, not re-render.
    const marker = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#ff00ff' } }).jpeg().toBuffer()
    writeFileSync(cached, marker)
    const again = await fetchDisplay(kleiber)
    expect(again.res.status).toBe(200)
    expect(again.body.equals(marker)).toBe(true)
  })

  it('never modify the original', async () => {
    for (const [path, before] of fingerprints) {
      const st = statSync(path)
      expect({ sha: sha(path), mtimeMs: st.mtimeMs, size: st.size }, path).toEqual(before)
    }
  })

  it('are refused for files that are not usable images', async () => {
    writeFileSync(join(folder, 'broken.jpg'), readFileSync(join(folder, 'kleiber.jpg')).subarray(0, 4096))
    await library.importPaths([folder])
    const broken = byName('broken.jpg')
    expect(broken.verdict.ok).toBe(false)
    const { res, body } = await fetchDisplay(broken)
    expect(res.status).toBe(404)
    expect(body.toString()).toMatch(/not a usable image/)
  })
})
