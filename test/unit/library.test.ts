import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalisationSchema } from '../../shared/records'
import { inspectFile } from '../../electron/core/library/inspect'
import { normaliseForUpload } from '../../electron/core/library/normalise'
import { DEFAULT_LIMITS, type UploadLimits } from '../../electron/core/library/types'
import { checkAgainstLimits } from '../../electron/core/library/validate'
import { renderDisplay } from '../../electron/core/library/display'
import { renderThumbnail } from '../../electron/core/library/thumbnails'
import { generateCorpus, inspectWithoutPrivileges, type GeneratedCorpus } from '../support/library-fixtures'
import { pictureDistance } from '../support/pixels'

const tmp = mkdtempSync(join(tmpdir(), 'pixdesk-library-unit-'))
let corpus: GeneratedCorpus
const hashes = new Map<string, string>()
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const route: UploadLimits = { maxInputBytes: 50 * 1024 * 1024, maxPixels: 50_000_000, maxLongEdge: 48, minEdge: 8, acceptedFormats: ['png', 'jpeg', 'webp'] }

beforeAll(async () => {
  corpus = await generateCorpus(join(tmp, 'corpus'))
  for (const f of readdirSync(corpus.dir)) hashes.set(f, sha(join(corpus.dir, f)))
})
afterAll(() => {
  // Originals are never modified, by inspection, validation or normalisation.
  for (const [f, h] of hashes) expect(sha(join(corpus.dir, f)), f).toBe(h)
  rmSync(tmp, { recursive: true, force: true })
})

