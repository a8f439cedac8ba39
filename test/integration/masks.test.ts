import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openHistory } from '../../electron/core/history/history'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { runCli, type CliResult } from '../support/cli-process'
import { realPhotos } from '../support/corpus'
import { startFakeOpenAI } from '../support/fake-openai'
import { executeImageRequest } from '../../electron/core/providers/execute'

/**
 * Masked edits end to end, on a real photo, through the command line and the sandbox: whatever the model
 * does, pixels outside the mask come back as the original's; the leak before compositing is measured;
 * a bad mask stops the command before anything is sent.
 */

const W = 960
const H = 600
/** The painted rectangle: x 300..599, y 150..399. */
const RECT = { left: 300, top: 150, width: 300, height: 250 }

let dir: string
let home: string
let photo: string
let original: Buffer
let sandbox: Sandbox

const run = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => runCli(args, { home, cwd: dir, baseUrl: sandbox.url, env })

interface DoneItem {
  state: string
  maskLeak?: number
  outputs: Array<{ path: string; rawPath?: string }>
}

async function maskedEdit(model: string, mask: string, extra: string[] = [], env: Record<string, string> = {}, global: string[] = []): Promise<DoneItem> {
  const r = await run([...global, 'edit', photo, '--mask', mask, '--model', model, '--prompt', 'a red ceramic cup on the table', '--json', ...extra], env)
  expect(r.code, r.stderr).toBe(0)
  const items = r.events.filter((e) => e.type === 'item.updated') as Array<{ type: string; item?: DoneItem }>
  return items.findLast((e) => e.item?.state === 'done')!.item!
}

/** A greyscale mask (white = edit) with one painted rectangle, at any size (scaled from W×H). */
function rectMask(width: number, height: number): Promise<Buffer> {
  const sx = width / W
  const sy = height / H
  const rect = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#000"/><rect x="${RECT.left * sx}" y="${RECT.top * sy}" width="${RECT.width * sx}" height="${RECT.height * sy}" fill="#fff"/></svg>`
  )
  return sharp(rect).greyscale().png().toBuffer()
}

const nearRect = (x: number, y: number, d: number) =>
  x >= RECT.left - d && x < RECT.left + RECT.width + d && y >= RECT.top - d && y < RECT.top + RECT.height + d
const insideRect = (x: number, y: number) => x >= RECT.left && x < RECT.left + RECT.width && y >= RECT.top && y < RECT.top + RECT.height

/**
 * Largest channel difference outside the rectangle, and the share of inside pixels that changed. `edge`
 * leaves out a band around the rectangle where a scaled mask's edge may fall.
 */
async function compare(outputPath: string, edge = 0): Promise<{ maxOutside: number; changedInside: number }> {
  const out = await sharp(outputPath).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  expect([out.info.width, out.info.height]).toEqual([W, H])
  let maxOutside = 0
  let changedInside = 0
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3
      const diff = Math.max(...[0, 1, 2].map((c) => Math.abs(out.data[p + c]! - original[p + c]!)))
      if (insideRect(x, y)) changedInside += diff > 24 ? 1 : 0
      else if (edge && nearRect(x, y, edge)) continue
      else maxOutside = Math.max(maxOutside, diff)
    }
  }
  return { maxOutside, changedInside: changedInside / (RECT.width * RECT.height) }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-masks-'))
  home = join(dir, 'home')
  photo = join(dir, 'table.jpg')
  // A real photo (Lomiri wallpapers, CC-BY-SA), brought down to a size the sandbox answers at as it is.
  await sharp(realPhotos()[0]!).rotate().resize(W, H, { fit: 'cover' }).jpeg({ quality: 92 }).toFile(photo)
  original = await sharp(photo).removeAlpha().raw().toBuffer()
  await writeFile(join(dir, 'mask.png'), await rectMask(W, H))
  await writeFile(join(dir, 'mask-small.png'), await rectMask(W / 2, H / 2))
  sandbox = await startSandbox()
}, 120_000)
afterAll(async () => {
  await sandbox?.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  sandbox.reset()
  sandbox.setFaults({})
})

