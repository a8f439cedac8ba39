import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadQueue } from '../../electron/core/jobs/store'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import type { BatchSpec, JobEvent } from '../../electron/core/jobs/model'
import { makeImages, openTestEngine, waitFor, type TestEngine } from '../support/jobs-fixtures'

const GEMINI = { model: 'gemini-2.5-flash-image', provider: 'pixapi' as const } // 2 credits per image
const GPT = { model: 'gpt-image-1.5', provider: 'pixapi' as const }

let dir: string
let sandbox: Sandbox | undefined
const open: TestEngine[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-jobs-'))
})
afterEach(async () => {
  for (const t of open.splice(0)) await t.close().catch(() => undefined)
  await sandbox?.close()
  sandbox = undefined
  await rm(dir, { recursive: true, force: true })
})

async function engineFor(dataDir: string, jobs: Parameters<typeof openTestEngine>[2] = {}) {
  const t = await openTestEngine(dataDir, () => sandbox?.url, jobs)
  open.push(t)
  return t
}

const specFor = (files: string[], extra: Partial<BatchSpec> = {}): BatchSpec => ({
  files: files.map((path) => ({ path })),
  prompt: 'Put the product on a white background',
  models: [GEMINI],
  sandbox: true,
  ...extra
})

const finished = (t: TestEngine, batchId: string) => waitFor(t.engine, () => ['done', 'cancelled'].includes(t.engine.get(batchId).state))

