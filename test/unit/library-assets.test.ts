import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAssetHandler, Library, type LibraryAsset } from '../../electron/core/library/index'

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
