import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Library } from '../../electron/core/library/library'
import { DEFAULT_LIMITS } from '../../electron/core/library/types'
import { createAssetHandler } from '../../electron/ipc/asset-handler'
import { safeStem } from '../../electron/core/library/paste'
import { bombPng } from '../support/library-fixtures'

const tmp = mkdtempSync(join(tmpdir(), 'pixdesk-paste-'))
const dataDir = join(tmp, 'data')
const pastedDir = join(dataDir, 'pasted')
let library: Library
let png: Buffer
let jpeg: Buffer
const pastedFiles = () => (existsSync(pastedDir) ? readdirSync(pastedDir) : [])

beforeAll(async () => {
  library = await Library.open({ dataDir, cacheDir: join(tmp, 'cache'), watch: false })
  const picture = sharp({ create: { width: 120, height: 80, channels: 3, background: '#c83c3c' } })
  png = await picture.clone().png().toBuffer()
  jpeg = await picture.clone().jpeg().toBuffer()
})
afterAll(async () => {
  await library.close()
  rmSync(tmp, { recursive: true, force: true })
})

describe('Library.importBytes', () => {
  it('saves pasted PNG bytes under a dated name in pasted/ and imports them with a thumbnail', async () => {
    const asset = await library.importBytes(png, 'Screenshot 2025-01-14 at 09.30.12.png')
    expect(asset.verdict).toEqual({ ok: true })
    expect(asset.format).toBe('png')
    expect(dirname(asset.path)).toBe(pastedDir)
    expect(basename(asset.path)).toMatch(/^pasted-\d{8}-\d{6}-Screenshot-2025-01-14-at-09-30-12-[0-9a-f]{8}\.png$/)
    expect(readFileSync(asset.path).equals(png)).toBe(true)
    expect(library.get(asset.id)).toEqual(asset)
    expect(library.importedFiles()).toContain(asset.path)
    const thumb = await library.thumbnail(asset.id)
    expect(thumb).toBeDefined()
    expect((await sharp(thumb!.path).metadata()).width).toBe(120)
    // Servable like any imported file, and nothing temporary is left behind.
    const handler = createAssetHandler({ library, baseUrl: 'http://127.0.0.1:1/asset/' })
    const res = await handler(new Request(`http://127.0.0.1:1/asset/original/${asset.id}`))
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true)
    expect(pastedFiles().filter((f) => f.startsWith('.'))).toEqual([])
  })

  it('names the file by its content, never by the suggested extension, and never overwrites', async () => {
    const a = await library.importBytes(jpeg, 'photo.png')
    const b = await library.importBytes(jpeg, 'photo.png')
    expect(a.format).toBe('jpeg')
    expect(a.path).toMatch(/-photo-[0-9a-f]{8}\.jpg$/)
    expect(b.path).not.toBe(a.path)
    expect(readFileSync(a.path).equals(jpeg)).toBe(true)
    const unnamed = await library.importBytes(png)
    expect(basename(unnamed.path)).toMatch(/^pasted-\d{8}-\d{6}-[0-9a-f]{8}\.png$/)
  })

  it('keeps every suggested name inside pasted/', async () => {
    const names = ['../../x.png', '..\\..\\..\\x.png', '/etc/passwd', 'C:\\Windows\\system32\\x.png', '....', '.bashrc', 'a/../../b.png', '\u0000\n.png']
    for (const name of names) {
      const asset = await library.importBytes(png, name)
      expect(dirname(asset.path), name).toBe(pastedDir)
      expect(basename(asset.path), name).toMatch(/^pasted-[\p{L}\p{N}_-]+\.png$/u)
    }
    expect(existsSync(join(tmp, 'x.png'))).toBe(false)
    expect(existsSync(join(dataDir, 'x.png'))).toBe(false)
    expect(readdirSync(tmp).sort()).toEqual(['cache', 'data'])
    expect(safeStem('../../x.png')).toBe('x')
    expect(safeStem('C:\\Users\\me\\Desktop\\Mug shot (final).JPG')).toBe('Mug-shot-final')
    expect(safeStem('..')).toBe('')
  })

  it('refuses bytes that are not a usable image and writes nothing', async () => {
    const before = pastedFiles().sort()
    const count = library.list().length
    const refusals: Array<[Buffer, string, RegExp]> = [
      [Buffer.from('Meeting notes: reshoot the mug on Tuesday.\n'), 'unsupported_format', /not an image/],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'svg_refused', /SVG files are not sent to image models; export it as PNG/],
      [Buffer.concat([Buffer.from('8BPS', 'latin1'), Buffer.alloc(64)]), 'unsupported_format', /Photoshop/],
      [Buffer.alloc(0), 'empty_file', /empty/],
      // A valid PNG signature with nothing usable behind it: written, judged, then removed again.
      [png.subarray(0, 60), 'corrupt', /cannot be used/],
      [bombPng(20000, 20000), 'too_many_pixels', /cannot be used/]
    ]
    for (const [bytes, code, message] of refusals) {
      const err = await library.importBytes(bytes, 'evil.png').then(
        () => undefined,
        (e: unknown) => e
      )
      expect(err, code).toMatchObject({ code })
      expect((err as Error).message, code).toMatch(message)
      expect((err as Error).message, code).toMatch(/^The pasted image/)
    }
    expect(pastedFiles().sort()).toEqual(before)
    expect(library.list()).toHaveLength(count)
  })

  it('caps pasted bytes at the library limit before writing', async () => {
    const small = await Library.open({ dataDir: join(tmp, 'data-small'), cacheDir: join(tmp, 'cache-small'), watch: false, limits: { ...DEFAULT_LIMITS, maxInputBytes: 100 } })
    try {
      await expect(small.importBytes(png, 'big.png')).rejects.toMatchObject({ code: 'too_many_bytes' })
      expect(existsSync(join(tmp, 'data-small', 'pasted'))).toBe(false)
    } finally {
      await small.close()
      rmSync(join(tmp, 'data-small'), { recursive: true, force: true })
      rmSync(join(tmp, 'cache-small'), { recursive: true, force: true })
    }
  })
})
