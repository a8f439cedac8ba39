/**
 * History ledger benchmark on a 100,000-record history spread over ten month files:
 *   npx tsx test/bench/history.bench.ts
 * Prints measured figures next to their goals. "cold" means a freshly opened ledger (nothing in memory,
 * the operating system's file cache warm) with the persisted index files of history/.index present;
 * "cold, no index" is the first open ever (or after the index files were lost), when the index is built
 * from every line of the month files; "warm" means the same ledger asked again.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openHistory, type History } from '../../electron/core/history/history'
import { indexDir } from '../../electron/core/history/month-index-file'
import { historyDir, ledgerLineSchema, monthFileName } from '../../electron/core/history/ledger'
import type { RequestRecord } from '../../shared/records'
import { makeRecord } from '../support/history-fixtures'

const RECORDS = 100_000
const MONTHS = 10
const APPENDS = 400
/** Cold questions with the index present are cheap enough to repeat: the median resists a busy machine. */
const RUNS = 5
const models = ['gemini-2.5-flash-image', 'gemini-3.1-flash-image-preview', 'gemini-3-pro-image-preview', 'gpt-image-1.5', 'gpt-image-2']
const subjects = ['sneaker', 'handbag', 'watch', 'perfume bottle', 'ceramic mug', 'sunglasses', 'backpack', 'lamp']

function sampleRecord(i: number, startedAt: Date): RequestRecord {
  const model = models[i % models.length] ?? 'gpt-image-1.5'
  const failed = i % 23 === 0
  return makeRecord({
    id: `req_${i.toString(36).padStart(6, '0')}`,
    model,
    provider: i % 3 === 0 ? 'openai' : 'pixapi',
    prompt: `Place the ${subjects[i % subjects.length]} on a clean white studio sweep with a soft shadow, catalogue ${i}`,
    startedAt: startedAt.toISOString(),
    status: failed ? 'failed' : 'succeeded',
    error: failed ? { code: 'rate_limited', message: 'Too many requests, try again shortly', status: 429 } : undefined,
    cost: { credits: failed ? 0 : 4, estimated: i % 5 === 0, estimate: 4 },
    batchId: `batch_${Math.floor(i / 250)}`,
    compareGroup: i % 4 === 0 ? `cg_${Math.floor(i / 4)}` : undefined,
    outputs: failed ? [] : [{ path: `/studio/out/pixdesk/item_${i}_${model}_1.png`, sha256: 'b'.repeat(64), bytes: 1_234_567, width: 1024, height: 1024, format: 'png' }]
  })
}

/** Writes the seed data straight into month files in the ledger's own line format (appending 100k flushed lines would take minutes). */
async function seed(dataDir: string): Promise<void> {
  const dir = historyDir(dataDir)
  await mkdir(dir, { recursive: true })
  const now = new Date()
  const perMonth = RECORDS / MONTHS
  for (let m = 0; m < MONTHS; m++) {
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (MONTHS - 1 - m), 1, 8))
    const lines: string[] = []
    for (let k = 0; k < perMonth; k++) {
      const i = m * perMonth + k
      const started = new Date(month.getTime() + k * 60_000)
      const line = { type: 'request' as const, at: new Date(started.getTime() + 1200).toISOString(), record: sampleRecord(i, started) }
      if (i === 0) ledgerLineSchema.parse(line)
      lines.push(JSON.stringify(line))
    }
    await writeFile(join(dir, monthFileName(month)), `${lines.join('\n')}\n`)
  }
}

