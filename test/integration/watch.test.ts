import { createHash } from 'node:crypto'
import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bundledCatalog } from '../../electron/core/catalog'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { WatchService } from '../../electron/core/watch/service'
import type { WatchRuleInput, WatchRuleView } from '../../shared/watch'
import { makeImages, openTestEngine, type TestEngine } from '../support/jobs-fixtures'

const MODEL = 'gemini-2.5-flash-image' // 2 credits per image in the catalog
const TIMING = { stabilityMs: 600, pollMs: 50, groupMs: 150, healthMs: 150 }

let dir: string
let sandbox: Sandbox
let engines: TestEngine[] = []
let services: WatchService[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-watch-'))
  sandbox = await startSandbox({ latencyMs: 5 })
})
afterEach(async () => {
  for (const s of services.splice(0)) await s.close().catch(() => undefined)
  for (const e of engines.splice(0)) await e.close().catch(() => undefined)
  await sandbox.close()
  await rm(dir, { recursive: true, force: true })
})

async function openEngine(): Promise<TestEngine> {
  const engine = await openTestEngine(join(dir, 'data'), () => sandbox.url, { concurrency: 4, perProviderConcurrency: { pixapi: 4, openai: 4, gemini: 4 } })
  engines.push(engine)
  return engine
}

