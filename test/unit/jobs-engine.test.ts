import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JobEngine } from '../../electron/core/jobs/engine'
import type { BatchSpec, KeptImage } from '../../electron/core/jobs/model'
import type { RunOutcome } from '../../electron/core/jobs/types'
import { loadQueue } from '../../electron/core/jobs/store'
import { fakeDeps, limits } from '../support/jobs-fakes'

let dir: string
let engine: JobEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-engine-'))
})
afterEach(async () => {
  await engine?.close()
  engine = undefined
  await rm(dir, { recursive: true, force: true })
})

const spec = (count: number): BatchSpec => ({
  files: Array.from({ length: count }, (_, i) => ({ path: `/photos/p${i}.png` })),
  prompt: 'White background',
  models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }],
  sandbox: true,
  duplicates: 'run'
})

async function open(concurrency: number) {
  const fake = fakeDeps()
  engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(concurrency) })).engine
  return { engine, fake }
}

/** Resolves when `until` holds, checked after every engine event. */
function when(e: JobEngine, until: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (until()) return resolve()
    const off = e.on(() => {
      if (until()) {
        off()
        resolve()
      }
    })
  })
}

/** Lets every queued callback run, so a wrong start would have happened by now. */
async function quiet(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5))
}

describe('jobs engine ordering and control', () => {
  it('sends items in queue order, and in the new order after a reorder', async () => {
    const { engine, fake } = await open(1)
    const batch = await engine.createBatch(spec(4))
    engine.pause(batch.id)
    const [a, b, c, d] = engine.get(batch.id).items.map((i) => i.id) as [string, string, string, string]
    engine.reorder(batch.id, [d, b, c, a])
    engine.resume(batch.id)
    for (let n = 1; n <= 4; n++) {
      await fake.heldCount(1)
      fake.held[0]?.succeed()
      await when(engine, () => engine.get(batch.id).counts.done === n)
    }
    expect(fake.sent.map((i) => i.id)).toEqual([d, b, c, a])
    expect(engine.get(batch.id).state).toBe('done')
  })

  it('pause stops new sends (prepared items go back to the queue); resume carries on', async () => {
    const { engine, fake } = await open(1)
    const batch = await engine.createBatch(spec(3))
    await fake.heldCount(1)
    engine.pause(batch.id)
    fake.held[0]?.succeed()
    await when(engine, () => engine.get(batch.id).counts.done === 1)
    await quiet()
    expect(fake.sent).toHaveLength(1)
    const detail = engine.get(batch.id)
    expect(detail.state).toBe('paused')
    expect(detail.items.filter((i) => i.state === 'queued')).toHaveLength(2)
    engine.resume(batch.id)
    await fake.heldCount(1)
    expect(fake.sent).toHaveLength(2)
    fake.held[0]?.succeed()
    await fake.heldCount(1)
    fake.held[0]?.succeed()
    await when(engine, () => engine.get(batch.id).state === 'done')
    expect(fake.sent.map((i) => i.id)).toEqual(detail.items.map((i) => i.id))
  })

  it('cancel aborts a request in flight and cancels the rest before they start', async () => {
    const { engine, fake } = await open(2)
    const batch = await engine.createBatch(spec(4))
    await fake.heldCount(2)
    const inFlight = fake.held.map((h) => h.ctx.signal)
    engine.cancel(batch.id)
    await when(engine, () => engine.get(batch.id).state === 'cancelled')
    expect(inFlight.every((s) => s.aborted)).toBe(true)
    const detail = engine.get(batch.id)
    expect(detail.counts.cancelled).toBe(4)
    expect(fake.sent).toHaveLength(2)
    expect(detail.report?.failures.map((f) => f.reason.code)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled'])
  })

  it('runOnly: a process sharing the queue starts only its own batches and leaves the others as they were', async () => {
    // Another process's batch, queued and not paused, saved in the shared queue.
    const other = fakeDeps()
    const theirs = await (await JobEngine.open({ dataDir: dir, deps: other.deps, limits: limits(2) })).engine
    theirs.pause((await theirs.createBatch(spec(2))).id)
    const theirId = theirs.list()[0]!.id
    theirs.resume(theirId)
    // Closed before anything could start: its items are still queued on disk.
    await theirs.close()
    expect(other.sent).toHaveLength(0)

    const mine = new Set<string>()
    const fake = fakeDeps()
    engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(4), runOnly: (id) => mine.has(id) })).engine
    const e = engine
    e.on((event) => {
      if (event.type === 'batch.created') mine.add(event.batch.id)
    })
    const batch = await e.createBatch(spec(2))
    await fake.heldCount(2)
    for (const h of [...fake.held]) h.succeed()
    await when(e, () => e.get(batch.id).state === 'done')
    await quiet()
    expect(fake.sent.every((i) => i.batchId === batch.id)).toBe(true)
    expect(e.get(theirId).items.map((i) => i.state)).toEqual(['queued', 'queued'])
    expect(e.get(theirId).state).toBe('queued')

    // Adopted later (a resume): now it runs here too.
    mine.add(theirId)
    e.resume(theirId)
    await fake.heldCount(2)
    expect(fake.held.map((h) => h.item.batchId)).toEqual([theirId, theirId])
  })

  it('retry runs the same snapshot again', async () => {
    const { engine, fake } = await open(1)
    const batch = await engine.createBatch(spec(1))
    await fake.heldCount(1)
    fake.held[0]?.fail({ code: 'prompt_rejected', message: 'The prompt was refused.' })
    await when(engine, () => engine.get(batch.id).counts.failed === 1)
    const failed = engine.get(batch.id).items[0]
    expect(failed?.error?.message).toMatch(/refused/)
    engine.retry(batch.id)
    await fake.heldCount(1)
    fake.held[0]?.succeed()
    await when(engine, () => engine.get(batch.id).state === 'done')
    expect(fake.sent).toHaveLength(2)
    expect(fake.sent[1]?.snapshot).toEqual(fake.sent[0]?.snapshot)
    expect(fake.sent[1]?.snapshot).toEqual(failed?.snapshot)
    expect(engine.get(batch.id).items[0]?.recordIds).toHaveLength(2)
  })

  it('a request is marked pending on disk before it is sent, and an interrupted one is never resent', async () => {
    const first = await open(1)
    const batch = await first.engine.createBatch(spec(1))
    await first.fake.heldCount(1)
    // The process dies here: reopen the same folder from what is on disk (the lock's owner is us).
    const fake = fakeDeps()
    const { engine: reopened } = await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })
    const item = reopened.get(batch.id).items[0]
    expect(item?.state).toBe('interrupted')
    expect(item?.mayHaveCharged).toBe(true)
    await quiet()
    expect(fake.sent).toHaveLength(0)
    expect(fake.records.map((r) => r.status)).toEqual(['interrupted'])
    first.fake.held[0]?.succeed()
    await reopened.close()
  })
})