describe('masked edits keep everything outside the mask', () => {
  it('GPT model: sends an RGBA mask of the upload size, and the output equals the original outside it', async () => {
    const item = await maskedEdit('gpt-image-1.5', join(dir, 'mask.png'))
    const sent = sandbox.stats().submissions
    expect(sent).toHaveLength(1)
    expect(sent[0]!.mask).toMatchObject({ width: W, height: H })
    expect(sent[0]!.mask!.editShare).toBeCloseTo((RECT.width * RECT.height) / (W * H), 2)
    const { maxOutside, changedInside } = await compare(item.outputs[0]!.path)
    expect(maxOutside).toBeLessThanOrEqual(1)
    expect(changedInside).toBeGreaterThan(0.5)
    expect(item.maskLeak).toBeLessThan(0.01)
    // The model's own result is kept beside the composite.
    expect(item.outputs[0]!.rawPath).toMatch(/\.model\.png$/)
    await expect(readFile(item.outputs[0]!.rawPath!)).resolves.toBeTruthy()
  }, 120_000)

  it('Gemini model: sends only the masked region (no mask part), places the answer back, outside equals the original', async () => {
    const item = await maskedEdit('nano-banana', join(dir, 'mask.png'))
    const sent = sandbox.stats().submissions
    expect(sent).toHaveLength(1)
    expect(sent[0]!.mask).toBeUndefined()
    // The record says which region went: the painted rectangle with its margin, not the whole picture.
    const history = openHistory(home)
    const page = await history.query({ pageSize: 1 })
    await history.close()
    const use = page.items[0]!.mask!
    expect(use.route).toBe('crop')
    expect(use.crop!.left).toBeLessThanOrEqual(RECT.left)
    expect(use.crop!.left + use.crop!.width).toBeGreaterThanOrEqual(RECT.left + RECT.width)
    expect(use.crop!.width * use.crop!.height).toBeLessThan(W * H)
    expect(use.leak).toHaveLength(1)
    const { maxOutside, changedInside } = await compare(item.outputs[0]!.path)
    expect(maxOutside).toBeLessThanOrEqual(1)
    expect(changedInside).toBeGreaterThan(0.5)
  }, 120_000)

  it('OpenAI direct: the mask goes as a PNG mask part; a result that ignores it is composited back and its leak recorded', async () => {
    const openai = await startFakeOpenAI({ apiKey: 'sk-test-masks' })
    try {
      const item = await maskedEdit('gpt-image-1.5', join(dir, 'mask.png'), ['--provider', 'openai', '--base-url', openai.url], { OPENAI_API_KEY: 'sk-test-masks' }, ['--trust-base-url'])
      const files = openai.received[0]!.files
      expect(files.map((f) => [f.field, f.type])).toEqual([
        ['image', 'image/jpeg'],
        ['mask', 'image/png']
      ])
      const { maxOutside, changedInside } = await compare(item.outputs[0]!.path)
      expect(maxOutside).toBeLessThanOrEqual(1)
      expect(changedInside).toBeGreaterThan(0.5)
      // The fake answers one flat colour for the whole picture: most of the outside changed.
      expect(item.maskLeak).toBeGreaterThan(0.5)
    } finally {
      await openai.close()
    }
  }, 120_000)

  it('measures the leak when the model edits outside the mask, and still keeps the outside', async () => {
    sandbox.setFaults({ leakOutsideMask: 0.5 })
    const item = await maskedEdit('gpt-image-1.5', join(dir, 'mask.png'))
    // The sandbox changed every outside pixel in the top half of the rows.
    const outside = W * H - RECT.width * RECT.height
    const insideTopHalf = RECT.width * (H / 2 - RECT.top)
    const expected = (W * (H / 2) - insideTopHalf) / outside
    expect(item.maskLeak).toBeCloseTo(expected, 2)
    const { maxOutside } = await compare(item.outputs[0]!.path)
    expect(maxOutside).toBeLessThanOrEqual(1)
  }, 120_000)

  it('scales a mask made at another size to the image, and says so', async () => {
    // Through an async task this time: the task's answer is composited like a sync one.
    const r = await run(['edit', photo, '--mask', join(dir, 'mask-small.png'), '--model', 'gpt-image-1.5', '--prompt', 'a red cup', '--async', '--out', join(dir, 'async')])
    expect(r.code, r.stderr).toBe(0)
    expect(sandbox.stats().tasksCreated).toBe(1)
    const [output] = (await readdir(join(dir, 'async'))).filter((f) => f.endsWith('_1.png'))
    expect((await compare(join(dir, 'async', output!), 2)).maxOutside).toBeLessThanOrEqual(1)
    expect(r.stderr).toContain(`was scaled to the image's ${W}×${H}`)
    expect(sandbox.stats().submissions[0]!.mask).toMatchObject({ width: W, height: H })
  }, 120_000)
})

describe('bad masks are refused before anything is sent', () => {
  it('the sandbox refuses a mask part of the wrong size, format or model with a 400 naming the mask', async () => {
    const request = (model: string, mask: Buffer) =>
      executeImageRequest(
        { kind: 'edit', provider: 'pixapi', model, prompt: 'a red cup', params: { n: 1 }, route: 'sync', inputs: [{ source: 'file', path: photo }], mask, sandbox: true },
        { baseUrl: sandbox.url, retry: { maxAttempts: 1 } }
      )
    const transparentHole = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer()
    const wrongSize = await request('gpt-image-1.5', await transparentHole(W / 2, H / 2))
    expect(wrongSize.record.error).toMatchObject({ code: 'validation' })
    expect(wrongSize.record.error!.message).toContain(`the image is ${W}×${H}`)
    const jpeg = await request('gpt-image-1.5', await sharp({ create: { width: W, height: H, channels: 3, background: '#fff' } }).jpeg().toBuffer())
    expect(jpeg.record.error!.message).toContain('must be a PNG')
    const opaque = await request('gpt-image-1.5', await sharp({ create: { width: W, height: H, channels: 3, background: '#fff' } }).png().toBuffer())
    expect(opaque.record.error!.message).toContain('RGBA PNG')
    const gemini = await request('nano-banana', await transparentHole(W, H))
    expect(gemini.record.error!.message).toContain('does not take a mask')
    expect(sandbox.stats().submissions.map((s) => s.status)).toEqual([400, 400, 400, 400])
  }, 60_000)

  const cases: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ['not an image', async () => Buffer.from('this is a text file, not a mask\n'), /is not an image/],
    ['a different aspect ratio', () => rectMask(W, W), /aspect ratios differ by/],
    ['all black', () => sharp({ create: { width: W, height: H, channels: 3, background: '#000' } }).png().toBuffer(), /marks nothing to edit/],
    ['all white', () => sharp({ create: { width: W, height: H, channels: 3, background: '#fff' } }).png().toBuffer(), /marks the whole image/],
    ['fully transparent', () => sharp({ create: { width: W, height: H, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer(), /marks the whole image/]
  ]
  for (const [name, make, message] of cases) {
    it(`${name}: exit 2 with the reason, no submission`, async () => {
      const path = join(dir, `bad-${name.replace(/\W+/g, '-')}.png`)
      await writeFile(path, await make())
      const r = await run(['edit', photo, '--mask', path, '--model', 'gpt-image-1.5', '--prompt', 'a red cup'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(sandbox.stats().submissions).toHaveLength(0)
    }, 60_000)
  }
})
