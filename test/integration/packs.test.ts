import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { builtInPacks, type Pack } from '../../shared/packs'
import { loadCatalog } from '../../electron/core/catalog'
import { packBatchSpec, planForRun } from '../../electron/core/packs/run'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { realPhotos } from '../support/corpus'
import { openTestEngine, waitFor, type TestEngine } from '../support/jobs-fixtures'

const catalog = loadCatalog()
let dir: string
let sandbox: Sandbox | undefined
let t: TestEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-packs-'))
})
afterEach(async () => {
  await t?.close().catch(() => undefined)
  t = undefined
  await sandbox?.close()
  sandbox = undefined
  await rm(dir, { recursive: true, force: true })
})

async function photos(count: number): Promise<string[]> {
  await mkdir(join(dir, 'in'), { recursive: true })
  return Promise.all(
    realPhotos()
      .slice(0, count)
      .map(async (src) => {
        const to = join(dir, 'in', basename(src))
        await copyFile(src, to)
        return to
      })
  )
}

const pack = (id: string): Pack => builtInPacks.find((p) => p.id === id)!

async function runPack(packIds: string[], model: string, files: string[], allowUpscale: boolean) {
  sandbox ??= await startSandbox()
  t ??= await openTestEngine(join(dir, 'data'), () => sandbox?.url)
  const engine = t.engine
  const targets = packIds.flatMap((id) => pack(id).targets)
  const combined: Pack = { id: 'all', name: 'All', builtIn: false, targets }
  const plan = planForRun(catalog, { pack: combined, model, provider: 'pixapi', images: files.length })
  const spec = packBatchSpec(plan, { files: files.map((path) => ({ path })), allowUpscale, route: 'sync', sandbox: true, outputDir: join(dir, 'out') })
  const batch = await engine.createBatch(spec)
  await waitFor(engine, () => ['done', 'cancelled'].includes(engine.get(batch.id).state))
  return { plan, batch, detail: engine.get(batch.id) }
}

describe('packs against the sandbox, with real photos', () => {
  it('every target of the marketplace, social and web packs at its exact size, rules checked, checks in the history', async () => {
    const files = await photos(1)
    const { plan, batch, detail } = await runPack(['marketplace', 'social', 'web'], 'gemini-3-pro-image', files, true)
    expect(plan.needsUpscale).toEqual([])
    expect(batch.estimate).toBe(plan.total)
    expect(detail.counts).toMatchObject({ total: plan.targets.length, done: plan.targets.length })
    // One request per image and target, each asking for the planned frame.
    const sent = sandbox!.stats().submissions
    expect(sent).toHaveLength(plan.targets.length)
    expect(new Set(sent.map((s) => s.size))).toEqual(new Set(plan.targets.map((p) => p.model.size)))
    for (const item of detail.items) {
      const target = plan.targets.find((p) => p.target === item.snapshot.finish?.target)!
      expect(item.snapshot.params.aspectRatio).toBe(target.model.aspectRatio)
      expect(item.snapshot.prompt).toBe(target.prompt)
      const [output] = item.outputs
      const file = await readFile(output!.path)
      const meta = await sharp(file).metadata()
      expect([meta.width, meta.height]).toEqual([target.width, target.height])
      expect(meta.format).toBe(target.format)
      if (target.maxBytes) expect(file.length).toBeLessThanOrEqual(target.maxBytes)
      expect(output!.path).toMatch(new RegExp(`_${target.target.toLowerCase().replace(/[^a-z0-9]+/g, '-')}\\.(jpg|webp|png)$`))
      const size = output!.finish!.checks.find((c) => c.rule === 'size')!
      expect(size).toMatchObject({ passed: true, message: `${target.width}×${target.height} as asked` })
      if (target.maxBytes) expect(output!.finish!.checks.find((c) => c.rule === 'bytes')?.passed).toBe(true)
    }
    // The sandbox's simulated edit keeps the photo to the edges: the marketplace's white check fails and says so.
    const market = detail.items.filter((i) => i.snapshot.finish?.target === 'Main image')
    for (const item of market) {
      const white = item.outputs[0]!.finish!.checks.find((c) => c.rule === 'white-border')!
      expect(white.passed).toBe(false)
      expect(white.message).toMatch(/of the border is pure white \(255,255,255\); at least 90% is needed/)
    }
    // The history record of each item carries the finishing and the checks.
    const record = (await t!.history.findByJobItem(market[0]!.id))[0]!
    expect(record.outputs[0]?.finish).toMatchObject({ packId: 'all', target: 'Main image' })
    expect(record.outputs[0]?.finish?.checks.map((c) => c.rule)).toEqual(['size', 'bytes', 'white-border'])
  }, 240_000)

  it('a target larger than the model reaches is refused before anything is sent, unless upscaling is accepted', async () => {
    const files = await photos(1)
    sandbox = await startSandbox()
    const plan = planForRun(catalog, { pack: pack('marketplace'), model: 'gpt-image-1.5', provider: 'pixapi', images: 1 })
    expect(() => packBatchSpec(plan, { files: files.map((path) => ({ path })), allowUpscale: false, route: 'sync', sandbox: true })).toThrow(
      /Main image is 2000×2000; the largest gpt-image-1\.5 makes at this aspect ratio is 1024×1024, so sharp would enlarge the answer ×1\.95[\s\S]*Nothing was sent\./
    )
    expect(sandbox.stats().submissions).toHaveLength(0)
    const { detail } = await runPack(['marketplace'], 'gpt-image-1.5', files, true)
    const output = detail.items[0]!.outputs[0]!
    expect([output.width, output.height]).toEqual([2000, 2000])
    expect(output.finish?.upscaled).toBeCloseTo(1.95, 2)
    expect(output.finish?.steps).toMatch(/upscaled ×1\.95 with sharp/)
  }, 120_000)

  it('print: 4:5 at the largest size of the model, finished to an exact 4:5 frame', async () => {
    const files = await photos(1)
    const { plan, detail } = await runPack(['print'], 'gpt-image-1.5', files, false)
    expect(plan.targets[0]!.model.size).toBe('1024x1536')
    const output = detail.items[0]!.outputs[0]!
    expect([output.width, output.height]).toEqual([1024, 1280])
    expect(output.finish?.checks).toEqual([{ rule: 'size', passed: true, message: '1024×1280 as asked' }])
    expect(output.finish?.upscaled).toBeUndefined()
  }, 120_000)
})