async function openService(engine: TestEngine): Promise<WatchService> {
  const service = new WatchService({ dataDir: join(dir, 'data'), engine: async () => engine.engine, settings: () => engine.settings, catalog: bundledCatalog(), timing: TIMING })
  services.push(service)
  await service.start()
  return service
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

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

function ruleFor(folder: string, extra: Partial<WatchRuleInput> = {}): WatchRuleInput {
  return { folder, prompt: 'Put the product on a white background', models: [MODEL], ...extra }
}

async function stateOf(service: WatchService, id: string): Promise<WatchRuleView> {
  return service.get(id)
}

describe('watch folders against the sandbox', () => {
  it('sends copied files once each, after they settle; outputs inside the folder, renames and deletions do not count', async () => {
    const sources = await makeImages(join(dir, 'src'), 4)
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    const engine = await openEngine()
    const service = await openService(engine)
    // Outputs in a folder of their own inside the watched one, which is watched recursively.
    const view = await service.create(ruleFor(inbox, { recursive: true, outputDir: join(inbox, 'done') }))
    expect(view.state).toBe('watching')

    for (const src of sources.slice(0, 3)) await copyFile(src, join(inbox, `copy-${src.split('/').pop()}`))
    await until(() => sandbox.stats().submissions.length >= 3, 20_000, 'three submissions')
    await until(async () => (await readdir(join(inbox, 'done')).catch(() => [])).filter((f) => f.endsWith('.png')).length >= 3, 20_000, 'three outputs')
    const bytes = await Promise.all(sources.slice(0, 3).map((s) => readFile(s)))
    for (const b of bytes) expect(sentCounts().get(sha(b))).toBe(1)

    // A rename, a copy under another name and a deletion: nothing new is sent.
    await rename(join(inbox, 'copy-product-000.png'), join(inbox, 'renamed.png'))
    await copyFile(sources[1]!, join(inbox, 'same-content.png'))
    await unlink(join(inbox, 'copy-product-002.png'))
    // A file of the default output folder name, beside the rule's own output folder: never a source.
    await mkdir(join(inbox, 'pixdesk'))
    await copyFile(sources[3]!, join(inbox, 'pixdesk', 'from-elsewhere.png'))
    await pause(TIMING.stabilityMs * 3)
    expect(sandbox.stats().submissions).toHaveLength(3)
    const after = await stateOf(service, view.rule.id)
    expect(after.state).toBe('watching')
    expect(after.lastFiles.some((f) => f.path.endsWith('same-content.png') && f.outcome === 'skipped_duplicate')).toBe(true)
    expect(after.queuedCount).toBe(3)
    // The outputs the rule wrote inside its folder were never sent.
    const outputs = (await readdir(join(inbox, 'done'))).filter((f) => f.endsWith('.png'))
    for (const o of outputs) expect(sentCounts().has(sha(await readFile(join(inbox, 'done', o))))).toBe(false)
  }, 60_000)

  it('a file growing over several seconds is sent once, after it stops growing, with its final bytes', async () => {
    const [source] = await makeImages(join(dir, 'src'), 1, 256)
    const full = await readFile(source!)
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    const engine = await openEngine()
    const service = await openService(engine)
    await service.create(ruleFor(inbox))
    const target = join(inbox, 'slow.png')
    const chunks = 10
    const step = Math.ceil(full.length / chunks)
    await writeFile(target, full.subarray(0, step))
    for (let i = 1; i < chunks; i++) {
      // Each pause is shorter than the stability window, the whole write far longer.
      await pause(TIMING.stabilityMs * 0.5)
      expect(sandbox.stats().submissions).toHaveLength(0)
      await appendFile(target, full.subarray(i * step, (i + 1) * step))
    }
    await until(() => sandbox.stats().submissions.length >= 1, 20_000, 'the slow file to be sent')
    await pause(TIMING.stabilityMs * 2)
    const submissions = sandbox.stats().submissions
    expect(submissions).toHaveLength(1)
    expect(submissions[0]!.inputs[0]!.sha256).toBe(sha(full))
  }, 60_000)

  it('a burst of 200 files with a restart in the middle: each sent exactly once, none missed', async () => {
    const sources = await makeImages(join(dir, 'src'), 200, 24)
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    let engine = await openEngine()
    let service = await openService(engine)
    const { rule } = await service.create(ruleFor(inbox))
    const copying = (async () => {
      for (const src of sources) await copyFile(src, join(inbox, src.split('/').pop()!))
    })()
    await until(() => sandbox.stats().submissions.length >= 20, 60_000, 'the first submissions')
    // Stop the watcher and the queue mid-burst, as quitting the app would.
    await service.close()
    await engine.close()
    services = services.filter((s) => s !== service)
    engines = engines.filter((e) => e !== engine)
    const sentBeforeRestart = sandbox.stats().submissions.length
    expect(sentBeforeRestart).toBeLessThan(200)
    await copying
    engine = await openEngine()
    service = await openService(engine)
    await until(() => sandbox.stats().submissions.length >= 200, 120_000, 'all 200 submissions')
    await pause(TIMING.stabilityMs * 3)
    const counts = sentCounts()
    expect(sandbox.stats().submissions).toHaveLength(200)
    for (const src of sources) expect(counts.get(sha(await readFile(src))), src).toBe(1)
    const view = await service.get(rule.id)
    expect(view.state).toBe('watching')
  }, 180_000)

  it('the daily budget stops queueing once reached; a budget of 0 sends nothing and says why', async () => {
    const sources = await makeImages(join(dir, 'src'), 3)
    const inbox = join(dir, 'inbox')
    const zeroBox = join(dir, 'zero')
    await mkdir(inbox)
    await mkdir(zeroBox)
    const engine = await openEngine()
    const service = await openService(engine)
    const capped = await service.create(ruleFor(inbox, { dailyBudget: 4 }))
    const zero = await service.create(ruleFor(zeroBox, { dailyBudget: 0 }))
    expect(zero.state).toBe('budget_reached')
    expect(zero.message).toMatch(/daily budget is 0 credits/i)

    for (const src of sources) await copyFile(src, join(zeroBox, src.split('/').pop()!))
    for (const [i, src] of sources.entries()) {
      await copyFile(src, join(inbox, src.split('/').pop()!))
      if (i < 2) await until(() => sandbox.stats().submissions.length >= i + 1, 20_000, `file ${i + 1}`)
    }
    await until(async () => (await stateOf(service, capped.rule.id)).state === 'budget_reached', 20_000, 'budget reached')
    await pause(TIMING.stabilityMs * 2)
    expect(sandbox.stats().submissions).toHaveLength(2)
    const view = await stateOf(service, capped.rule.id)
    expect(view.spentToday).toBe(4)
    expect(view.message).toMatch(/Daily budget reached: 4 of 4 credits/)
    expect(view.lastFiles[0]).toMatchObject({ outcome: 'held_budget' })
    expect((await stateOf(service, zero.rule.id)).state).toBe('budget_reached')
  }, 60_000)

  it('a folder that disappears gives a clear state, the rule is kept, and it recovers when the folder is back', async () => {
    const sources = await makeImages(join(dir, 'src'), 2)
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    const engine = await openEngine()
    const service = await openService(engine)
    const { rule } = await service.create(ruleFor(inbox))
    await rename(inbox, join(dir, 'away'))
    await until(async () => (await stateOf(service, rule.id)).state === 'folder_missing', 10_000, 'the folder missing state')
    expect((await stateOf(service, rule.id)).message).toMatch(/is missing/)
    expect((await service.list()).map((v) => v.rule.id)).toEqual([rule.id])

    // A file where the folder was: not a folder, said so.
    await writeFile(inbox, 'not a folder')
    await pause(TIMING.healthMs * 3)
    expect((await stateOf(service, rule.id)).message).toMatch(/is not a folder/)
    await unlink(inbox)

    await rename(join(dir, 'away'), inbox)
    await until(async () => (await stateOf(service, rule.id)).state === 'watching', 10_000, 'watching again')
    await copyFile(sources[0]!, join(inbox, 'after.png'))
    await until(() => sandbox.stats().submissions.length >= 1, 20_000, 'the file after recovery')
    expect(sentCounts().get(sha(await readFile(sources[0]!)))).toBe(1)
  }, 60_000)

  it('says it waits for the network while the server cannot be reached, and sends when it answers again', async () => {
    const [source] = await makeImages(join(dir, 'src'), 1)
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    const engine = await openEngine()
    const service = await openService(engine)
    const { rule } = await service.create(ruleFor(inbox))
    const port = sandbox.port
    await sandbox.close()
    await copyFile(source!, join(inbox, 'offline.png'))
    await until(async () => (await stateOf(service, rule.id)).state === 'waiting_network', 20_000, 'waiting for the network')
    expect((await stateOf(service, rule.id)).message).toMatch(/cannot be reached/)
    sandbox = await startSandbox({ port, latencyMs: 5 })
    await until(() => sandbox.stats().submissions.length >= 1, 30_000, 'the file sent once the server is back')
    await until(async () => (await stateOf(service, rule.id)).state === 'watching', 20_000, 'watching again')
    expect(sentCounts().get(sha(await readFile(source!)))).toBe(1)
  }, 60_000)

  it('a rule that is not recursive ignores subfolders; existing files are the baseline unless asked for', async () => {
    const sources = await makeImages(join(dir, 'src'), 3)
    const inbox = join(dir, 'inbox')
    await mkdir(join(inbox, 'sub'), { recursive: true })
    await copyFile(sources[0]!, join(inbox, 'already-there.png'))
    const engine = await openEngine()
    const service = await openService(engine)
    await service.create(ruleFor(inbox, { patterns: ['*.png'] }))
    await copyFile(sources[1]!, join(inbox, 'sub', 'deeper.png'))
    await writeFile(join(inbox, 'notes.txt'), 'not an image')
    await copyFile(sources[2]!, join(inbox, 'new.png'))
    await until(() => sandbox.stats().submissions.length >= 1, 20_000, 'the new file')
    await pause(TIMING.stabilityMs * 2)
    expect(sandbox.stats().submissions).toHaveLength(1)
    expect(sentCounts().get(sha(await readFile(sources[2]!)))).toBe(1)

    // Pointed at another folder: what is already there is its new starting point, not work.
    const other = join(dir, 'other')
    await mkdir(other)
    await copyFile(sources[1]!, join(other, 'was-here.png'))
    const view = (await service.list())[0]!
    const moved = await service.update(view.rule.id, { ...ruleFor(other), patterns: ['*.png'] })
    expect(moved.state).toBe('watching')
    await pause(TIMING.stabilityMs * 2)
    expect(sandbox.stats().submissions).toHaveLength(1)
  }, 60_000)
})
