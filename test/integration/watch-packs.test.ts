import { createHash } from 'node:crypto'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bundledCatalog } from '../../electron/core/catalog'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { WatchService } from '../../electron/core/watch/service'
import { builtInPacks } from '../../shared/packs'
import type { WatchRuleInput } from '../../shared/watch'
import { realPhotos } from '../support/corpus'
import { openTestEngine, type TestEngine } from '../support/jobs-fixtures'

/** Watch rules that run a channel pack: each new photo made into every target, finished and checked as a pack run. */

const MODEL = 'gemini-3-pro-image' // reaches every social frame without enlarging
const TIMING = { stabilityMs: 600, pollMs: 50, groupMs: 150, healthMs: 150 }
const social = builtInPacks.find((p) => p.id === 'social')!

let dir: string
let sandbox: Sandbox
let engines: TestEngine[] = []
let services: WatchService[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-watch-packs-'))
  sandbox = await startSandbox({ latencyMs: 5 })
})
afterEach(async () => {
  for (const s of services.splice(0)) await s.close().catch(() => undefined)
  for (const e of engines.splice(0)) await e.close().catch(() => undefined)
  await sandbox.close()
  await rm(dir, { recursive: true, force: true })
})

async function open(): Promise<{ engine: TestEngine; service: WatchService }> {
  const engine = await openTestEngine(join(dir, 'data'), () => sandbox.url, { concurrency: 3, perProviderConcurrency: { pixapi: 3, openai: 3, gemini: 3 } })
  engines.push(engine)
  const service = new WatchService({ dataDir: join(dir, 'data'), engine: async () => engine.engine, settings: () => engine.settings, catalog: bundledCatalog(), timing: TIMING })
  services.push(service)
  await service.start()
  return { engine, service }
}

async function close(opened: { engine: TestEngine; service: WatchService }): Promise<void> {
  await opened.service.close()
  await opened.engine.close()
  services = services.filter((s) => s !== opened.service)
  engines = engines.filter((e) => e !== opened.engine)
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

/** How often the sandbox received each input, by the hash of the bytes it was sent. */
function sentCounts(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const s of sandbox.stats().submissions) {
    const hash = s.inputs[0]?.sha256
    if (hash) counts.set(hash, (counts.get(hash) ?? 0) + 1)
  }
  return counts
}

const packRule = (folder: string, extra: Partial<WatchRuleInput> = {}): WatchRuleInput => ({ folder, packId: 'social', models: [MODEL], outputDir: join(dir, 'out'), ...extra })

/** Every finished pack output of the engine's batches: its target, its file and its checks. */
function packOutputs(engine: TestEngine) {
  return engine.engine
    .list()
    .flatMap((b) => engine.engine.get(b.id).items)
    .filter((i) => i.state === 'done')
    .flatMap((i) => i.outputs.map((o) => ({ source: i.snapshot.inputs[0]!.path, target: i.snapshot.finish?.target, output: o })))
}

