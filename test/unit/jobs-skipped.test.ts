import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JobEngine } from '../../electron/core/jobs/engine'
import { batchName } from '../../electron/core/jobs/batch-name'
import { batchSchema, batchSpecSchema, type BatchSpec } from '../../electron/core/jobs/model'
import { loadQueue } from '../../electron/core/jobs/store'
import { openHistory } from '../../electron/core/history/history'
import { requestRecordSchema } from '../../shared/records'
import { fakeDeps, limits } from '../support/jobs-fakes'
import { makeRecord } from '../support/history-fixtures'

let dir: string
let engine: JobEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-skipped-'))
})
afterEach(async () => {
  await engine?.close()
  engine = undefined
  await rm(dir, { recursive: true, force: true })
})

const truncated = { code: 'corrupt' as const, message: '"shoe-3.jpg" is a damaged or truncated JPEG (premature end of file); export it again.' }

const spec = (extra: Partial<BatchSpec> = {}): BatchSpec => ({
  files: [{ path: '/shoot/shoe-1.png' }, { path: '/shoot/shoe-2.png' }],
  skipped: [{ path: '/shoot/shoe-3.jpg', assetId: 'a3', reason: { ...truncated, path: '/shoot/shoe-3.jpg' } }],
  prompt: 'White background',
  models: [
    { model: 'gemini-2.5-flash-image', provider: 'pixapi' },
    { model: 'gpt-image-1.5', provider: 'pixapi' }
  ],
  sandbox: true,
  duplicates: 'run',
  ...extra
})

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

describe('files that cannot be used in a batch', () => {
  it('become settled "skipped" items per model with their reason, are never sent, and the rest runs', async () => {
    const fake = fakeDeps()
    engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(4) })).engine
    const created = await engine.createBatch(spec())
    const items = engine.get(created.id).items
    expect(items).toHaveLength(6)
    const skipped = items.filter((i) => i.state === 'skipped')
    expect(skipped.map((i) => [i.snapshot.inputs[0]?.path, i.snapshot.model])).toEqual([
      ['/shoot/shoe-3.jpg', 'gemini-2.5-flash-image'],
      ['/shoot/shoe-3.jpg', 'gpt-image-1.5']
    ])
    for (const item of skipped) {
      expect(item.error).toMatchObject({ code: 'corrupt', message: truncated.message, path: '/shoot/shoe-3.jpg' })
      expect(item.estimate).toBe(0)
      expect(item.charged).toBeNull()
    }
    expect(created.counts).toMatchObject({ total: 6, skipped: 2, queued: 4 })
    // Only the usable files' items are priced.
    expect(created.estimate).toBe(4)

    await fake.heldCount(4)
    for (const held of [...fake.held]) held.succeed()
    await when(engine, () => engine!.get(created.id).state === 'done')
    expect(fake.sent.map((i) => i.snapshot.inputs[0]?.path)).not.toContain('/shoot/shoe-3.jpg')
    const report = engine.get(created.id).report!
    expect(report).toMatchObject({ total: 6, done: 4, failed: 0, skipped: 2, charged: 4 })
    expect(report.failures.map((f) => [f.source, f.state, f.reason.message])).toEqual([
      ['/shoot/shoe-3.jpg', 'skipped', truncated.message],
      ['/shoot/shoe-3.jpg', 'skipped', truncated.message]
    ])

    // Retrying the batch's failures does not send a file that could not be used.
    engine.retry(created.id)
    expect(engine.get(created.id).counts).toMatchObject({ skipped: 2, queued: 0 })
  })

  it('are in the history as "skipped" records: 0 credits, the file and the reason, linked to the batch and item', async () => {
    const fake = fakeDeps()
    engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })).engine
    const created = await engine.createBatch(spec({ models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }] }))
    const item = engine.get(created.id).items.find((i) => i.state === 'skipped')!
    const records = fake.records.filter((r) => r.status === 'skipped')
    expect(records).toHaveLength(1)
    const record = requestRecordSchema.parse(records[0])
    expect(record).toMatchObject({
      status: 'skipped',
      cost: { credits: 0, estimated: false, estimate: 0 },
      inputs: [{ source: 'file', path: '/shoot/shoe-3.jpg' }],
      error: { code: 'corrupt', message: truncated.message },
      batchId: created.id,
      jobItemId: item.id,
      requestIds: [],
      prompt: 'White background'
    })
    expect(item.recordIds).toEqual([record.id])
    expect(item.historyPending).toBe(false)
    expect(item.pendingRecord).toBeUndefined()
  })

  it('keep their record in the queue when the history refuses it, and recovery writes it on the next start', async () => {
    const fake = fakeDeps()
    const append = fake.deps.appendRecord
    let refuse = true
    fake.deps.appendRecord = async (r) => {
      if (refuse) throw new Error('ENOSPC: no space left on device')
      await append(r)
    }
    engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })).engine
    const created = await engine.createBatch(spec({ models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }] }))
    engine.pause(created.id)
    const waiting = engine.get(created.id).items.find((i) => i.state === 'skipped')!
    expect(waiting.historyPending).toBe(true)
    await engine.close()
    engine = undefined

    const saved = (await loadQueue(dir)).batches[0]!.items.find((i) => i.state === 'skipped')!
    expect(saved.pendingRecord?.status).toBe('skipped')

    refuse = false
    engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })).engine
    expect(fake.records.filter((r) => r.status === 'skipped').map((r) => r.jobItemId)).toEqual([waiting.id])
    expect(engine.get(created.id).items.find((i) => i.id === waiting.id)).toMatchObject({ state: 'skipped', historyPending: false })
  })

  it('reads queue files and reports saved before skipping existed', () => {
    const old = {
      id: 'b1',
      name: 'Old batch',
      kind: 'batch',
      createdAt: '2025-01-01T00:00:00.000Z',
      paused: false,
      budgetCredits: null,
      models: ['m'],
      items: [],
      report: { batchId: 'b1', finishedAt: '2025-01-01T00:01:00.000Z', total: 0, done: 0, failed: 0, cancelled: 0, interrupted: 0, charged: 0, estimate: 0, failures: [] }
    }
    expect(batchSchema.parse(old).report?.skipped).toBe(0)
    expect(batchSpecSchema.parse({ files: [{ path: '/a.png' }], prompt: 'x', models: [{ model: 'm', provider: 'pixapi' }] }).skipped).toEqual([])
  })

  it('are refused when nothing else is left to run', async () => {
    const fake = fakeDeps()
    engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })).engine
    await expect(engine.createBatch(spec({ files: [] }))).rejects.toMatchObject({ data: { code: 'validation', field: 'files' } })
    expect(fake.records).toHaveLength(0)
  })
})

