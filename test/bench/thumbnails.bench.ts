/**
 * Library import + thumbnail benchmark on real photos, against vipsthumbnail (libvips-tools) on the same
 * files at the same size in the same run: one process, and one process per core (what the machine can
 * do). Then, in a folder of 1,000 photos, how soon the first thumbnail exists after the import starts
 * and how soon the first screen's (the first 40 in the library's order) all do. Prints measured figures
 * and ratios; always exits 0.
 *
 *   npx tsx test/bench/thumbnails.bench.ts [--files 200]
 *
 * Material: crops and re-encodes (≥ 2 MP) of the Lomiri wallpaper photos (CC-BY-SA), fetched by
 * test/support/corpus.ts.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { Library } from '../../electron/core/library/library'
import { realPhotos } from '../support/corpus'

const run = promisify(execFile)
const SIZE = 256
const argIndex = process.argv.indexOf('--files')
const COUNT = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 200
const FIRST_SCREEN_FOLDER = 1000
const FIRST_SCREEN = 40
const CORES = availableParallelism()
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

/** CPU seconds used by this process's finished children (Linux: /proc/self/stat cutime + cstime). */
function childrenCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[13]) + Number(fields[14])) / 100
  } catch {
    return Number.NaN
  }
}

/** Wall time, and the CPU seconds vipsthumbnail used. */
async function vipsthumbnail(files: string[], outDir: string, processes: number): Promise<number> {
  mkdirSync(outDir, { recursive: true })
  const groups = Array.from({ length: processes }, (_, p) => files.filter((_, i) => i % processes === p))
  const cpuBefore = childrenCpuSeconds()
  const { ms } = await timed(() =>
    Promise.all(groups.map((g) => run('vipsthumbnail', ['--size', String(SIZE), '-o', `${outDir}/%s.jpg[Q=80]`, ...g], { maxBuffer: 1 << 24 })))
  )
  vipsCpuSeconds.push(childrenCpuSeconds() - cpuBefore)
  return ms
}
const vipsCpuSeconds: number[] = []

/**
 * `count` files from the photos: the photos themselves, then copies made distinct by a JPEG comment
 * segment (same pixels, different bytes and hash), so every file is hashed, decoded and thumbnailed.
 */
function distinctCopies(photos: string[], dir: string, count: number): void {
  mkdirSync(dir)
  for (let i = 0; i < count; i++) {
    const bytes = readFileSync(photos[i % photos.length]!)
    const note = Buffer.from(`copy ${i}`)
    const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, note.length + 2]), note])
    // After the SOI marker: a comment segment is valid anywhere before the first frame.
    writeFileSync(join(dir, `photo-${String(i).padStart(5, '0')}.jpg`), Buffer.concat([bytes.subarray(0, 2), comment, bytes.subarray(2)]))
  }
}