describe('inspectFile on the generated corpus', () => {
  it('accepts every valid file, with type from content and its properties', async () => {
    for (const [name, expected] of Object.entries(corpus.valid)) {
      const info = await inspectFile(join(corpus.dir, name))
      expect(info.verdict, name).toEqual({ ok: true })
      expect(info.format, name).toBe(expected.format)
      expect(info.sha256, name).toBe(hashes.get(name))
      expect(info.bytes, name).toBe(readFileSync(join(corpus.dir, name)).length)
      if (expected.orientation) expect(info.orientation, name).toBe(expected.orientation)
      if (expected.alpha !== undefined) expect(info.alpha, name).toBe(expected.alpha)
      if (expected.pages) expect(info.pages, name).toBe(expected.pages)
      if (expected.space) expect(info.space, name).toBe(expected.space)
      if (expected.bits) expect(info.bitsPerSample, name).toBe(expected.bits)
      const upright = expected.orientation === undefined || expected.orientation < 5
      if (name.startsWith('orientation-')) expect([info.displayWidth, info.displayHeight], name).toEqual([96, 64])
      if (!upright) expect([info.width, info.height], name).toEqual([64, 96])
    }
  })

  it('refuses every bad file with its specific code and a message naming the file', async () => {
    for (const [name, code] of Object.entries(corpus.invalid)) {
      const info = await inspectFile(join(corpus.dir, name))
      expect(info.verdict.ok, name).toBe(false)
      if (info.verdict.ok) continue
      expect(info.verdict.error.code, name).toBe(code)
      expect(info.verdict.error.message, name).toContain(name)
      expect(info.verdict.error.path).toBe(join(corpus.dir, name))
    }
    const heic = await inspectFile(join(corpus.dir, 'phone.heic'))
    expect(heic.verdict.ok === false && heic.verdict.error.message).toContain('HEIC is not supported; export as JPEG or PNG')
    const psd = await inspectFile(join(corpus.dir, 'layers.psd'))
    expect(psd.verdict.ok === false && psd.verdict.error.message).toContain('Photoshop (PSD)')
  })

  it('applies route limits: bytes, pixels, minimum edge', async () => {
    const file = join(corpus.dir, 'basic.png')
    const tooBig = await inspectFile(file, { ...route, maxInputBytes: 100 })
    expect(tooBig.verdict.ok === false && tooBig.verdict.error.code).toBe('too_many_bytes')
    const tooManyPixels = await inspectFile(file, { ...route, maxPixels: 1000 })
    expect(tooManyPixels.verdict.ok === false && tooManyPixels.verdict.error.code).toBe('too_many_pixels')
    const tooSmall = await inspectFile(file, { ...route, minEdge: 100 })
    expect(tooSmall.verdict.ok === false && tooSmall.verdict.error.code).toBe('too_small')
    // Re-judging an inspected file against another model needs no file access.
    const info = await inspectFile(file)
    expect(checkAgainstLimits(info, route)).toEqual({ ok: true })
    expect(checkAgainstLimits(info, { ...route, minEdge: 100 })).toMatchObject({ ok: false, error: { code: 'too_small' } })
    expect(checkAgainstLimits(info, { ...route, maxInputBytes: 10 })).toMatchObject({ ok: false, error: { code: 'too_many_bytes' } })
  })

  it('names missing files, folders, over-long paths and unreadable files', async () => {
    const missing = await inspectFile(join(tmp, 'gone.jpg'))
    expect(missing.verdict.ok === false && missing.verdict.error.code).toBe('not_found_file')
    const folder = join(tmp, 'folder.jpg')
    mkdirSync(folder, { recursive: true })
    const dir = await inspectFile(folder)
    expect(dir.verdict.ok === false && dir.verdict.error.code).toBe('unreadable')
    const long = await inspectFile(join(tmp, 'x'.repeat(5000) + '.jpg'))
    expect(long.verdict.ok === false && long.verdict.error.code).toBe('path_too_long')
    const longName = await inspectFile(join(tmp, 'y'.repeat(300) + '.jpg'))
    expect(longName.verdict.ok === false && longName.verdict.error.code).toBe('path_too_long')
  })

  it('reports a file without read permission as unreadable, also when the tests run as root', async () => {
    // A folder of its own, open to the unprivileged user; only the file's mode keeps it out.
    const dir = mkdtempSync(join(tmpdir(), 'pixdesk-locked-'))
    try {
      chmodSync(dir, 0o755)
      const locked = join(dir, 'locked.png')
      const readable = join(dir, 'readable.png')
      writeFileSync(locked, readFileSync(join(corpus.dir, 'basic.png')))
      writeFileSync(readable, readFileSync(join(corpus.dir, 'basic.png')))
      chmodSync(locked, 0o000)
      chmodSync(readable, 0o644)
      const { infos, how } = await inspectWithoutPrivileges([locked, readable])
      console.info(`permission check ran ${how} (uid ${process.getuid?.() ?? 'n/a'})`)
      // The same user reads the same bytes once the mode allows it: the refusal is the permission, nothing else.
      expect(infos[1]!.verdict).toEqual({ ok: true })
      expect(infos[0]!.verdict).toMatchObject({ ok: false, error: { code: 'unreadable', path: locked } })
      expect(infos[0]!.verdict.ok === false && infos[0]!.verdict.error.message).toMatch(/"locked\.png" cannot be read: permission denied/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('SVG files', () => {
  it('are refused with a message that says what to do instead', async () => {
    const info = await inspectFile(join(corpus.dir, 'script.svg'))
    expect(info.verdict).toMatchObject({ ok: false, error: { code: 'svg_refused' } })
    expect(info.verdict.ok === false && info.verdict.error.message).toContain('SVG files are not sent to image models; export it as PNG')
    expect(info.width).toBe(0)
  })

  it('never reach the decoder, whatever asks to render them', async () => {
    const svg = readFileSync(join(corpus.dir, 'script.svg'))
    // libvips itself would draw this SVG without complaint: only the sniff in front of it refuses.
    expect((await sharp(svg).metadata()).format).toBe('svg')
    await expect(renderThumbnail(svg, 128, false)).rejects.toMatchObject({ code: 'svg_refused' })
    await expect(renderDisplay(svg, 1024, false)).rejects.toMatchObject({ code: 'svg_refused' })
    await expect(renderThumbnail(Buffer.from('<html><body>hi</body></html>'), 128, false)).rejects.toMatchObject({ code: 'unsupported_format' })
    // A long comment pushes the root element past the sniffed bytes: still not an image, still not decoded.
    const padded = join(tmp, 'padded.png')
    writeFileSync(padded, `<?xml version="1.0"?><!--${'x'.repeat(2000)}--><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`)
    expect((await inspectFile(padded)).verdict).toMatchObject({ ok: false, error: { code: 'unsupported_format' } })
  })
})

describe('normaliseForUpload', () => {
  it('converts what the route cannot take, applies orientation, downscales, and records each step', async () => {
    const cases: Array<[string, string, RegExp[]]> = [
      ['basic.tif', 'jpeg', [/convert TIFF to JPEG/, /downscale 96×64 to 48×32/]],
      ['basic.avif', 'jpeg', [/convert AVIF to JPEG/]],
      ['animated.gif', 'png', [/convert GIF to PNG/, /keep the first of 3 frames/]],
      ['cmyk.jpg', 'jpeg', [/convert CMYK to sRGB/]],
      ['deep16.png', 'png', [/reduce 16-bit to 8-bit/]],
      ['orientation-6.jpg', 'jpeg', [/apply EXIF orientation 6/]],
      ['alpha.webp', 'webp', [/downscale/]]
    ]
    for (const [name, format, steps] of cases) {
      const up = await normaliseForUpload(join(corpus.dir, name), route)
      try {
        expect(normalisationSchema.parse(up.normalised)).toEqual(up.normalised)
        expect(up.normalised.format, name).toBe(format)
        for (const step of steps) expect(up.normalised.steps.join('; '), name).toMatch(step)
        const meta = await sharp(up.path).metadata()
        expect(meta.format === 'jpeg' ? 'jpeg' : meta.format, name).toBe(format)
        expect(Math.max(meta.width!, meta.height!), name).toBeLessThanOrEqual(48)
        expect(meta.space, name).toBe(format === 'png' && meta.channels === 1 ? 'b-w' : 'srgb')
        expect(meta.depth, name).toBe('uchar')
        expect(meta.pages ?? 1, name).toBe(1)
        expect(meta.orientation ?? 1, name).toBe(1)
        expect(up.normalised.sha256).toBe(sha(up.path))
        expect(up.path.startsWith(corpus.dir)).toBe(false)
        if (name.startsWith('orientation') || name === 'basic.tif') expect(await pictureDistance(up.path, corpus.upright), name).toBeLessThan(20)
      } finally {
        await up.cleanup()
      }
      expect(existsSync(up.path)).toBe(false)
    }
  })

  it('strips EXIF and GPS by default, keeps them when asked, and copies untouched files as they are', async () => {
    const gps = join(tmp, 'gps.jpg')
    await sharp(corpus.upright)
      .withExif({ IFD0: { Make: 'StudioCam', Model: 'X1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 0/1' } })
      .jpeg()
      .toFile(gps)
    const stripped = await normaliseForUpload(gps, DEFAULT_LIMITS)
    const keptUp = await normaliseForUpload(gps, DEFAULT_LIMITS, { keepMetadata: true })
    try {
      expect(stripped.normalised.steps).toContain('strip metadata (EXIF, GPS, XMP, ICC)')
      const strippedMeta = await sharp(stripped.path).metadata()
      expect(strippedMeta.exif).toBeUndefined()
      const kept = await sharp(keptUp.path).metadata()
      expect(kept.exif?.toString('latin1')).toContain('StudioCam')
      expect(keptUp.normalised.steps).toContain('keep metadata')
    } finally {
      await stripped.cleanup()
      await keptUp.cleanup()
    }
    const plain = join(tmp, 'plain.png')
    writeFileSync(plain, await sharp(corpus.upright).png().toBuffer())
    const copy = await normaliseForUpload(plain, DEFAULT_LIMITS)
    expect(copy.normalised.steps).toEqual([])
    expect(readFileSync(copy.path)).toEqual(readFileSync(plain))
    const sent = await sharp(copy.path).metadata()
    expect(copy.normalised).toMatchObject({ format: 'png', width: sent.width, height: sent.height, bytes: readFileSync(plain).length, sha256: createHash('sha256').update(readFileSync(copy.path)).digest('hex') })
    await copy.cleanup()
  })

  it('refuses a bad file with its code instead of producing an upload', async () => {
    await expect(normaliseForUpload(join(corpus.dir, 'truncated.jpg'), route)).rejects.toMatchObject({ code: 'corrupt' })
    await expect(normaliseForUpload(join(corpus.dir, 'phone.heic'), route)).rejects.toMatchObject({ code: 'heic_unsupported' })
  })
})