async function time<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now()
  const value = await run()
  return { ms: performance.now() - start, value }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`
const verdict = (ok: boolean) => (ok ? 'meets goal' : 'MISSES goal')
const line = (label: string, text: string) => console.log(`${label.padEnd(44)} ${text}`)

interface Question {
  label: string
  goal: number
  ask: (h: History) => Promise<string>
}

const questions: Question[] = [
  { label: 'first page, newest 50 via query', goal: 200, ask: async (h) => `total ${(await h.query({ pageSize: 50 })).total}` },
  { label: 'text search', goal: 500, ask: async (h) => `${(await h.query({ text: 'perfume catalogue 9', pageSize: 50 })).total} hits` },
  { label: 'totals by model', goal: 500, ask: async (h) => `${(await h.totals({ by: 'model' })).rows.length} rows` }
]

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'pixdesk-history-bench-'))
  const big = join(root, 'big')
  const empty = join(root, 'empty')
  const indexes = indexDir(historyDir(big))
  const opened: History[] = []
  const open = (dir: string) => {
    const h = openHistory(dir)
    opened.push(h)
    return h
  }
  /**
   * A fresh ledger for one question, as a newly started app or CLI sees it, closed afterwards (which
   * writes the indexes it built, outside the measured time) so one question's work does not help the next.
   */
  const cold = async <T>(run: (h: History) => Promise<T>): Promise<{ ms: number; value: T }> => {
    const h = openHistory(big)
    try {
      return await time(() => run(h))
    } finally {
      await h.close()
    }
  }
  const report = (label: string, ms: number, goal: number | null, extra = '') =>
    line(label, `${fmt(ms)}${extra ? `  ${extra}` : ''}${goal === null ? '' : `  goal < ${goal} ms  ${verdict(ms < goal)}`}`)
  try {
    const seeded = await time(() => seed(big))
    console.log(`History benchmark: ${RECORDS.toLocaleString('en')} records in ${MONTHS} month files (seeded in ${fmt(seeded.ms)})`)

    const recent = await cold((h) => h.recent(50))
    report('first page, newest 50 via recent (cold)', recent.ms, 200)

    console.log('-- cold, first ever open: no index files yet, the index is built from every line')
    let writeMs = 0
    for (const q of questions) {
      await rm(indexes, { recursive: true, force: true })
      const h = openHistory(big)
      const asked = await time(() => q.ask(h))
      writeMs = (await time(() => h.close())).ms
      report(`${q.label} (cold, no index)`, asked.ms, q.goal, asked.value)
    }
    line('writing the index files (on close, not measured above)', fmt(writeMs))

    console.log(`-- cold: fresh open with the index files present (median of ${RUNS} opens, fastest in brackets)`)
    for (const q of questions) {
      const runs: { ms: number; value: string }[] = []
      for (let r = 0; r < RUNS; r++) runs.push(await cold(q.ask))
      runs.sort((a, b) => a.ms - b.ms)
      const median = runs[Math.floor(RUNS / 2)] ?? { ms: NaN, value: '' }
      report(`${q.label} (cold)`, median.ms, q.goal, `[${fmt(runs[0]?.ms ?? NaN)}]  ${median.value}`)
    }
    const monthTotals = await cold((h) => h.totals({ by: 'day', from: new Date(Date.now() - 86_400_000).toISOString() }))
    report('totals since yesterday (cold, newest month only)', monthTotals.ms, null)

    console.log('-- warm: the same ledger asked again')
    const warm = open(big)
    await warm.query({ pageSize: 1 })
    for (const q of questions) {
      const asked = await time(() => q.ask(warm))
      report(`${q.label} (warm)`, asked.ms, q.goal, asked.value)
    }

    console.log('-- appends')
    // Appends alternate between an empty history and the 100k one, so both see the same machine load.
    const onEmpty = open(empty)
    const onBig = warm
    const emptyTimes: number[] = []
    const bigTimes: number[] = []
    for (let i = 0; i < APPENDS; i++) {
      const record = sampleRecord(RECORDS + i, new Date())
      emptyTimes.push((await time(() => onEmpty.append(record))).ms)
      bigTimes.push((await time(() => onBig.append(record))).ms)
    }
    emptyTimes.sort((a, b) => a - b)
    bigTimes.sort((a, b) => a - b)
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length
    line('append, empty history', `p50 ${fmt(pct(emptyTimes, 50))}  p99 ${fmt(pct(emptyTimes, 99))}  mean ${fmt(mean(emptyTimes))}`)
    line('append, 100k history', `p50 ${fmt(pct(bigTimes, 50))}  p99 ${fmt(pct(bigTimes, 99))}  mean ${fmt(mean(bigTimes))}  goal p99 < 5 ms  ${verdict(pct(bigTimes, 99) < 5)}`)
    const ratio = mean(bigTimes) / mean(emptyTimes)
    const ratio50 = pct(bigTimes, 50) / pct(emptyTimes, 50)
    line('append time ratio, 100k vs empty', `${ratio.toFixed(2)}x (mean), ${ratio50.toFixed(2)}x (p50)  goal <= 1.5x  ${verdict(ratio <= 1.5)}`)

    // First, as another process sees it (the app's index is 400 lines behind), then the app itself.
    const stale = await cold((h) => h.query({ pageSize: 50 }))
    report(`first page (cold, index ${APPENDS} lines behind)`, stale.ms, 200, `total ${stale.value.total}`)
    const after = await time(() => onBig.query({ pageSize: 50 }))
    report('query after appends (warm, reads only the new tail)', after.ms, null, `total ${after.value.total}`)
  } finally {
    await Promise.all(opened.map((h) => h.close()))
    await rm(root, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