/** From the start of an import: the first thumbnail, then all of the first screen's, in the library's order. */
async function firstScreen(folder: string, work: string): Promise<{ firstMs: number; screenMs: number; allMs: number }> {
  const lib = await Library.open({ dataDir: join(work, 'fs-data'), cacheDir: join(work, 'fs-cache'), watch: false })
  const screen = new Set(
    readdirSync(folder)
      .sort()
      .slice(0, FIRST_SCREEN)
      .map((f) => join(folder, f))
  )
  let firstMs = Number.NaN
  let screenMs = Number.NaN
  const started = performance.now()
  lib.on('thumbnail', ({ assetId }) => {
    if (Number.isNaN(firstMs)) firstMs = performance.now() - started
    const asset = lib.get(assetId)
    if (asset && screen.delete(asset.path) && screen.size === 0) screenMs = performance.now() - started
  })
  await lib.importPaths([folder])
  const allMs = performance.now() - started
  await lib.close()
  return { firstMs, screenMs, allMs }
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

    const load = [loadavg()[0]!]
    let vipsOne: number
    let vipsAll: number
    try {
      vipsOne = await vipsthumbnail(files, join(work, 'vips1'), 1)
      vipsAll = await vipsthumbnail(files, join(work, 'vipsN'), CORES)
    } catch (err) {
      console.log(`vipsthumbnail unavailable (${(err as Error).message.split('\n')[0]}); install Debian's libvips-tools for the reference.`)
      vipsOne = Number.NaN
      vipsAll = Number.NaN
    }
    const produced = readdirSync(join(work, 'vips1')).length

    const data = join(work, 'data')
    const cache = join(work, 'cache')
    const cpuBefore = process.cpuUsage()
    const cold = await timed(async () => {
      const lib = await Library.open({ dataDir: data, cacheDir: cache, watch: false })
      const summary = await lib.importPaths([photosDir])
      await lib.close()
      return summary
    })
    const coldCpu = process.cpuUsage(cpuBefore)
    const coldCpuSeconds = (coldCpu.user + coldCpu.system) / 1e6
    const warm = await timed(async () => {
      const lib = await Library.open({ dataDir: data, cacheDir: cache, watch: false })
      const summary = await lib.importPaths([photosDir])
      await lib.close()
      return summary
    })
    // vipsthumbnail on every core once more after the import, so a change in the machine's load during
    // the run shows up as a spread between the two rather than as a better or worse ratio.
    const vipsAllAfter = await vipsthumbnail(files, join(work, 'vipsN2'), CORES).catch(() => Number.NaN)
    load.push(loadavg()[0]!)
    clearInterval(sampler)
    const folder = join(work, 'first-screen')
    distinctCopies(files, folder, FIRST_SCREEN_FOLDER)
    for (const f of readdirSync(folder)) readFileSync(join(folder, f))
    const screen = await firstScreen(folder, work)
    load.push(loadavg()[0]!)

    const rate = (ms: number) => (files.length / (ms / 1000)).toFixed(1)
    const vipsEveryCore = Math.min(vipsAll, vipsAllAfter)
    console.log(`Thumbnails at ${SIZE} px of ${files.length} photos (load average ${load.map((l) => l.toFixed(1)).join(' → ')} on ${CORES} cores):`)
    console.log(`  vipsthumbnail, 1 process:  ${secs(vipsOne)}  (${rate(vipsOne)} files/s, ${produced} thumbnails)`)
    console.log(`  vipsthumbnail, ${CORES} processes: ${secs(vipsAll)} before the import, ${secs(vipsAllAfter)} after it (${rate(vipsEveryCore)} files/s at best)`)
    console.log(
      `  Pixdesk cold import:       ${secs(cold.ms)}  (${rate(cold.ms)} files/s; ${cold.value.ok} ok, ${cold.value.failed} refused; includes sha256, decode validation, index)`
    )
    console.log(`  Pixdesk warm re-import:    ${secs(warm.ms)}  (${rate(warm.ms)} files/s; ${warm.value.reused} reused from the index)`)
    const coldVsVips = vipsOne / cold.ms
    const coldVsEveryCore = vipsEveryCore / cold.ms
    const warmVsCold = cold.ms / warm.ms
    console.log(`Ratios:`)
    console.log(`  cold throughput vs vipsthumbnail (1 process):             ${coldVsVips.toFixed(2)}×`)
    console.log(
      `  cold throughput vs vipsthumbnail on every core (${CORES} processes, the faster of the two runs): ${coldVsEveryCore.toFixed(2)}×  goal ≥ 1.0×  ${coldVsEveryCore >= 1 ? 'MET' : 'NOT MET'}`
    )
    console.log(`  warm re-import vs cold:                                   ${warmVsCold.toFixed(1)}×  goal ≥ 20×  ${warmVsCold >= 20 ? 'MET' : 'NOT MET'}`)
    // On a machine busier than its cores, wall times measure the share of the cores each side got;
    // CPU time per file is what each costs whatever the load.
    const perFile = (seconds: number) => `${((seconds / files.length) * 1000).toFixed(1)} ms`
    const vipsCpu = Math.min(...vipsCpuSeconds.filter(Number.isFinite))
    console.log(
      `  CPU per file: vipsthumbnail ${perFile(vipsCpu)}, Pixdesk cold import ${perFile(coldCpuSeconds)} ` +
        `(${(vipsCpu / coldCpuSeconds).toFixed(2)}× vipsthumbnail's efficiency; with the cores free, throughput follows this)`
    )
    console.log(`First screen, importing a folder of ${FIRST_SCREEN_FOLDER} photos (${files.length} photos and byte-distinct copies):`)
    console.log(`  first thumbnail available:                   ${Math.round(screen.firstMs)} ms  goal < 500 ms  ${screen.firstMs < 500 ? 'MET' : 'NOT MET'}`)
    console.log(`  all ${FIRST_SCREEN} thumbnails of the first screen:       ${Math.round(screen.screenMs)} ms`)
    console.log(`  whole folder imported:                       ${secs(screen.allMs)} (${(FIRST_SCREEN_FOLDER / (screen.allMs / 1000)).toFixed(1)} files/s)`)
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