describe('jobs engine against the sandbox', () => {
  it('runs a batch past a broken file and reports every failure with its reason', async () => {
    sandbox = await startSandbox()
    const files = await makeImages(join(dir, 'in'), 4)
    const broken = join(dir, 'in', 'broken.png')
    await writeFile(broken, Buffer.from('not really a png'))
    const t = await engineFor(join(dir, 'data'))
    const batch = await t.engine.createBatch(specFor([...files, broken]))
    expect(batch.estimate).toBe(10)
    await finished(t, batch.id)
    const detail = t.engine.get(batch.id)
    expect(detail.counts).toMatchObject({ total: 5, done: 4, failed: 1 })
    expect(detail.report?.failures).toHaveLength(1)
    expect(detail.report?.failures[0]?.source).toBe(broken)
    expect(detail.report?.failures[0]?.reason.message).toMatch(/broken\.png/)
    expect(detail.charged).toBe(8)
    expect(t.events.some((e) => e.type === 'batch.finished' && e.batchId === batch.id)).toBe(true)
    const states = t.events.filter((e): e is Extract<JobEvent, { type: 'item.updated' }> => e.type === 'item.updated').map((e) => e.item.state)
    for (const s of ['preparing', 'uploading', 'running', 'downloading', 'done', 'failed']) expect(states).toContain(s)
    // Byte progress from the client: every item that ran sent its whole body, counted in bytes.
    for (const item of detail.items.filter((i) => i.state === 'done')) {
      expect(item.uploadTotalBytes).toBeGreaterThan(0)
      expect(item.uploadedBytes).toBe(item.uploadTotalBytes)
    }
  })

  it('budget: a cap that allows 7 of 10 runs exactly 7, the rest wait with "budget reached"', async () => {
    sandbox = await startSandbox({ latencyMs: 5 })
    const files = await makeImages(join(dir, 'in'), 10)
    const t = await engineFor(join(dir, 'data'), { concurrency: 4, perProviderConcurrency: { pixapi: 4, openai: 4, gemini: 4 } })
    const batch = await t.engine.createBatch(specFor(files, { budgetCredits: 14 }))
    await waitFor(t.engine, () => t.engine.get(batch.id).state === 'budget_reached')
    const detail = t.engine.get(batch.id)
    expect(detail.counts.done).toBe(7)
    expect(detail.items.filter((i) => i.state === 'queued' && i.hold === 'budget')).toHaveLength(3)
    expect(detail.items.find((i) => i.hold === 'budget')?.error?.code).toBe('budget_reached')
    expect(detail.charged).toBe(14)
    expect(sandbox.stats().submissions).toHaveLength(7)
    expect(t.events.some((e) => e.type === 'budget.reached' && e.scope === 'batch' && e.cap === 14)).toBe(true)

    t.engine.setBudget(batch.id, 20)
    await finished(t, batch.id)
    expect(t.engine.get(batch.id).counts.done).toBe(10)
  })

  it('daily cap from settings stops items that would cross it (sandbox requests do not count)', async () => {
    sandbox = await startSandbox()
    const files = await makeImages(join(dir, 'in'), 4)
    const t = await engineFor(join(dir, 'data'), { dailyBudgetCredits: 5 })
    const free = await t.engine.createBatch(specFor(files.slice(0, 3)))
    await finished(t, free.id)
    expect(t.engine.get(free.id).counts.done).toBe(3)
    // The same server as a "real" Pixapi route: these cost credits and meet the daily cap.
    t.settings.provider.baseUrls.pixapi = sandbox.url
    const paid = await t.engine.createBatch(specFor(files, { sandbox: false }))
    await waitFor(t.engine, () => t.engine.get(paid.id).state === 'budget_reached')
    const detail = t.engine.get(paid.id)
    expect(detail.counts.done).toBe(2)
    expect(detail.items.filter((i) => i.hold === 'budget')).toHaveLength(2)
    expect(t.events.some((e) => e.type === 'budget.reached' && e.scope === 'daily')).toBe(true)
  })

  it('a 429 pauses the whole provider for its Retry-After and no item fails', async () => {
    sandbox = await startSandbox({ faults: { queue: [{ kind: 'rate_limited', retryAfterMs: 150 }, { kind: 'rate_limited', retryAfterMs: 150 }] } })
    const files = await makeImages(join(dir, 'in'), 6)
    const t = await engineFor(join(dir, 'data'), { concurrency: 2 })
    const batch = await t.engine.createBatch(specFor(files))
    await finished(t, batch.id)
    const detail = t.engine.get(batch.id)
    expect(detail.counts.done).toBe(6)
    expect(detail.counts.failed).toBe(0)
    expect(t.events.filter((e) => e.type === 'rate_limited').length).toBeGreaterThanOrEqual(1)
    // Items that never met a 429 were held too: the pause is per provider, not per item.
    const limitedItems = new Set(detail.items.filter((i) => i.rateLimitHits > 0).map((i) => i.id))
    const heldOthers = t.events.filter((e) => e.type === 'item.updated' && e.item.hold === 'rate_limit' && !limitedItems.has(e.item.id))
    expect(heldOthers.length).toBeGreaterThan(0)
    expect(sandbox.stats().submissions.filter((s) => s.status === 429)).toHaveLength(2)
  })

  it('offline: jobs are created without network, wait, and finish by themselves when it is back', async () => {
    const first = await startSandbox()
    const port = first.port
    const url = first.url
    await first.close()
    const files = await makeImages(join(dir, 'in'), 3)
    const t = await openTestEngine(join(dir, 'data'), () => url)
    open.push(t)
    const batch = await t.engine.createBatch(specFor(files))
    await waitFor(t.engine, () => t.engine.get(batch.id).state === 'waiting_network')
    expect(t.engine.networkState().online).toBe(false)
    expect(t.engine.get(batch.id).notice).toMatch(/Waiting for network/)
    sandbox = await startSandbox({ port })
    await finished(t, batch.id)
    expect(t.engine.get(batch.id).counts.done).toBe(3)
    expect(t.engine.networkState().online).toBe(true)
    expect(t.events.some((e) => e.type === 'network' && !e.network.online)).toBe(true)
  })

  it('pause, cancel, retry with the same snapshot, and reorder', async () => {
    sandbox = await startSandbox()
    const files = await makeImages(join(dir, 'in'), 4)
    const t = await engineFor(join(dir, 'data'), { concurrency: 1, perProviderConcurrency: { pixapi: 1, openai: 1, gemini: 1 } })
    const batch = await t.engine.createBatch(specFor(files))
    t.engine.pause(batch.id)
    const [a, b, c, d] = t.engine.get(batch.id).items.map((i) => i.id) as [string, string, string, string]
    t.engine.reorder(batch.id, [d, c, b, a].filter((id) => t.engine.get(batch.id).items.find((i) => i.id === id)?.state === 'queued'))
    t.engine.cancel(batch.id, [b])
    expect(t.engine.get(batch.id).items.find((i) => i.id === b)?.state).toBe('cancelled')
    t.engine.resume(batch.id)
    await finished(t, batch.id)
    let detail = t.engine.get(batch.id)
    expect(detail.counts).toMatchObject({ done: 3, cancelled: 1 })
    expect(detail.report?.failures.map((f) => f.itemId)).toEqual([b])
    const snapshot = detail.items.find((i) => i.id === b)?.snapshot
    t.engine.retry(batch.id, [b])
    await finished(t, batch.id)
    detail = t.engine.get(batch.id)
    expect(detail.counts.done).toBe(4)
    expect(detail.items.find((i) => i.id === b)?.snapshot).toEqual(snapshot)
    expect(() => t.engine.reorder(batch.id, [a])).toThrow(/Only queued items/)
  })

  it('cancelling a batch aborts requests in flight', async () => {
    sandbox = await startSandbox({ latencyMs: 30_000 })
    const files = await makeImages(join(dir, 'in'), 2)
    const t = await engineFor(join(dir, 'data'))
    const batch = await t.engine.createBatch(specFor(files))
    await waitFor(t.engine, () => t.engine.get(batch.id).counts.active === 2)
    t.engine.cancel(batch.id)
    await finished(t, batch.id)
    const detail = t.engine.get(batch.id)
    expect(detail.state).toBe('cancelled')
    expect(detail.counts.cancelled).toBe(2)
  })

  it('flags items identical to an earlier success before spending', async () => {
    sandbox = await startSandbox()
    const files = await makeImages(join(dir, 'in'), 2)
    const t = await engineFor(join(dir, 'data'))
    const first = await t.engine.createBatch(specFor(files))
    await finished(t, first.id)
    const estimate = await t.engine.estimate(specFor(files))
    expect(estimate.duplicates).toHaveLength(2)
    const again = await t.engine.createBatch(specFor(files, { duplicates: 'ask' }))
    const held = t.engine.get(again.id).items
    expect(held.every((i) => i.hold === 'duplicate' && i.duplicateOf?.recordId)).toBe(true)
    t.engine.resolveDuplicates(again.id, 'skip', [held[0]?.id as string])
    t.engine.resolveDuplicates(again.id, 'run', [held[1]?.id as string])
    await finished(t, again.id)
    expect(t.engine.get(again.id).counts).toMatchObject({ cancelled: 1, done: 1 })
    expect(sandbox.stats().submissions).toHaveLength(3)
  })

  it('compares models on the same input as one group with latency and cost, and stores the verdict', async () => {
    sandbox = await startSandbox()
    const files = await makeImages(join(dir, 'in'), 1)
    const t = await engineFor(join(dir, 'data'))
    const batch = await t.engine.createBatch(specFor(files, { compare: true, models: [GEMINI, GPT] }))
    expect(batch.kind).toBe('compare')
    await finished(t, batch.id)
    const group = t.engine.get(batch.id).items[0]?.snapshot.compareGroup as string
    const arms = t.engine.compareArms(group)
    expect(arms.map((a) => a.model)).toEqual([GEMINI.model, GPT.model])
    for (const arm of arms) {
      expect(arm.latencyMs).toBeGreaterThan(0)
      expect(arm.charged).toBeGreaterThan(0)
      expect(arm.outputs.length).toBe(1)
    }
    await t.history.appendVerdict({ compareGroup: group, verdict: 'pick', pickedRecordId: arms[1]?.recordId })
    const page = await t.history.query({ compareGroup: group })
    expect(page.items).toHaveLength(2)
    expect(page.items.every((r) => r.verdict?.verdict === 'pick')).toBe(true)
    await expect(t.engine.createBatch(specFor(files, { compare: true, models: [GEMINI] }))).rejects.toThrow(/2 to 4 models/)
  })

  it('renders templates into the snapshot and refuses missing variables', async () => {
    sandbox = await startSandbox()
    const files = await makeImages(join(dir, 'in'), 1)
    const t = await engineFor(join(dir, 'data'))
    const batch = await t.engine.createBatch({ ...specFor(files), prompt: undefined, templateId: 'colour-variant', variables: { colour: 'forest green' } })
    const item = t.engine.get(batch.id).items[0]
    expect(item?.snapshot.prompt).toMatch(/forest green/)
    expect(item?.snapshot.prompt).not.toMatch(/[{}]/)
    await expect(t.engine.createBatch({ ...specFor(files), prompt: undefined, templateId: 'colour-variant', variables: { shade: 'x' } })).rejects.toThrow(/no variable "shade"/)
    await finished(t, batch.id)
  })
})