describe('default batch names', () => {
  const parsed = (extra: Partial<BatchSpec>) => batchSpecSchema.parse(spec(extra))
  const now = Date.UTC(2026, 10, 30, 12, 0)

  it('say what (template or prompt), on what (folder or file) and when', () => {
    expect(batchName(parsed({}), { now })).toMatch(/^White background · shoot · 30 Nov, \d\d:\d\d$/)
    expect(batchName(parsed({ templateId: 'bg-white' }), { templateName: 'Clean white background', now })).toMatch(/^Clean white background · shoot · /)
    expect(batchName(parsed({ files: [{ path: '/shoot/shoe-1.png' }], skipped: [] }), { now })).toMatch(/^White background · shoe-1\.png · /)
    expect(batchName(parsed({ files: [{ path: '/a/x.png' }, { path: '/b/y.png' }, { path: '/c/z.png' }], skipped: [] }), { now })).toMatch(/ · a \+2 folders · /)
  })

  it('cut a long prompt at a word and mark comparisons', () => {
    const long = 'Replace the background with a warm grey studio sweep and add a soft floor shadow under the product'
    expect(batchName(parsed({ prompt: long }), { now })).toMatch(/^Replace the background with a warm grey…/)
    const compare = parsed({ compare: true, files: [{ path: '/shoot/shoe-1.png' }], skipped: [] })
    expect(batchName(compare, { now })).toMatch(/^Compare: White background · shoe-1\.png · /)
  })

  it('are used only when the batch has no name of its own', async () => {
    const fake = fakeDeps()
    engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1), now: () => now })).engine
    expect((await engine.createBatch(spec())).name).toMatch(/^White background · shoot · 30 Nov/)
    expect((await engine.createBatch(spec({ name: '  Spring shoes ' }))).name).toBe('Spring shoes')
  })
})

describe('skipped records in the history', () => {
  it('are found by status, count in totals with no credits and no latency, and old lines still read', async () => {
    const history = openHistory(dir)
    try {
      await history.append(makeRecord({ id: 'old-ok', latencyMs: 4000 }))
      await history.append(makeRecord({ id: 'old-failed', status: 'failed', latencyMs: 2000, error: { code: 'server', message: 'Boom' } }))
      await history.append(
        makeRecord({ id: 'skip-1', status: 'skipped', latencyMs: 0, requestIds: [], cost: { credits: 0, estimated: false, estimate: 0 }, error: truncated })
      )
      expect((await history.query({ status: 'skipped' })).items.map((i) => i.id)).toEqual(['skip-1'])
      expect((await history.query({ status: 'failed' })).items.map((i) => i.id)).toEqual(['old-failed'])
      const { overall } = await history.totals({ by: 'model' })
      expect(overall).toMatchObject({ count: 3, succeeded: 1, failed: 1, skipped: 1, latencyMsAverage: 3000 })
    } finally {
      await history.close()
    }
    // Reopened (from the persisted index), the skipped record reads back the same.
    const again = openHistory(dir)
    try {
      expect((await again.query({ status: 'skipped' })).items[0]).toMatchObject({ id: 'skip-1', error: { code: 'corrupt' } })
    } finally {
      await again.close()
    }
  })
})