describe('a history that cannot be written', () => {
  it('keeps the paid result: the item is done, its record waits in the queue and reaches the history once it can', async () => {
    const first = await open(1)
    let historyBroken = true
    const append = first.fake.deps.appendRecord
    first.fake.deps.appendRecord = async (record) => {
      if (historyBroken) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      return append(record)
    }
    const batch = await first.engine.createBatch(spec(1))
    await first.fake.heldCount(1)
    first.fake.held[0]?.succeed()
    await when(first.engine, () => first.engine.get(batch.id).items[0]?.state === 'done')
    const item = first.engine.get(batch.id).items[0]!
    expect(item.historyPending).toBe(true)
    expect(item.charged).toBe(1)
    expect(first.fake.records).toEqual([])
    // Closing cannot write it either: it stays in the queue file, and the next start writes it.
    await first.engine.close()
    const saved = (await loadQueue(dir)).batches[0]?.items[0]
    expect(saved?.historyPending).toBe(true)
    expect(saved?.pendingRecord?.requestIds).toEqual(['req-1'])
    historyBroken = false
    const { engine: reopened } = await JobEngine.open({ dataDir: dir, deps: first.fake.deps, limits: limits(1) })
    engine = reopened
    const after = reopened.get(batch.id).items[0]!
    expect(after.state).toBe('done')
    expect(after.historyPending).toBe(false)
    expect(after.pendingRecord).toBeUndefined()
    expect(first.fake.records.map((r) => [r.status, r.requestIds])).toEqual([['succeeded', ['req-1']]])
    expect(first.fake.sent).toHaveLength(1)
  })
})