describe('crash recovery from the saved queue', () => {
  /** The saved queue (snapshot and journal) as it is on disk at this moment: what a restart after a crash would find. */
  async function crashCopy(dataDir: string): Promise<string> {
    const copy = join(dir, `after-crash-${Math.random().toString(36).slice(2)}`)
    await mkdir(join(copy, 'jobs'), { recursive: true })
    for (const file of ['queue.json', 'queue.journal']) {
      await cp(join(dataDir, 'jobs', file), join(copy, 'jobs', file)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    }
    return copy
  }

  it('a sync request in flight becomes "interrupted (may have been charged)" and is not resent', async () => {
    sandbox = await startSandbox({ latencyMs: 60_000 })
    const files = await makeImages(join(dir, 'in'), 1)
    const t = await engineFor(join(dir, 'data'))
    const batch = await t.engine.createBatch(specFor(files, { route: 'sync' }))
    await waitFor(t.engine, () => t.engine.get(batch.id).items[0]?.state === 'running')
    const copy = await crashCopy(join(dir, 'data'))
    const restarted = await engineFor(copy)
    const item = restarted.engine.get(batch.id).items[0]
    expect(item?.state).toBe('interrupted')
    expect(item?.error?.message).toMatch(/may have been charged/)
    expect(item?.mayHaveCharged).toBe(true)
    expect(sandbox.stats().submissions).toHaveLength(1)
    const ledger = await restarted.history.query({ jobItemId: item?.id })
    expect(ledger.items.map((r) => r.status)).toEqual(['interrupted'])
  })

  it('an async task in flight resumes polling by its id: no second submission', async () => {
    sandbox = await startSandbox({ taskPolls: 30 })
    const files = await makeImages(join(dir, 'in'), 1)
    const t = await engineFor(join(dir, 'data'))
    const batch = await t.engine.createBatch(specFor(files, { route: 'async' }))
    await waitFor(t.engine, () => Boolean(t.engine.get(batch.id).items[0]?.taskId))
    // The task id is fsync'd soon after the engine learns it, however slow this disk's fsyncs are now:
    // crash copies are taken until one holds it (while polling goes on), never after a fixed sleep.
    let copy = await crashCopy(join(dir, 'data'))
    let saved = await loadQueue(copy)
    for (const giveUp = Date.now() + 10_000; saved.batches[0]?.items[0]?.submission.phase !== 'accepted' && Date.now() < giveUp; ) {
      await new Promise((r) => setTimeout(r, 10))
      copy = await crashCopy(join(dir, 'data'))
      saved = await loadQueue(copy)
    }
    await t.close()
    open.splice(open.indexOf(t), 1)
    expect(saved.notice).toBeUndefined()
    expect(saved.batches[0]?.items[0]?.submission.phase).toBe('accepted')
    expect(saved.batches[0]?.items[0]?.state).not.toBe('done')
    const restarted = await engineFor(copy)
    await finished(restarted, batch.id)
    expect(restarted.engine.get(batch.id).items[0]?.state).toBe('done')
    expect(sandbox.stats().submissions).toHaveLength(1)
    expect(sandbox.stats().tasksCreated).toBe(1)
  })
})