describe('watch rules that run a pack, against the sandbox with real photos', () => {
  it('makes each arriving photo once into the 3 social targets at their exact sizes, checked; a restart sends nothing again', async () => {
    const photos = realPhotos().slice(0, 3)
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    let opened = await open()
    const view = await opened.service.create(packRule(inbox))
    expect(view.state).toBe('watching')
    expect(view.rule).toMatchObject({ packId: 'social', models: [MODEL] })

    const first = join(inbox, basename(photos[0]!))
    await copyFile(photos[0]!, first)
    await until(() => packOutputs(opened.engine).length >= 3, 120_000, 'the three targets of the first photo')
    const outputs = packOutputs(opened.engine)
    expect(outputs.map((o) => o.target).sort()).toEqual(social.targets.map((t) => t.name).sort())
    for (const { target, output } of outputs) {
      const wanted = social.targets.find((t) => t.name === target)!
      const file = await readFile(output.path)
      const meta = await sharp(file).metadata()
      expect([meta.width, meta.height], target).toEqual([wanted.width, wanted.height])
      expect(meta.format).toBe('jpeg')
      expect(file.length).toBeLessThanOrEqual(wanted.maxBytes!)
      expect(output.finish).toMatchObject({ packId: 'social', target })
      expect(output.finish!.checks.map((c) => [c.rule, c.passed])).toEqual([
        ['size', true],
        ['bytes', true]
      ])
    }
    const firstHash = sha(await readFile(photos[0]!))
    expect(sentCounts().get(firstHash)).toBe(social.targets.length)
    // The estimate the budget is kept with is the pack's: three priced requests for one photo.
    const ledger = (await opened.service.get(view.rule.id)).spentToday
    expect(ledger).toBeGreaterThan(0)
    expect(ledger).toBe(opened.engine.engine.list()[0]!.estimate)

    // Stopped; meanwhile a new photo and a copy of the first arrive. After the restart only the new one is sent.
    await close(opened)
    await copyFile(photos[1]!, join(inbox, basename(photos[1]!)))
    await copyFile(photos[0]!, join(inbox, `again-${basename(photos[0]!)}`))
    opened = await open()
    await until(() => packOutputs(opened.engine).length >= 6, 120_000, 'the three targets of the second photo')
    await new Promise((r) => setTimeout(r, TIMING.stabilityMs * 3))
    expect(sentCounts().get(firstHash)).toBe(social.targets.length)
    expect(sandbox.stats().submissions).toHaveLength(2 * social.targets.length)
    // The second photo is large, so what was uploaded is its reduced copy: counted by the items' sources
    // (the queue holds the batches of both runs); the copy of the first photo is never a source.
    const sources = packOutputs(opened.engine).map((o) => basename(o.source))
    expect(sources.sort()).toEqual([...Array(3).fill(basename(photos[0]!)), ...Array(3).fill(basename(photos[1]!))].sort())
    const after = await opened.service.get(view.rule.id)
    expect(after.state).toBe('watching')
    expect(after.failures).toEqual([])
  }, 300_000)

  it('an unknown pack, or a pack beside a prompt, is refused when saved with a message that says why; nothing is sent', async () => {
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    const { service } = await open()
    await expect(service.create(packRule(inbox, { packId: 'no-such-pack' }))).rejects.toThrow(/There is no pack "no-such-pack"\. The packs are: .*social \(Social\)/)
    await expect(service.create(packRule(inbox, { prompt: 'white background' }))).rejects.toMatchObject({
      data: { code: 'validation', field: 'packId', message: expect.stringMatching(/either a pack or an edit \(prompt or template\), not both/) }
    })
    await expect(service.create({ folder: inbox, models: [MODEL] })).rejects.toMatchObject({ data: { field: 'prompt', message: 'Write a prompt, pick a template, or pick a pack' } })
    await expect(service.create(packRule(inbox, { models: [MODEL, 'gpt-image-1.5'] }))).rejects.toMatchObject({ data: { field: 'models', message: expect.stringMatching(/one model/) } })
    await expect(service.create(packRule(inbox, { params: { size: '1024x1024' } }))).rejects.toMatchObject({ data: { field: 'params.size' } })
    expect(await service.list()).toEqual([])
    await copyFile(realPhotos()[0]!, join(inbox, 'photo.jpg'))
    await new Promise((r) => setTimeout(r, TIMING.stabilityMs * 2))
    expect(sandbox.stats().submissions).toHaveLength(0)
  }, 60_000)

  it('a rule whose pack is later deleted says so and sends nothing; it runs again once the pack is back', async () => {
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    const { openPackStore } = await import('../../electron/core/packs/store')
    const packs = await openPackStore({ dataDir: join(dir, 'data') })
    const mine = await packs.save({ name: 'Square only', targets: [{ name: 'Square', width: 1080, height: 1080, format: 'jpeg' }] })
    const { service, engine } = await open()
    const { rule } = await service.create(packRule(inbox, { packId: mine.id }))
    await packs.remove(mine.id)
    await until(async () => (await service.get(rule.id)).state === 'error', 10_000, 'the rule to report its pack missing')
    expect((await service.get(rule.id)).message).toMatch(`There is no pack "${mine.id}"`)
    await copyFile(realPhotos()[0]!, join(inbox, 'photo.jpg'))
    await new Promise((r) => setTimeout(r, TIMING.stabilityMs * 2))
    expect(sandbox.stats().submissions).toHaveLength(0)

    await packs.save({ name: 'Square only', targets: [{ name: 'Square', width: 1080, height: 1080, format: 'jpeg' }] })
    await until(() => packOutputs(engine).length >= 1, 120_000, 'the photo made once the pack is back')
    expect(packOutputs(engine)[0]!.output.finish).toMatchObject({ packId: mine.id, target: 'Square' })
  }, 180_000)
})
