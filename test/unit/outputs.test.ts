import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { recordOutputSchema } from '../../shared/records'
import { writeOutputs } from '../../electron/core/outputs'

const tmp = mkdtempSync(join(tmpdir(), 'pixdesk-outputs-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const picture = (alpha = false) =>
  sharp({ create: { width: 40, height: 30, channels: alpha ? 4 : 3, background: { r: 200, g: 30, b: 60, alpha: 0.5 } } })
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const base = { model: 'gpt-image-2', prompt: 'Put the mug on a marble table, warm "light" & <soft> shadows', requestId: 'req_123', sourceSha256: 'a'.repeat(64) }

function sourceIn(name: string): { dir: string; source: string; bytes: Buffer } {
  const dir = mkdtempSync(join(tmp, 'case-'))
  const source = join(dir, name)
  const bytes = Buffer.from('original client file bytes')
  writeFileSync(source, bytes)
  return { dir, source, bytes }
}

describe('writeOutputs', () => {
  it('writes into a pixdesk folder beside the source with the default template and embeds PNG text chunks', async () => {
    const { dir, source, bytes } = sourceIn('mug shot.jpg')
    const png = await picture().png().toBuffer()
    const [out] = await writeOutputs([{ bytes: png, format: 'png' }], { ...base, sourcePath: source })
    expect(out).toBeDefined()
    expect(recordOutputSchema.parse(out)).toEqual(out)
    expect(out!.path).toBe(join(dir, 'pixdesk', 'mug shot_gpt-image-2_1.png'))
    expect(readFileSync(source)).toEqual(bytes)
    const written = readFileSync(out!.path)
    expect(out!.sha256).toBe(sha(written))
    expect(out).toMatchObject({ width: 40, height: 30, format: 'png', bytes: written.length })
    const meta = await sharp(written).metadata()
    const comments = Object.fromEntries((meta.comments ?? []).map((c) => [c.keyword, c.text]))
    expect(comments['pixdesk:model']).toBe('gpt-image-2')
    expect(comments['pixdesk:prompt']).toBe(base.prompt)
    expect(comments['pixdesk:requestId']).toBe('req_123')
    expect(comments['pixdesk:sourceSha256']).toBe(base.sourceSha256)
    expect(JSON.parse(comments['pixdesk:parameters']!)).toMatchObject({ model: 'gpt-image-2', prompt: base.prompt })
    expect(readdirSync(dirname(out!.path)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('embeds XMP in JPEG and WebP (simple, lossless with alpha, and extended) without breaking them', async () => {
    const outDir = mkdtempSync(join(tmp, 'xmp-'))
    const images = [
      { bytes: await picture().jpeg().toBuffer() },
      { bytes: await picture().webp({ quality: 80 }).toBuffer() },
      { bytes: await picture(true).webp({ lossless: true }).toBuffer() },
      { bytes: await picture(true).webp({ quality: 80 }).toBuffer() }
    ]
    const outs = await writeOutputs(images, { ...base, outputDir: outDir, template: '{model}-{index}-{requestId}' })
    expect(outs.map((o) => basename(o.path))).toEqual(['gpt-image-2-1-req_123.jpg', 'gpt-image-2-2-req_123.webp', 'gpt-image-2-3-req_123.webp', 'gpt-image-2-4-req_123.webp'])
    for (const [i, out] of outs.entries()) {
      const meta = await sharp(out.path).metadata()
      const xmp = meta.xmp?.toString('utf8') ?? ''
      expect(xmp).toContain('<pixdesk:model>gpt-image-2</pixdesk:model>')
      expect(xmp).toContain('<pixdesk:requestId>req_123</pixdesk:requestId>')
      expect(xmp).toContain('warm &quot;light&quot; &amp; &lt;soft&gt; shadows')
      expect(meta.hasAlpha).toBe(i >= 2)
      const { info } = await sharp(out.path).raw().toBuffer({ resolveWithObject: true })
      expect([info.width, info.height]).toEqual([40, 30])
    }
  })

  it('never overwrites: an existing file (even the original) keeps its bytes and the output gets a suffix', async () => {
    const { dir, source, bytes } = sourceIn('photo.png')
    const png = await picture().png().toBuffer()
    // Outputs configured into the source folder, with a template that reproduces the source's own name.
    const outs = await writeOutputs([{ bytes: png }, { bytes: png }], { ...base, sourcePath: source, outputDir: dir, template: '{name}{index}' })
    writeFileSync(join(dir, 'taken_1.png'), 'someone else')
    const again = await writeOutputs([{ bytes: png }], { ...base, sourcePath: join(dir, 'taken.png'), outputDir: dir, template: '{name}_{index}' })
    const third = await writeOutputs([{ bytes: png }], { ...base, sourcePath: join(dir, 'taken.png'), outputDir: dir, template: '{name}_{index}' })
    expect(outs.map((o) => basename(o.path))).toEqual(['photo1.png', 'photo2.png'])
    expect(basename(again[0]!.path)).toBe('taken_1-2.png')
    expect(basename(third[0]!.path)).toBe('taken_1-3.png')
    expect(readFileSync(join(dir, 'taken_1.png'), 'utf8')).toBe('someone else')
    expect(readFileSync(source)).toEqual(bytes)
    const same = await writeOutputs([{ bytes: png }], { ...base, sourcePath: source, outputDir: dir, template: 'photo{index}' })
    expect(basename(same[0]!.path)).toBe('photo1-2.png')
  })

  it('writes an optional sidecar JSON and fills {date} and {time}', async () => {
    const outDir = mkdtempSync(join(tmp, 'sidecar-'))
    const date = new Date(2026, 0, 2, 3, 4, 5)
    const [out] = await writeOutputs([{ bytes: await picture().png().toBuffer() }], {
      ...base,
      outputDir: outDir,
      template: '{date}_{time}_{index}',
      date,
      sidecar: true,
      metadata: { size: '1024x1024', quality: 'high' }
    })
    expect(basename(out!.path)).toBe('2026-01-02_030405_1.png')
    expect(out!.sidecarPath).toBe(join(outDir, '2026-01-02_030405_1.json'))
    const sidecar = JSON.parse(readFileSync(out!.sidecarPath!, 'utf8'))
    expect(sidecar).toMatchObject({ model: 'gpt-image-2', prompt: base.prompt, requestId: 'req_123', size: '1024x1024', quality: 'high' })
    expect(sidecar.output.sha256).toBe(out!.sha256)
  })

  it('makes unsafe names safe and shortens long names to the OS limits', async () => {
    const outDir = mkdtempSync(join(tmp, 'names-'))
    const longName = 'é'.repeat(300)
    const [a] = await writeOutputs([{ bytes: await picture().png().toBuffer() }], { ...base, model: 'a/b:c*?', sourcePath: join(tmp, `${longName}.jpg`), outputDir: outDir })
    const name = basename(a!.path)
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255)
    expect(name.endsWith('_a_b_c__1.png')).toBe(true)
    // A Windows-length limit with a deep folder: the name gives way, then the folder is refused.
    const deep = join(outDir, 'd'.repeat(180))
    const [b] = await writeOutputs([{ bytes: await picture().png().toBuffer() }], { ...base, sourcePath: join(tmp, 'x'.repeat(120) + '.jpg'), outputDir: deep, platform: 'win32' })
    expect(Buffer.byteLength(b!.path)).toBeLessThanOrEqual(259)
    await expect(
      writeOutputs([{ bytes: await picture().png().toBuffer() }], { ...base, outputDir: join(outDir, 'e'.repeat(250)), platform: 'win32' })
    ).rejects.toMatchObject({ code: 'path_too_long' })
  })

  it('removes what a killed writer left behind, never what a running one is writing', async () => {
    const { dir, source } = sourceIn('shoe.jpg')
    const out = join(dir, 'pixdesk')
    mkdirSync(out)
    const gone = spawnSync(process.execPath, ['-e', '']).pid!
    const leftovers = {
      killed: `.shoe_gpt-image-2_1.${gone}-0123456789ab.tmp`,
      running: `.shoe_gpt-image-2_2.${process.ppid}-0123456789ab.tmp`,
      // From a writer that did not name itself: only removed once it is an hour old.
      recent: '.shoe_gpt-image-2_3.0123456789ab.tmp',
      old: '.shoe_gpt-image-2_4.abcdef012345.tmp',
      someoneElses: '.notes.tmp'
    }
    for (const name of Object.values(leftovers)) writeFileSync(join(out, name), 'half an image')
    const hourAgo = new Date(Date.now() - 2 * 3_600_000)
    utimesSync(join(out, leftovers.old), hourAgo, hourAgo)
    await writeOutputs([{ bytes: await picture().png().toBuffer(), format: 'png' }], { ...base, sourcePath: source })
    const left = readdirSync(out).filter((f) => f.startsWith('.'))
    expect(left.sort()).toEqual([leftovers.running, leftovers.recent, leftovers.someoneElses].sort())
  })

  it('refuses data that is not an image and leaves nothing behind', async () => {
    const outDir = mkdtempSync(join(tmp, 'bad-'))
    const err = await writeOutputs([{ bytes: Buffer.from('<html>error page</html>'), format: 'png' }], { ...base, outputDir: outDir }).catch((e) => e)
    expect(err).toBeInstanceOf(AppError)
    expect(err.code).toBe('bad_response')
    expect(readdirSync(outDir)).toEqual([])
    await expect(writeOutputs([], { ...base, outputDir: outDir, template: '{name}' })).rejects.toThrow(/\{index\}/)
  })
})
