import { appendFile, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openHistory, type History, type HistoryOptions } from '../../electron/core/history/history'
import { INDEX_VERSION, indexPath, joinIndexFile, splitIndexFile } from '../../electron/core/history/month-index-file'
import { recordFingerprint } from '../../electron/core/history/fingerprint'
import type { HistoryQuery, TotalsQuery } from '../../shared/history'
import { makeRecord } from '../support/history-fixtures'

let dataDir: string
const opened: History[] = []
const open = (options: HistoryOptions = {}) => {
  const h = openHistory(dataDir, options)
  opened.push(h)
  return h
}
const historyDir = () => join(dataDir, 'history')
const onlyMonthFile = async () => (await readdir(historyDir())).find((f) => f.endsWith('.jsonl')) ?? ''
const idxOf = (monthFile: string) => indexPath(historyDir(), monthFile)

/** Opens, asks once so the index is built, and closes, which writes the index files. */
async function buildIndex(): Promise<void> {
  const h = openHistory(dataDir)
  await h.query({ pageSize: 1 })
  await h.close()
}

/** A ledger with the cases that matter: supersedes, deletions, verdicts, a broken line, two months. */
async function seedLedger(): Promise<void> {
  let clock = new Date('2025-02-20T12:00:00Z')
  const h = openHistory(dataDir, { now: () => clock })
  for (let i = 0; i < 30; i++) {
    await h.append(
      makeRecord({
        id: `feb${i}`,
        startedAt: `2025-02-${String(1 + (i % 27)).padStart(2, '0')}T10:00:00.000Z`,
        model: i % 3 === 0 ? 'gpt-image-1.5' : 'gemini-2.5-flash-image',
        provider: i % 3 === 0 ? 'openai' : 'pixapi',
        status: i % 7 === 0 ? 'failed' : 'succeeded',
        error: i % 7 === 0 ? { code: 'rate_limited', message: 'Too many requests' } : undefined,
        prompt: `Shoe ${i} on white, soft shadow`,
        batchId: `B${i % 4}`,
        compareGroup: i % 5 === 0 ? `G${i}` : undefined,
        jobItemId: `J${i % 6}`,
        templateId: i % 2 ? 'tpl-1' : undefined,
        sandbox: i % 9 === 0,
        cost: { credits: i % 4, estimated: i % 2 === 0, estimate: 3 },
        latencyMs: 1000 + i * 10
      })
    )
  }
  await h.appendVerdict({ compareGroup: 'G5', verdict: 'tie' })
  await h.deleteEntry('feb3', { deleteFiles: false })
  await appendFile(join(historyDir(), '2025-02.jsonl'), 'not json at all\n')
  clock = new Date('2025-03-05T12:00:00Z')
  await h.append(makeRecord({ id: 'feb4', startedAt: '2025-02-05T10:00:00.000Z', status: 'succeeded', prompt: 'Shoe 4 retried' }))
  await h.append(makeRecord({ id: 'mar0', startedAt: '2025-03-05T10:00:00.000Z', prompt: 'Bag on marble' }))
  await h.appendVerdict({ compareGroup: 'G5', verdict: 'pick', pickedRecordId: 'feb5' })
  await h.deleteEntry('feb10', { deleteFiles: false })
  await h.close()
}

const queries: HistoryQuery[] = [
  {},
  { pageSize: 7, page: 2 },
  { sort: 'oldest' },
  { sort: 'credits_desc', pageSize: 10 },
  { sort: 'latency_desc' },
  { text: 'shoe retried' },
  { text: 'too many' },
  { model: 'gpt-image-1.5', status: 'failed' },
  { provider: 'pixapi', sandbox: false },
  { batchId: 'B1' },
  { compareGroup: 'G5' },
  { jobItemId: 'J2' },
  { templateId: 'tpl-1' },
  { from: '2025-02-10', to: '2025-02-20' }
]
const totalsQueries: TotalsQuery[] = [{ by: 'model' }, { by: 'day' }, { by: 'batch', status: 'succeeded' }, { by: 'provider', text: 'shoe' }]

/** Everything a user can see of the ledger, for comparing two ways of answering. */
async function snapshot(h: History) {
  const pages = []
  for (const q of queries) pages.push(await h.query(q))
  const totals = []
  for (const q of totalsQueries) totals.push(await h.totals(q))
  return {
    pages,
    totals,
    get: await h.get('feb4'),
    deleted: await h.get('feb3'),
    jobItem: (await h.findByJobItem('J1')).map((i) => i.id),
    duplicate: (await h.findSucceededDuplicate(recordFingerprint(makeRecord({ id: 'x', prompt: 'Bag on marble' }))))?.id ?? null,
    csv: await h.exportCsv({ status: 'succeeded' })
  }
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-history-index-'))
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((h) => h.close()))
  await rm(dataDir, { recursive: true, force: true })
})

