import { createHash } from 'node:crypto'
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { csvCell } from '../../electron/core/history/export'
import { recordFingerprint } from '../../electron/core/history/fingerprint'
import { openHistory, type History } from '../../electron/core/history/history'
import { makeRecord } from '../support/history-fixtures'

let dataDir: string
const opened: History[] = []
const open = (now?: () => Date) => {
  const h = openHistory(dataDir, now ? { now } : {})
  opened.push(h)
  return h
}
const monthFile = (name: string) => join(dataDir, 'history', name)

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-history-'))
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((h) => h.close()))
  await rm(dataDir, { recursive: true, force: true })
})

describe('history ledger', () => {
  it('appends whole lines and pages newest first with an exact total', async () => {
    const h = open()
    for (let i = 0; i < 7; i++) await h.append(makeRecord({ id: `r${i}` }))
    const first = await h.query({ pageSize: 3 })
    expect(first.items.map((i) => i.id)).toEqual(['r6', 'r5', 'r4'])
    expect(first).toMatchObject({ total: 7, page: 1, pages: 3, readWarnings: [] })
    const last = await h.query({ pageSize: 3, page: 3 })
    expect(last.items.map((i) => i.id)).toEqual(['r0'])
    expect((await h.query({ sort: 'oldest', pageSize: 2 })).items.map((i) => i.id)).toEqual(['r0', 'r1'])
    // Only month files: the rebuildable index folder (.index) may have been written meanwhile on a slow machine.
    const files = (await readdir(join(dataDir, 'history'))).filter((name) => !name.startsWith('.'))
    expect(files).toHaveLength(1)
    const text = await readFile(join(dataDir, 'history', files[0] ?? ''), 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    expect(text.split('\n').filter(Boolean).every((l) => JSON.parse(l).type === 'request')).toBe(true)
  })

  it('filters by date, model, provider, status, text, batch, compare group and sandbox', async () => {
    const h = open()
    await h.append(makeRecord({ id: 'a', startedAt: '2025-03-01T09:00:00.000Z', model: 'gpt-image-1.5', provider: 'openai', prompt: 'Warm LIGHT on the bottle' }))
    await h.append(makeRecord({ id: 'b', startedAt: '2025-03-05T09:00:00.000Z', status: 'failed', batchId: 'B1', error: { code: 'rate_limited', message: 'Too many requests' } }))
    await h.append(makeRecord({ id: 'c', startedAt: '2025-03-09T09:00:00.000Z', batchId: 'B1', compareGroup: 'G1', sandbox: true }))
    const ids = async (q: Parameters<History['query']>[0]) => (await h.query(q)).items.map((i) => i.id)
    expect(await ids({ from: '2025-03-04T00:00:00Z', to: '2025-03-06T00:00:00Z' })).toEqual(['b'])
    expect(await ids({ from: '2025-03-05T09:00:00.000Z' })).toEqual(['c', 'b'])
    expect(await ids({ model: 'gpt-image-1.5' })).toEqual(['a'])
    expect(await ids({ provider: 'openai' })).toEqual(['a'])
    expect(await ids({ status: 'failed' })).toEqual(['b'])
    expect(await ids({ text: 'light BOTTLE' })).toEqual(['a'])
    expect(await ids({ text: 'too many' })).toEqual(['b'])
    expect(await ids({ text: 'rq-c' })).toEqual(['c'])
    expect(await ids({ batchId: 'B1' })).toEqual(['c', 'b'])
    expect(await ids({ compareGroup: 'G1' })).toEqual(['c'])
    expect(await ids({ sandbox: false })).toEqual(['b', 'a'])
    expect(await ids({ batchId: 'B1', status: 'succeeded' })).toEqual(['c'])
    await expect(h.query({ from: 'yesterday' })).rejects.toThrow(/ISO date/)
  })

  it('totals credits charged vs estimated, counts and failures by model, day, batch and provider', async () => {
    const h = open()
    await h.append(makeRecord({ id: '1', model: 'm1', batchId: 'B', cost: { credits: 4, estimated: false, estimate: 3 } }))
    await h.append(makeRecord({ id: '2', model: 'm1', cost: { credits: 3, estimated: true, estimate: 3 }, latencyMs: 3000 }))
    await h.append(makeRecord({ id: '3', model: 'm2', batchId: 'B', status: 'failed', cost: { credits: 0, estimated: false, estimate: 8 }, startedAt: '2025-03-11T10:00:00.000Z' }))
    const byModel = await h.totals({ by: 'model' })
    expect(byModel.rows).toEqual([
      expect.objectContaining({ key: 'm1', count: 2, succeeded: 2, failed: 0, credits: 7, reportedCredits: 4, estimatedCredits: 6, unreportedCount: 1, latencyMsAverage: 2100 }),
      expect.objectContaining({ key: 'm2', count: 1, succeeded: 0, failed: 1, credits: 0, reportedCredits: 0, estimatedCredits: 8 })
    ])
    expect(byModel.overall).toMatchObject({ count: 3, credits: 7, estimatedCredits: 14, failed: 1 })
    expect((await h.totals({ by: 'batch' })).rows.map((r) => [r.key, r.count])).toEqual([['', 1], ['B', 2]])
    expect((await h.totals({ by: 'day' })).rows.map((r) => r.key)).toEqual(['2025-03-10', '2025-03-11'])
    expect((await h.totals({ by: 'provider', status: 'failed' })).overall.count).toBe(1)
  })

  it('splits files by month and only reads the months a date range needs', async () => {
    let clock = new Date('2025-01-15T12:00:00Z')
    const h = open(() => clock)
    await h.append(makeRecord({ id: 'jan', startedAt: '2025-01-15T11:00:00.000Z' }))
    clock = new Date('2025-03-02T12:00:00Z')
    await h.append(makeRecord({ id: 'mar', startedAt: '2025-03-02T11:00:00.000Z' }))
    expect((await readdir(join(dataDir, 'history'))).sort()).toEqual(['2025-01.jsonl', '2025-03.jsonl'])
    // A broken line in January is never parsed by a question about March, so it is not reported there.
    await appendFile(monthFile('2025-01.jsonl'), 'not json\n')
    const fresh = open()
    const march = await fresh.query({ from: '2025-03-01' })
    expect(march.items.map((i) => i.id)).toEqual(['mar'])
    expect(march.readWarnings).toEqual([])
    const all = await fresh.query({})
    expect(all.items.map((i) => i.id)).toEqual(['mar', 'jan'])
    expect(all.readWarnings).toEqual([expect.objectContaining({ file: '2025-01.jsonl', line: 2 })])
  })

  it('skips and reports a torn last line, and keeps the next append intact', async () => {
    const h = open()
    await h.append(makeRecord({ id: 'before' }))
    const [file] = await readdir(join(dataDir, 'history'))
    const path = monthFile(file ?? '')
    await appendFile(path, '{"type":"request","at":"2025-03-10T10:00:00.000Z","record":{"id":"torn","kin')
    const page = await h.query({})
    expect(page.items.map((i) => i.id)).toEqual(['before'])
    expect(page.readWarnings).toEqual([expect.objectContaining({ file, line: 2, reason: expect.stringMatching(/unfinished last line/) })])
    expect((await h.recent()).map((i) => i.id)).toEqual(['before'])

    await h.append(makeRecord({ id: 'after' }))
    const next = await h.query({})
    expect(next.items.map((i) => i.id)).toEqual(['after', 'before'])
    expect(next.readWarnings).toEqual([expect.objectContaining({ file, line: 2, reason: expect.stringMatching(/not valid JSON/) })])
    expect((await h.recent()).map((i) => i.id)).toEqual(['after', 'before'])
  })

  it('recovers an intact line glued after a torn fragment, and reports invalid entries by file and line', async () => {
    const h = open()
    await h.append(makeRecord({ id: 'one' }))
    const [file] = await readdir(join(dataDir, 'history'))
    const good = JSON.stringify({ type: 'request', at: '2025-03-10T10:00:00.000Z', record: makeRecord({ id: 'glued' }) })
    const invalid = JSON.stringify({ type: 'request', at: 'x', record: { id: 'no-fields' } })
    await appendFile(monthFile(file ?? ''), `{"type":"requ${good}\n${invalid}\n`)
    const page = await open().query({})
    expect(page.items.map((i) => i.id)).toEqual(['glued', 'one'])
    expect(page.readWarnings.map((w) => [w.line, w.reason.split(' ')[0]])).toEqual([
      [2, 'torn'],
      [3, 'not']
    ])
    expect(page.readWarnings[1]?.reason).toMatch(/not a valid history entry \(record\.kind/)
  })

  it('sees lines appended by another writer since the last question', async () => {
    const reader = open()
    const writer = open()
    await writer.append(makeRecord({ id: 'w1' }))
    expect((await reader.query({})).total).toBe(1)
    await writer.append(makeRecord({ id: 'w2', model: 'other' }))
    expect((await reader.query({})).items.map((i) => i.id)).toEqual(['w2', 'w1'])
    expect((await reader.totals({ by: 'model' })).rows.map((r) => r.key)).toEqual(['gemini-2.5-flash-image', 'other'])
    expect((await reader.get('w2'))?.model).toBe('other')
  })

  it('flags missing output files and deletes entries with or without their files', async () => {
    const out = (name: string) => join(dataDir, name)
    for (const name of ['a.png', 'a.json', 'b.png', 'c.png']) await writeFile(out(name), 'x')
    const sha256OfX = createHash('sha256').update('x').digest('hex')
    const output = (path: string, sidecarPath?: string) => ({ path, sha256: sha256OfX, bytes: 1, width: 1, height: 1, format: 'png', sidecarPath })
    const h = open()
    await h.append(makeRecord({ id: 'A', outputs: [output(out('a.png'), out('a.json'))] }))
    await h.append(makeRecord({ id: 'B', outputs: [output(out('b.png'))] }))
    await h.append(makeRecord({ id: 'C', outputs: [output(out('c.png')), output(out('gone.png'))] }))
    expect((await h.get('C'))?.outputs.map((o) => o.fileMissing)).toEqual([false, true])
    await rm(out('b.png'))
    expect((await h.get('B'))?.outputs[0]?.fileMissing).toBe(true)

    const withFiles = await h.deleteEntry('A', { deleteFiles: true, outputFolders: [dataDir] })
    expect(withFiles).toEqual({ id: 'A', deleted: true, filesDeleted: [out('a.png'), out('a.json')], filesFailed: [] })
    await expect(readFile(out('a.png'))).rejects.toThrow(/ENOENT/)
    await h.deleteEntry('C', { deleteFiles: false })
    expect(await readFile(out('c.png'), 'utf8')).toBe('x')

    const reopened = open()
    expect((await reopened.query({})).items.map((i) => i.id)).toEqual(['B'])
    expect(await reopened.get('A')).toBeNull()
    expect((await reopened.totals({ by: 'model' })).overall.count).toBe(1)
    expect((await reopened.recent()).map((i) => i.id)).toEqual(['B'])
    await expect(reopened.deleteEntry('A', { deleteFiles: true })).rejects.toMatchObject({ code: 'not_found' })
  })

  it('lets a later line for the same id supersede the earlier one', async () => {
    const h = open()
    await h.append(makeRecord({ id: 'job-1', status: 'interrupted' }))
    await h.append(makeRecord({ id: 'other' }))
    await h.append(makeRecord({ id: 'job-1', status: 'succeeded' }))
    const page = await h.query({})
    expect(page.items.map((i) => [i.id, i.status])).toEqual([['job-1', 'succeeded'], ['other', 'succeeded']])
    expect(page.total).toBe(2)
  })

  it('stores verdicts per compare group, latest first, and finds retries by job item', async () => {
    const h = open()
    await h.append(makeRecord({ id: 'x', compareGroup: 'G', jobItemId: 'J', status: 'failed' }))
    await h.append(makeRecord({ id: 'y', compareGroup: 'G', jobItemId: 'J' }))
    await h.appendVerdict({ compareGroup: 'G', verdict: 'tie' })
    await h.appendVerdict({ compareGroup: 'G', verdict: 'pick', pickedRecordId: 'y', note: 'sharper label' })
    const items = (await h.query({ compareGroup: 'G' })).items
    expect(items.map((i) => i.verdict?.verdict)).toEqual(['pick', 'pick'])
    expect(items[0]?.verdict).toMatchObject({ pickedRecordId: 'y', note: 'sharper label' })
    expect((await h.recent())[0]?.verdict?.verdict).toBe('pick')
    expect((await h.findByJobItem('J')).map((i) => i.id)).toEqual(['y', 'x'])
    await expect(h.appendVerdict({ compareGroup: 'G', verdict: 'great' as never })).rejects.toThrow()
  })

  it('finds a succeeded duplicate by fingerprint, never a failed, deleted or sandbox one', async () => {
    const h = open()
    const base = makeRecord({ id: 'ok-1' })
    const fingerprint = recordFingerprint(base)
    expect(await h.findSucceededDuplicate(fingerprint)).toBeNull()
    await h.append(makeRecord({ id: 'failed-1', status: 'failed' }))
    await h.append(makeRecord({ id: 'sandbox-1', sandbox: true }))
    expect(await h.findSucceededDuplicate(fingerprint)).toBeNull()
    await h.append(base)
    expect((await h.findSucceededDuplicate(fingerprint))?.id).toBe('ok-1')
    expect(recordFingerprint(makeRecord({ id: 'z', params: { size: '1024x1024', n: 1 } }))).toBe(fingerprint)
    expect(recordFingerprint(makeRecord({ id: 'z', prompt: 'other' }))).not.toBe(fingerprint)
    expect(await h.findSucceededDuplicate(fingerprint, { since: '2030-01-01' })).toBeNull()
    await h.deleteEntry('ok-1', { deleteFiles: false })
    expect(await h.findSucceededDuplicate(fingerprint)).toBeNull()
  })

  it('refuses an invalid record and strips credentials and query strings from endpoints', async () => {
    const h = open()
    await expect(h.append({ ...makeRecord({ id: 'bad' }), cost: undefined } as never)).rejects.toMatchObject({ code: 'internal', data: { field: 'cost' } })
    await h.append(makeRecord({ id: 'g', endpoint: 'https://user:pw@generativelanguage.googleapis.com/v1beta/models/x:generateContent?key=SECRETKEY123' }))
    expect((await h.get('g'))?.endpoint).toBe('https://generativelanguage.googleapis.com/v1beta/models/x:generateContent')
    const [file] = await readdir(join(dataDir, 'history'))
    const text = await readFile(monthFile(file ?? ''), 'utf8')
    expect(text).not.toContain('SECRETKEY123')
    expect(text).not.toContain('"bad"')
  })

  it('exports CSV that spreadsheets cannot run and JSON for support', async () => {
    const h = open()
    await h.append(makeRecord({ id: 'e1', prompt: '=HYPERLINK("http://x","y"), then "quote"\nline two', status: 'failed', error: { code: 'server', message: '+500 upstream', status: 500 } }))
    await h.append(makeRecord({ id: 'e2', model: '@evil', cost: { credits: 1.5, estimated: true, estimate: 1.5 } }))
    const csv = await h.exportCsv()
    expect(csv.startsWith('\ufeffid,started_at,')).toBe(true)
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""y""), then ""quote""\nline two"`)
    expect(csv).toContain(`'+500 upstream`)
    expect(csv).toContain(`,'@evil,`)
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(3)
    expect(csvCell(-3)).toBe('-3')
    expect(csvCell('-3')).toBe("'-3")
    expect(csvCell(' padded')).toBe('" padded"')
    const json = JSON.parse(await h.exportJson({ status: 'failed' }))
    expect(json).toMatchObject({ app: 'Pixdesk', count: 1, records: [{ id: 'e1', requestIds: ['rq-e1'], error: { code: 'server' } }] })
  })

  it('shows the newest entries from the file tails without the index', async () => {
    let clock = new Date('2025-02-10T12:00:00Z')
    const h = open(() => clock)
    for (let i = 0; i < 5; i++) await h.append(makeRecord({ id: `feb${i}` }))
    clock = new Date('2025-03-10T12:00:00Z')
    for (let i = 0; i < 2; i++) await h.append(makeRecord({ id: `mar${i}` }))
    await h.deleteEntry('feb4', { deleteFiles: false })
    const fresh = open()
    expect((await fresh.recent(4)).map((i) => i.id)).toEqual(['mar1', 'mar0', 'feb3', 'feb2'])
    expect((await fresh.recent(100)).length).toBe(6)
  })
})
