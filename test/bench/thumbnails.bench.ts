/**
 * Library import + thumbnail benchmark on real photos, against vipsthumbnail (libvips-tools) on the same
 * files at the same size in the same run. Prints measured figures and ratios; always exits 0.
 *
 *   npx tsx test/bench/thumbnails.bench.ts [--files 200]
 *
 * Material: crops and re-encodes (≥ 2 MP) of the Lomiri wallpaper photos (CC-BY-SA), fetched by
 * test/support/corpus.ts.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { Library } from '../../electron/core/library/library'
import { realPhotos } from '../support/corpus'

const run = promisify(execFile)
const SIZE = 256
const argIndex = process.argv.indexOf('--files')
const COUNT = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 200
const CROPS: Array<[number, number]> = [
  [1920, 1200],
  [2048, 1365],
  [1600, 1400],
  [1400, 1800],
  [2400, 1600]
]

let peakRss = 0
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25).unref()
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`

async function makeMaterial(dir: string): Promise<{ files: string[]; megapixels: number }> {
  const photos = realPhotos()
  const files: string[] = []
  let megapixels = 0
  for (let i = 0; files.length < COUNT; i++) {
    const src = photos[i % photos.length]!
    const meta = await sharp(src).metadata()
    const perSource = Math.ceil(COUNT / photos.length / 2) // two passes over the sources
    for (let k = 0; k < perSource && files.length < COUNT; k++) {
      const [w, h] = CROPS[(i + k) % CROPS.length]!
      const cw = Math.min(w, meta.width!)
      const ch = Math.min(h, meta.height!)
      const left = Math.floor(((meta.width! - cw) * ((k * 37) % 101)) / 100)
      const top = Math.floor(((meta.height! - ch) * ((k * 53) % 101)) / 100)
      const file = join(dir, `photo-${String(files.length).padStart(4, '0')}.jpg`)
      await sharp(src).extract({ left, top, width: cw, height: ch }).jpeg({ quality: 85 - (k % 3) * 5 }).toFile(file)
      files.push(file)
      megapixels += (cw * ch) / 1e6
    }
  }
  return { files, megapixels }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now()
  const value = await fn()
  return { ms: performance.now() - t, value }
}

async function vipsthumbnail(files: string[], outDir: string, processes: number): Promise<number> {
  mkdirSync(outDir, { recursive: true })
  const groups = Array.from({ length: processes }, (_, p) => files.filter((_, i) => i % processes === p))
  const { ms } = await timed(() =>
    Promise.all(groups.map((g) => run('vipsthumbnail', ['--size', String(SIZE), '-o', `${outDir}/%s.jpg[Q=80]`, ...g], { maxBuffer: 1 << 24 })))
  )
  return ms
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'pixdesk-bench-'))
  try {
    const photosDir = join(work, 'photos')
    mkdirSync(photosDir)
    console.log(`Generating ${COUNT} photos (crops/re-encodes of real wallpapers, ≥ 2 MP)...`)
    // In a child process, so the peak memory reported below is the import's, not the generator's.
    const { stdout } = await run(process.execPath, [...process.execArgv, __filename, '--generate-into', photosDir, '--files', String(COUNT)], {
      maxBuffer: 1 << 24
    })
    const megapixels = Number(stdout.trim().split('\n').pop())
    const files = readdirSync(photosDir)
      .sort()
      .map((f) => join(photosDir, f))
    console.log(`  ${files.length} JPEGs, ${megapixels.toFixed(0)} MP total, ${(megapixels / files.length).toFixed(1)} MP average`)
    // Same starting point for everyone: the files are in the OS page cache.
    for (const f of files) readFileSync(f)

    let vipsOne: number
    let vipsTwo: number
    try {
      vipsOne = await vipsthumbnail(files, join(work, 'vips1'), 1)
      vipsTwo = await vipsthumbnail(files, join(work, 'vips2'), 2)
    } catch (err) {
      console.log(`vipsthumbnail unavailable (${(err as Error).message.split('\n')[0]}); install Debian's libvips-tools for the reference.`)
      vipsOne = Number.NaN
      vipsTwo = Number.NaN
    }
    const produced = readdirSync(join(work, 'vips1')).length

    const data = join(work, 'data')
    const cache = join(work, 'cache')
    const cold = await timed(async () => {
      const lib = await Library.open({ dataDir: data, cacheDir: cache, watch: false })
      const summary = await lib.importPaths([photosDir])
      await lib.close()
      return summary
    })
    const warm = await timed(async () => {
      const lib = await Library.open({ dataDir: data, cacheDir: cache, watch: false })
      const summary = await lib.importPaths([photosDir])
      await lib.close()
      return summary
    })
    clearInterval(sampler)

    const rate = (ms: number) => (files.length / (ms / 1000)).toFixed(1)
    console.log(`Thumbnails at ${SIZE} px of ${files.length} photos:`)
    console.log(`  vipsthumbnail, 1 process:  ${secs(vipsOne)}  (${rate(vipsOne)} files/s, ${produced} thumbnails)`)
    console.log(`  vipsthumbnail, 2 processes: ${secs(vipsTwo)}  (${rate(vipsTwo)} files/s)`)
    console.log(
      `  Pixdesk cold import:       ${secs(cold.ms)}  (${rate(cold.ms)} files/s; ${cold.value.ok} ok, ${cold.value.failed} refused; includes sha256, decode validation, index)`
    )
    console.log(`  Pixdesk warm re-import:    ${secs(warm.ms)}  (${rate(warm.ms)} files/s; ${warm.value.reused} reused from the index)`)
    const coldVsVips = vipsOne / cold.ms
    const coldVsVips2 = vipsTwo / cold.ms
    const warmVsCold = cold.ms / warm.ms
    console.log(`Ratios:`)
    console.log(`  cold throughput vs vipsthumbnail (1 process):   ${coldVsVips.toFixed(2)}×  goal ≥ 1.0×  ${coldVsVips >= 1 ? 'MET' : 'NOT MET'}`)
    console.log(`  cold throughput vs vipsthumbnail (2 processes): ${coldVsVips2.toFixed(2)}×`)
    console.log(`  warm re-import vs cold:                         ${warmVsCold.toFixed(1)}×  goal ≥ 20×  ${warmVsCold >= 20 ? 'MET' : 'NOT MET'}`)
    console.log(`Peak RSS of this process: ${mb(Math.max(peakRss, process.resourceUsage().maxRSS * 1024))}`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const generateIndex = process.argv.indexOf('--generate-into')
const entry = generateIndex > 0 ? makeMaterial(process.argv[generateIndex + 1]!).then((m) => console.log(m.megapixels)) : main()
entry.catch((err) => {
  console.error(`Benchmark failed: ${(err as Error).stack ?? err}`)
  process.exitCode = 1
})