describe('persisted history index', () => {
  it('answers every question exactly as the month files do, with and without the index', async () => {
    await seedLedger()
    const plain = await snapshot(open({ persistIndex: false }))
    expect(plain.pages[0]?.total).toBe(29)
    expect(plain.pages[0]?.readWarnings).toEqual([expect.objectContaining({ file: '2025-02.jsonl', line: 33 })])

    // Deletions asked the index of the seeding history, which wrote index files on close: start without.
    await rm(join(historyDir(), '.index'), { recursive: true, force: true })
    const building = open()
    const built = await snapshot(building)
    expect(building.indexStats()).toMatchObject({ loadedFromIndex: [], rejected: [] })
    await building.close()
    expect((await readdir(join(historyDir(), '.index'))).sort()).toEqual(['2025-02.idx', '2025-03.idx'])

    const indexed = open()
    const fromIndex = await snapshot(indexed)
    expect(indexed.indexStats()).toMatchObject({ loadedFromIndex: ['2025-02.jsonl', '2025-03.jsonl'], rejected: [], linesScanned: 0 })
    expect(built).toEqual(plain)
    expect(fromIndex).toEqual(plain)
  })

  it('extends a stale index with lines another process appended since', async () => {
    const writer = open()
    for (let i = 0; i < 5; i++) await writer.append(makeRecord({ id: `a${i}` }))
    await buildIndex()
    // Another process keeps appending after the index was written: a record, a replacement, a deletion.
    await writer.append(makeRecord({ id: 'a5', model: 'late-model' }))
    await writer.append(makeRecord({ id: 'a1', status: 'failed' }))
    await writer.deleteEntry('a2', { deleteFiles: false })

    const reader = open()
    const page = await reader.query({})
    expect(page.items.map((i) => [i.id, i.status])).toEqual([
      ['a1', 'failed'],
      ['a5', 'succeeded'],
      ['a4', 'succeeded'],
      ['a3', 'succeeded'],
      ['a0', 'succeeded']
    ])
    expect(reader.indexStats()).toMatchObject({ loadedFromIndex: [await onlyMonthFile()], rejected: [], linesScanned: 3 })
    expect((await reader.totals({ by: 'model' })).rows.map((r) => r.key)).toEqual(['gemini-2.5-flash-image', 'late-model'])
    expect(await reader.get('a2')).toBeNull()
    expect(page).toEqual(await open({ persistIndex: false }).query({}))
  })

  it('rebuilds a corrupt index from the month file', async () => {
    const h = open()
    for (let i = 0; i < 6; i++) await h.append(makeRecord({ id: `c${i}`, prompt: `corrupt case ${i}` }))
    await buildIndex()
    const path = idxOf(await onlyMonthFile())
    const bytes = await readFile(path)
    // Flip bytes inside the body (the id column sits there): the checksum must catch it.
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 0xff
    await writeFile(path, bytes)

    const fresh = open()
    expect((await fresh.query({ text: 'case 3' })).items.map((i) => i.id)).toEqual(['c3'])
    expect((await fresh.query({})).total).toBe(6)
    expect(fresh.indexStats()).toMatchObject({ loadedFromIndex: [], rejected: [{ reason: 'checksum mismatch' }], linesScanned: 6 })
    await fresh.close()
    // The rebuilt index replaced the corrupt one.
    const again = open()
    expect((await again.query({})).total).toBe(6)
    expect(again.indexStats()).toMatchObject({ loadedFromIndex: [await onlyMonthFile()], rejected: [] })
  })

  it('rebuilds a truncated or empty index file', async () => {
    const h = open()
    for (let i = 0; i < 4; i++) await h.append(makeRecord({ id: `t${i}` }))
    await buildIndex()
    const path = idxOf(await onlyMonthFile())
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(path))
    for (const length of [Math.floor(size / 2), 10, 0]) {
      await buildIndex()
      await truncate(path, length)
      const fresh = open()
      expect((await fresh.query({})).items.map((i) => i.id)).toEqual(['t3', 't2', 't1', 't0'])
      expect(fresh.indexStats().rejected).toHaveLength(1)
      expect(fresh.indexStats().linesScanned).toBe(4)
      await fresh.close()
    }
  })

  it('does not trust an index built from other bytes than the month file now holds', async () => {
    const h = open()
    for (let i = 0; i < 4; i++) await h.append(makeRecord({ id: `s${i}`, model: 'before' }))
    await buildIndex()
    const file = await onlyMonthFile()
    const monthPath = join(historyDir(), file)
    const original = await readFile(monthPath, 'utf8')

    // Shorter than the index says (the file was replaced, e.g. restored from a backup).
    const lines = original.split('\n').filter(Boolean)
    await writeFile(monthPath, `${lines.slice(0, 2).join('\n')}\n`)
    let fresh = open()
    expect((await fresh.query({})).items.map((i) => i.id)).toEqual(['s1', 's0'])
    expect(fresh.indexStats().rejected).toEqual([{ file, reason: expect.stringMatching(/built from \d+ bytes but/) }])
    await fresh.close()

    // Same length or longer, but other content before the indexed end.
    await buildIndex()
    const indexed = (await readFile(monthPath, 'utf8')).split('\n').filter(Boolean)
    await writeFile(monthPath, `${indexed.map((l) => l.replace('"s1"', '"x1"')).join('\n')}\n`)
    fresh = open()
    expect((await fresh.query({})).items.map((i) => i.id)).toEqual(['x1', 's0'])
    expect(fresh.indexStats().rejected).toEqual([{ file, reason: expect.stringMatching(/no longer holds the bytes/) }])
  })

  it('trusts an index only with its own format version', async () => {
    const h = open()
    for (let i = 0; i < 3; i++) await h.append(makeRecord({ id: `v${i}`, model: 'real-model' }))
    await buildIndex()
    const path = idxOf(await onlyMonthFile())
    const { headerText, body } = splitIndexFile(await readFile(path))
    // An index whose model table says something else: trusted as it is, so its content shows...
    const header = JSON.parse(headerText) as { version: number; bodyCrc: number; sections: Record<string, [number, number]> }
    const [metaStart, metaLength] = header.sections.meta ?? [0, 0]
    const meta = body.subarray(metaStart, metaStart + metaLength).toString('utf8')
    const forged = Buffer.from(meta.replace('"real-model"', '"fake-model"'), 'utf8')
    expect(forged.length).toBe(metaLength)
    const forgedBody = Buffer.concat([body.subarray(0, metaStart), forged, body.subarray(metaStart + metaLength)])
    const { crc32 } = await import('node:zlib')
    header.bodyCrc = crc32(forgedBody)
    await writeFile(path, joinIndexFile(JSON.stringify(header), forgedBody))
    let fresh = open()
    expect((await fresh.totals({ by: 'model' })).rows.map((r) => r.key)).toEqual(['fake-model'])
    await fresh.close()

    // ...but the same index marked with another format version is rebuilt from the month file.
    header.version = INDEX_VERSION + 1
    await writeFile(path, joinIndexFile(JSON.stringify(header), forgedBody))
    fresh = open()
    expect((await fresh.totals({ by: 'model' })).rows.map((r) => r.key)).toEqual(['real-model'])
    expect(fresh.indexStats().rejected).toEqual([{ file: await onlyMonthFile(), reason: `format version ${INDEX_VERSION + 1}, expected ${INDEX_VERSION}` }])
  })

  it('drops an index whose positions do not match the month file, and answers from the month file', async () => {
    const h = open()
    for (let i = 0; i < 3; i++) await h.append(makeRecord({ id: `p${i}` }))
    await buildIndex()
    const path = idxOf(await onlyMonthFile())
    const { headerText, body } = splitIndexFile(await readFile(path))
    const header = JSON.parse(headerText) as { bodyCrc: number; sections: Record<string, [number, number]> }
    // Swap two records' ids in the index: structure and checksum are fine, the positions are wrong.
    const [idStart, idLength] = header.sections.id ?? [0, 0]
    const ids = body.subarray(idStart, idStart + idLength).toString('utf8')
    const swapped = Buffer.from(ids.replace('"p0","p1"', '"p1","p0"'), 'utf8')
    expect(swapped.toString()).not.toBe(ids)
    const forgedBody = Buffer.concat([body.subarray(0, idStart), swapped, body.subarray(idStart + idLength)])
    const { crc32 } = await import('node:zlib')
    header.bodyCrc = crc32(forgedBody)
    await writeFile(path, joinIndexFile(JSON.stringify(header), forgedBody))

    const fresh = open()
    expect((await fresh.query({})).items.map((i) => i.id)).toEqual(['p2', 'p1', 'p0'])
    expect((await fresh.get('p0'))?.id).toBe('p0')
  })

  it('keeps appends independent of the index, and leaves no temporary files behind', async () => {
    const h = open()
    await h.append(makeRecord({ id: 'only' }))
    // Appending alone never writes an index: only questions do, after answering.
    expect(await readdir(historyDir())).toEqual([await onlyMonthFile()])
    await h.query({})
    await h.close()
    const names = await readdir(join(historyDir(), '.index'))
    expect(names).toEqual([(await onlyMonthFile()).replace('.jsonl', '.idx')])
    expect(h.indexStats()).toMatchObject({ indexesWritten: 1, lastWriteError: null })
  })
})
