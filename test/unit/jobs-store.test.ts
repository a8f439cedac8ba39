import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { JournalFile } from '../../electron/core/jobs/journal-file'
import { JOURNAL_FILE, loadQueue, QUEUE_FILE, QueueStore } from '../../electron/core/jobs/store'
import { unstartedItemState, type Batch, type JobItem } from '../../electron/core/jobs/model'

let dataDir: string
const jobs = () => join(dataDir, 'jobs')

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-store-'))
  await mkdir(jobs(), { recursive: true })
})
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

function item(id: string, batchId: string, extra: Partial<JobItem> = {}): JobItem {
  return {
    id,
    batchId,
    snapshot: { kind: 'edit', inputs: [{ path: `/photos/${id}.png` }], model: 'm', provider: 'pixapi', route: 'sync', prompt: 'p', params: { n: 1 }, sandbox: true },
    estimate: 2,
    ...unstartedItemState('2025-01-01T00:00:00.000Z'),
    ...extra
  }
}

function batch(id: string, items: JobItem[]): Batch {
  return { id, name: id, kind: 'batch', createdAt: '2025-01-01T00:00:00.000Z', paused: false, cancelled: false, budgetCredits: null, models: ['m'], items }
}

describe('loading the saved queue', () => {
  it('starts empty without a file', async () => {
    expect(await loadQueue(dataDir)).toEqual({ batches: [], seq: 0 })
  })

  it('keeps a corrupt queue file as a backup and starts empty with a notice', async () => {
    await writeFile(join(jobs(), QUEUE_FILE), '{"version": 1, "batches": [')
    const loaded = await loadQueue(dataDir)
    expect(loaded.batches).toEqual([])
    expect(loaded.notice?.message).toMatch(/could not be used \(not valid JSON/)
    expect(loaded.notice?.backupPath).toBeDefined()
    expect(await readFile(loaded.notice?.backupPath as string, 'utf8')).toBe('{"version": 1, "batches": [')
  })

  it('reports which item is invalid', async () => {
    const bad = { ...item('item-7', 'b1'), state: 'exploded' }
    await writeFile(join(jobs(), QUEUE_FILE), JSON.stringify({ version: 1, savedAt: 'now', batches: [batch('b1', [item('item-1', 'b1'), bad as unknown as JobItem])] }))
    const loaded = await loadQueue(dataDir)
    expect(loaded.batches).toEqual([])
    expect(loaded.notice?.message).toMatch(/batches\.0\.items\.1\.state \(item item-7, \/photos\/item-7\.png\)/)
    expect((await readdir(jobs())).some((f) => f.startsWith(`${QUEUE_FILE}.unreadable-`))).toBe(true)
  })

  it('replays journal lines after the snapshot, skips those it includes, and ignores a torn last line', async () => {
    const a = item('a', 'b1')
    await writeFile(join(jobs(), QUEUE_FILE), JSON.stringify({ version: 1, savedAt: 'now', seq: 2, batches: [batch('b1', [a, item('c', 'b1')])] }))
    const lines = [
      // Already in the snapshot (seq ≤ 2): must not undo it.
      { s: 2, op: 'item', item: { ...a, state: 'failed' } },
      { s: 3, op: 'item', item: { ...a, state: 'uploading', submission: { phase: 'pending', at: 'then' } } },
      { s: 4, op: 'meta', batch: { ...batch('b1', []), items: undefined, paused: true } }
    ]
    const text = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"s":5,"op":"item","item":{"id":"c"`
    await writeFile(join(jobs(), JOURNAL_FILE), text)
    const loaded = await loadQueue(dataDir)
    expect(loaded.notice).toBeUndefined()
    expect(loaded.seq).toBe(4)
    const [b] = loaded.batches
    expect(b?.paused).toBe(true)
    expect(b?.items.map((i) => [i.id, i.state, i.submission.phase])).toEqual([
      ['a', 'uploading', 'pending'],
      ['c', 'queued', 'none']
    ])
  })
})

describe('queue store', () => {
  it('a change appended durably is there for the next load; a fold leaves one self-contained file', async () => {
    const b = batch('b1', [item('a', 'b1')])
    const store = new QueueStore(dataDir, 0, () => [b])
    await store.append({ op: 'batch', batch: b }, true)
    const first = b.items[0] as JobItem
    first.state = 'uploading'
    first.submission = { phase: 'pending', at: 'now' }
    await store.append({ op: 'item', item: first }, true)
    // Later changes do not leak into a line already appended.
    first.state = 'done'
    let loaded = await loadQueue(dataDir)
    expect(loaded.batches[0]?.items[0]?.state).toBe('uploading')
    expect(loaded.batches[0]?.items[0]?.submission.phase).toBe('pending')

    await store.close()
    expect(await readFile(join(jobs(), JOURNAL_FILE), 'utf8')).toBe('')
    loaded = await loadQueue(dataDir)
    expect(loaded.seq).toBe(2)
    expect(loaded.batches[0]?.items[0]?.state).toBe('done')
    await expect(store.append({ op: 'item', item: first }, false)).rejects.toThrow(/could not be saved/)
  })

  it('a durable change is on disk the moment its append resolves, also with many in flight and a fold between them', async () => {
    const b = batch('b1', Array.from({ length: 30 }, (_, i) => item(`i${i}`, 'b1')))
    const store = new QueueStore(dataDir, 0, () => [b])
    // Read synchronously in the same turn the promise settles: nothing can land in between. A change
    // is on disk in a journal line or, once folded, in the snapshot.
    const onDisk = (id: string, state: string): boolean => {
      const lines = readFileSync(join(jobs(), JOURNAL_FILE), 'utf8').split('\n').filter(Boolean)
      const inJournal = lines.some((line) => {
        const change = JSON.parse(line) as { item?: JobItem }
        return change.item?.id === id && change.item.state === state
      })
      if (inJournal) return true
      try {
        const snapshot = JSON.parse(readFileSync(join(jobs(), QUEUE_FILE), 'utf8')) as { batches: Batch[] }
        return snapshot.batches.some((saved) => saved.items.some((it) => it.id === id && it.state === state))
      } catch {
        return false
      }
    }
    const seen: boolean[] = []
    // As the engine does: the item changes in memory (which the snapshot reads), then the change is appended.
    const append = (it: JobItem, state: JobItem['state'], durable: boolean) => {
      it.state = state
      const done = store.append({ op: 'item', item: it }, durable)
      return durable ? done.then(() => void seen.push(onDisk(it.id, state))) : done
    }
    const before = b.items.slice(0, 20).map((it, i) => append(it, 'uploading', i % 3 === 0))
    const fold = store.compact()
    // While the fold writes its snapshot: these must go to the journal after it is emptied.
    await new Promise((resolve) => setImmediate(resolve))
    const after = b.items.slice(20).map((it) => append(it, 'done', true))
    await Promise.all([...before, fold, ...after])
    expect(seen).toEqual(Array(17).fill(true))
    // The lines after the fold survive it: a reload sees them over the snapshot.
    const loaded = await loadQueue(dataDir)
    expect(loaded.batches[0]?.items.map((i) => i.state)).toEqual([...Array(20).fill('uploading'), ...Array(10).fill('done')])
    await store.close()
  })

  describe('a durable line that waits for the end of the turn', () => {
    const journalLines = () => readFileSync(join(jobs(), JOURNAL_FILE), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { item: JobItem })

    it('shares one write and one fsync with a line that cannot wait, appended later in the same turn', async () => {
      const answered = item('answered', 'b1', { state: 'downloading' })
      const next = item('next', 'b1', { state: 'uploading', submission: { phase: 'pending', at: 'now' } })
      const store = new QueueStore(dataDir, 0, () => [batch('b1', [answered, next])])
      const writes = vi.spyOn(JournalFile.prototype, 'append')
      try {
        const first = store.append({ op: 'item', item: answered }, true, 'end-of-turn')
        // The rest of the turn: microtasks later, as the pass that gives a freed slot to the next item.
        await Promise.resolve()
        await Promise.resolve()
        expect(writes).not.toHaveBeenCalled()
        const second = store.append({ op: 'item', item: next }, true)
        await Promise.all([first, second])
        expect(writes).toHaveBeenCalledTimes(1)
        expect(writes.mock.calls[0]?.[1]).toBe(true)
        expect(journalLines().map((line) => line.item.id)).toEqual(['answered', 'next'])
      } finally {
        writes.mockRestore()
        await store.close()
      }
    })

    it('alone, is written and fsync\'d once the turn is over, and is on disk when its append resolves', async () => {
      const answered = item('answered', 'b1', { state: 'downloading' })
      const store = new QueueStore(dataDir, 0, () => [batch('b1', [answered])])
      const writes = vi.spyOn(JournalFile.prototype, 'append')
      try {
        let onDisk: string[] = []
        await store.append({ op: 'item', item: answered }, true, 'end-of-turn').then(() => (onDisk = journalLines().map((line) => line.item.id)))
        expect(onDisk).toEqual(['answered'])
        expect(writes).toHaveBeenCalledTimes(1)
        expect(writes.mock.calls[0]?.[1]).toBe(true)
      } finally {
        writes.mockRestore()
        await store.close()
      }
    })

    it('is kept by a close that comes before the end of the turn', async () => {
      const answered = item('answered', 'b1', { state: 'downloading' })
      const store = new QueueStore(dataDir, 0, () => [batch('b1', [answered])])
      const appended = store.append({ op: 'item', item: answered }, true, 'end-of-turn')
      answered.state = 'done'
      await store.close()
      await appended
      const loaded = await loadQueue(dataDir)
      expect(loaded.batches[0]?.items[0]?.state).toBe('done')
      expect(loaded.seq).toBe(1)
    })
  })
})