describe('a crash while a paid result is being saved', () => {
  const png = Buffer.from('png')
  const output = () => ({ path: join(dir, 'out', 'a.png'), sha256: 'b'.repeat(64), bytes: 3, width: 1, height: 1, format: 'png' })

  /** Runs one item whose answer carries `extra`, and "dies" while its outputs are being written. */
  async function crashWhileSaving(extra: Partial<RunOutcome>, onKeep?: (images: unknown[]) => Promise<KeptImage[]>) {
    const first = await open(1)
    const execute = first.fake.deps.execute
    first.fake.deps.execute = async (item, prepared, ctx) => ({ ...(await execute(item, prepared, ctx)), ...extra })
    let writing = false
    first.fake.deps.writeOutputs = () => {
      writing = true
      return new Promise(() => undefined)
    }
    if (onKeep) first.fake.deps.keepImages = (_id, images) => onKeep(images)
    const batch = await first.engine.createBatch(spec(1))
    await first.fake.heldCount(1)
    first.fake.held[0]?.succeed()
    while (!writing) await new Promise((r) => setTimeout(r, 5))
    return batch
  }

  /** Opens the data folder again with a provider whose result links answer, and waits for the item to be done. */
  async function restartFetchingLinks(batchId: string) {
    const fake = fakeDeps()
    const fetched: string[][] = []
    fake.deps.downloadAgain = async (_item, again) => {
      fetched.push(again)
      return [{ bytes: png }]
    }
    fake.deps.writeOutputs = async () => [output()]
    const { engine: reopened } = await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })
    engine = reopened
    await when(reopened, () => reopened.get(batchId).items[0]?.state === 'done')
    return { fake, fetched, reopened }
  }

  it('an answer with its images inline is kept in the recovery folder before it is written, and saved from there on restart', async () => {
    const kept = [{ path: join(dir, 'recovery', 'r', '1.png'), sha256: 'a'.repeat(64), bytes: 3 }]
    const keptImages: unknown[][] = []
    const batch = await crashWhileSaving({ images: [{ bytes: png }] }, async (images) => {
      keptImages.push(images)
      return kept
    })
    expect(keptImages).toEqual([[{ bytes: png }]])

    const fake = fakeDeps()
    fake.deps.findKeptImages = async () => kept
    const read: unknown[] = []
    fake.deps.readKeptImages = async (k) => {
      read.push(k)
      return [{ bytes: png }]
    }
    fake.deps.writeOutputs = async () => [output()]
    const { engine: reopened } = await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })
    engine = reopened
    await when(reopened, () => reopened.get(batch.id).items[0]?.state === 'done')
    const done = reopened.get(batch.id).items[0]!
    expect(read).toEqual([kept])
    expect(done.outputs).toEqual([output()])
    expect(done.charged).toBe(1)
    expect(done.savingFrom).toBeUndefined()
    expect(fake.sent).toHaveLength(0)
    // Booked once under one id: the "not saved yet" line is replaced by the saved one.
    expect(fake.records.map((r) => [r.status, r.error?.code])).toEqual([
      ['failed', 'not_saved'],
      ['succeeded', undefined]
    ])
    expect(new Set(fake.records.map((r) => r.id)).size).toBe(1)
  })

  it("an answer with result links is downloaded again from them on restart; nothing is kept or sent", async () => {
    const urls = ['https://results.example/1.png']
    const batch = await crashWhileSaving({ images: [{ bytes: png }], outputUrls: urls }, () => Promise.reject(new Error('links need no copy')))
    expect((await loadQueue(dir)).batches[0]?.items[0]?.savingFrom).toEqual({ urls })

    const { fake, fetched, reopened } = await restartFetchingLinks(batch.id)
    expect(fetched).toEqual([urls])
    expect(fake.sent).toHaveLength(0)
    expect(reopened.get(batch.id).items[0]?.charged).toBe(1)
  })

  it('a sync answer whose linked images were still downloading is fetched again from its links on restart', async () => {
    const first = await open(1)
    const urls = ['https://results.example/2.png']
    first.fake.deps.execute = (_item, _prepared, ctx) => {
      ctx.onStage('running')
      ctx.onAnswered?.('req-9')
      ctx.onAnswered?.('req-9', urls)
      return new Promise(() => undefined)
    }
    const batch = await first.engine.createBatch(spec(1))
    for (let i = 0; i < 400; i++) {
      const saved = (await loadQueue(dir)).batches[0]?.items[0]
      if (saved?.savingFrom?.urls && saved.submission.answered) break
      await new Promise((r) => setTimeout(r, 5))
    }

    const { fake, fetched, reopened } = await restartFetchingLinks(batch.id)
    const done = reopened.get(batch.id).items[0]!
    expect(fetched).toEqual([urls])
    expect(fake.sent).toHaveLength(0)
    expect(done.charged).toBe(1)
    expect(done.outputs).toEqual([output()])
    expect(fake.records.map((r) => [r.status, r.requestIds])).toEqual([
      ['failed', ['req-9']],
      ['succeeded', ['req-9']]
    ])
    expect(new Set(fake.records.map((r) => r.id)).size).toBe(1)
  })

  it('an answer that can be had nowhere again is interrupted, booked, and never sent again by itself', async () => {
    const batch = await crashWhileSaving({ images: [] })
    const fake = fakeDeps()
    const { engine: reopened } = await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })
    engine = reopened
    const item = reopened.get(batch.id).items[0]!
    expect(item.state).toBe('interrupted')
    expect(item.error?.message).toMatch(/cannot be fetched again/)
    expect(item.charged).toBe(1)
    await quiet()
    expect(fake.sent).toHaveLength(0)
  })

  it('images kept after a failed write are found on restart and saved by themselves, without sending again', async () => {
    const first = await open(1)
    const kept = [{ path: join(dir, 'recovery', 'r', '1.png'), sha256: 'a'.repeat(64), bytes: 3 }]
    first.fake.deps.writeOutputs = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    }
    let keptCalled = false
    // The images are kept, then the process dies before the queue says so.
    first.fake.deps.keepImages = () => {
      keptCalled = true
      return new Promise(() => undefined)
    }
    const batch = await first.engine.createBatch(spec(1))
    await first.fake.heldCount(1)
    first.fake.held[0]?.succeed()
    while (!keptCalled) await new Promise((r) => setTimeout(r, 5))

    const fake = fakeDeps()
    fake.deps.findKeptImages = async () => kept
    fake.deps.readKeptImages = async () => [{ bytes: png }]
    // Still no space: the item says so and keeps its images for "Save again".
    fake.deps.writeOutputs = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    }
    const { engine: reopened } = await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })
    engine = reopened
    await when(reopened, () => reopened.get(batch.id).items[0]?.state === 'failed')
    const item = reopened.get(batch.id).items[0]!
    expect(item.error?.code).toBe('not_saved')
    expect(item.paidResult?.kept).toEqual(kept)
    expect(item.charged).toBe(1)

    fake.deps.writeOutputs = async () => [output()]
    reopened.retry(batch.id)
    await when(reopened, () => reopened.get(batch.id).items[0]?.state === 'done')
    const done = reopened.get(batch.id).items[0]!
    expect(done.outputs).toEqual([output()])
    expect(done.charged).toBe(1)
    expect(fake.sent).toHaveLength(0)
    expect(new Set(fake.records.map((r) => r.id)).size).toBe(1)
    expect(fake.records.at(-1)?.status).toBe('succeeded')
  })
})
