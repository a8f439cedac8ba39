/**
 * Jobs engine throughput: 200 items against the sandbox with 200 ms simulated latency (each answer comes
 * 200 ms after its request was fully received, the sandbox's own parsing included) at concurrency 4,
 * compared with the ideal N×L/c (every slot busy with nothing but the simulated latency: no client,
 * engine, disk or server work at all) and with a reference measured in the same run (the same requests
 * sent straight through the pipeline by a bare pool of 4, no engine: what the client costs on this
 * machine right now). The engine's overhead over the ideal is broken down into where the slots' time
 * went. The engine runs the batch twice in one process: the first batch after start-up also compiles
 * the engine's code, a later one is the engine in an app that has been open a while (the reference is
 * timed after an untimed pass of its own). Then the same batch with 429s injected, to show throughput
 * follows Retry-After and no item fails.
 *
 * What is real: the engine, its queue journal (with its fsyncs), HTTP over loopback to the sandbox, the
 * multipart uploads, output downloads and checks, output files and history records. The sandbox stands
 * for a provider's servers, whose work is not the client's: it runs in its own process (its own event
 * loop, still on these cores), and its image rendering is not timed: every output is rendered once in a
 * warm-up pass and answered from the sandbox's render reuse afterwards (same inputs, same outputs).
 * Each run's data folder is that of an installation that has saved results before, in an app that has
 * signed since it started: the Content Credentials key and certificate exist (made once per
 * installation) and the signing library is compiled (once per process), so that neither lands inside
 * the reference's or the engine's timing.
 * Run: npm run bench -- jobs
 */
import { pbkdf2 } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { bundledCatalog } from '../../electron/core/catalog'
import { openHistory } from '../../electron/core/history/history'
import { JobEngine } from '../../electron/core/jobs/engine'
import { unstartedItemState, type JobEvent, type JobItem } from '../../electron/core/jobs/model'
import { createJobDeps, jobLimitsFromSettings, type PipelineOptions } from '../../electron/core/jobs/pipeline'
import { JournalFile } from '../../electron/core/jobs/journal-file'
import { QueueStore } from '../../electron/core/jobs/store'
import type { JobDeps, RunContext } from '../../electron/core/jobs/types'
import type { FaultPlan } from '../../electron/core/sandbox/faults'
import { prepareContentCredentials } from '../../electron/core/provenance/c2pa'
import { loadTemplates } from '../../electron/core/templates'
import { makeImages, sandboxSettings } from '../support/jobs-fixtures'
import { startSandboxProcess, type RemoteSandbox as Sandbox } from './sandbox-process'

const N = 200
const LATENCY_MS = 200
const CONCURRENCY = 4
const MODEL = 'gemini-2.5-flash-image'

/** When each item's slot was granted, its request handed to the client, and the wire let go of it. */
interface ItemTimes {
  /** Its upload was ready (prepared) and it could have been sent. */
  prepared?: number
  grant?: number
  execute?: number
  release?: number
}

/** Journal appends seen during the run: durable ones stand between a granted slot and its request. */
const journal = { lines: 0, durable: 0, durableWaitMs: 0 }
const originalAppend = QueueStore.prototype.append
QueueStore.prototype.append = function (this: QueueStore, ...args: Parameters<QueueStore['append']>) {
  journal.lines++
  if (!args[1]) return originalAppend.apply(this, args)
  journal.durable++
  const started = performance.now()
  return originalAppend.apply(this, args).finally(() => (journal.durableWaitMs += performance.now() - started))
}

/** The journal files written during a run, to report where their fsyncs were made. */
const journalFiles = new Set<JournalFile>()
const originalFileAppend = JournalFile.prototype.append
JournalFile.prototype.append = function (this: JournalFile, ...args: Parameters<JournalFile['append']>) {
  journalFiles.add(this)
  return originalFileAppend.apply(this, args)
}
const fsyncsSince = (before: { inline: number; thread: number }) => {
  const now = { inline: 0, thread: 0 }
  for (const file of journalFiles) {
    now.inline += file.fsyncs.inline
    now.thread += file.fsyncs.thread
  }
  return { inline: now.inline - before.inline, thread: now.thread - before.thread }
}

/** The pipeline's own functions, with the moments the breakdown needs taken from the outside. */
function timedDeps(deps: JobDeps, times: Map<string, ItemTimes>): JobDeps {
  const at = (id: string) => times.get(id) ?? (times.set(id, {}).get(id) as ItemTimes)
  return {
    ...deps,
    async prepare(item, signal) {
      const prepared = await deps.prepare(item, signal)
      at(item.id).prepared = performance.now()
      return prepared
    },
    async execute(item, prepared, ctx) {
      at(item.id).execute = performance.now()
      const release = () => (at(item.id).release ??= performance.now())
      const timedCtx: RunContext = {
        ...ctx,
        onStage: (stage) => {
          if (stage === 'downloading') release()
          ctx.onStage(stage)
        }
      }
      try {
        return await deps.execute(item, prepared, timedCtx)
      } finally {
        release()
      }
    }
  }
}

async function setup(dir: string, sandboxUrl: string) {
  const files = await makeImages(join(dir, 'in'), N, 48)
  const dataDir = join(dir, 'data')
  await prepareContentCredentials(dataDir)
  const settings = sandboxSettings({ concurrency: CONCURRENCY, perProviderConcurrency: { pixapi: CONCURRENCY, openai: CONCURRENCY, gemini: CONCURRENCY } })
  const history = openHistory(dataDir)
  const options: PipelineOptions = {
    dataDir,
    catalog: bundledCatalog(),
    history,
    getKey: async () => null,
    settings: () => settings,
    sandboxUrl: () => sandboxUrl,
    timeouts: { pollIntervalMs: 20, pollMaxIntervalMs: 50, connectMs: 2000 }
  }
  return { files, dataDir, settings, history, options }
}

async function runEngine(label: string, sandbox: Sandbox, faults: FaultPlan | undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'pixdesk-jobs-bench-'))
  await sandbox.setFaults({ latencyMs: LATENCY_MS, ...faults })
  await sandbox.reset()
  try {
    const { files, dataDir, settings, history, options } = await setup(dir, sandbox.url)
    const times = new Map<string, ItemTimes>()
    const { engine } = await JobEngine.open({
      dataDir,
      deps: timedDeps(createJobDeps(options), times),
      limits: () => jobLimitsFromSettings(settings),
      templates: loadTemplates(),
      backoff: { baseMs: 20, maxMs: 200, jitterMs: 10 },
      probe: { baseMs: 50, maxMs: 400 }
    })
    const events: JobEvent[] = []
    let finished: () => void = () => undefined
    const allDone = new Promise<void>((resolve) => (finished = resolve))
    engine.on((e) => {
      events.push(e)
      if (e.type === 'item.updated' && e.item.state === 'uploading') {
        const t = times.get(e.item.id) ?? (times.set(e.item.id, {}).get(e.item.id) as ItemTimes)
        // Upload progress repeats the state; a retried item (after a 429) is granted again: the breakdown counts its last run.
        if (t.grant === undefined || t.release !== undefined) {
          t.grant = performance.now()
          t.execute = undefined
          t.release = undefined
        }
      }
      if (e.type === 'batch.finished') finished()
    })
    Object.assign(journal, { lines: 0, durable: 0, durableWaitMs: 0 })
    const fsyncsBefore = fsyncsSince({ inline: 0, thread: 0 })
    const elu = performance.eventLoopUtilization()
    const started = performance.now()
    const batch = await engine.createBatch({
      files: files.map((path) => ({ path })),
      prompt: 'Remove the background',
      models: [{ model: MODEL, provider: 'pixapi' }],
      route: 'sync',
      sandbox: true,
      duplicates: 'run'
    })
    await allDone
    const wallMs = performance.now() - started
    const busy = performance.eventLoopUtilization(elu).utilization
    const detail = engine.get(batch.id)
    const rateLimited = (await sandbox.stats()).submissions.filter((s) => s.status === 429).length
    await engine.close()
    await history.close()
    const fsyncs = fsyncsSince(fsyncsBefore)
    return { label, wallMs, started, times, events, busy, journal: { ...journal, fsyncs }, done: detail.counts.done, failed: detail.counts.failed, rateLimited }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The same requests through the same pipeline and sandbox, prepared beforehand and sent by a bare pool. */
async function runReference(sandbox: Sandbox): Promise<{ wallMs: number; wireExcessMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'pixdesk-jobs-bench-ref-'))
  await sandbox.setFaults({ latencyMs: LATENCY_MS })
  try {
    const { files, history, options } = await setup(dir, sandbox.url)
    const deps = createJobDeps(options)
    const createdAt = new Date().toISOString()
    const items: JobItem[] = files.map((path, i) => ({
      id: `ref-${i}`,
      batchId: 'ref',
      snapshot: { kind: 'edit', inputs: [{ path }], model: MODEL, provider: 'pixapi', route: 'sync', prompt: 'Remove the background', params: { n: 1 }, sandbox: true },
      estimate: 1,
      ...unstartedItemState(createdAt)
    }))
    const prepared = await Promise.all(items.map((item) => deps.prepare(item, new AbortController().signal)))
    let wire = 0
    let next = 0
    const started = performance.now()
    const worker = async () => {
      while (next < items.length) {
        const k = next++
        const sent = performance.now()
        let released: number | undefined
        const ctx: RunContext = {
          signal: new AbortController().signal,
          onStage: (stage) => {
            if (stage === 'downloading') released ??= performance.now()
          },
          onTaskSubmitted: () => undefined
        }
        await deps.execute(items[k] as JobItem, prepared[k] as (typeof prepared)[number], ctx)
        wire += (released ?? performance.now()) - sent
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const wallMs = performance.now() - started
    await Promise.all(prepared.map((p) => p.cleanup()))
    await history.close()
    return { wallMs, wireExcessMs: (wire - N * LATENCY_MS) / CONCURRENCY }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Median time for a durable journal line, written and fsync'd on the calling thread (a quick disk) and
 * on the writer thread (where a slow disk's lines go), with the process's file/crypto thread pool idle
 * and then kept busy (as image decoding and hashing keep it during a batch): a submission waits this
 * long between getting its slot and being sent.
 */
async function durableAppendMs(): Promise<Record<'calling' | 'writer', { idle: number; busy: number }>> {
  const dir = await mkdtemp(join(tmpdir(), 'pixdesk-jobs-bench-journal-'))
  const files = {
    calling: new JournalFile(join(dir, 'calling.journal'), { placement: { inline: () => true, measured: () => undefined } }),
    writer: new JournalFile(join(dir, 'writer.journal'), { placement: { inline: () => false, measured: () => undefined } })
  }
  const line = `${JSON.stringify({ s: 1, op: 'item', item: { ...unstartedItemState(new Date().toISOString()), id: 'i', batchId: 'b', estimate: 1 } })}\n`
  const median = async (file: JournalFile) => {
    const times: number[] = []
    for (let i = 0; i < 60; i++) {
      const started = performance.now()
      await file.append(line, true)
      times.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return times.sort((a, b) => a - b)[30] as number
  }
  try {
    const idle = { calling: await median(files.calling), writer: await median(files.writer) }
    let busy = true
    const spin = () => busy && pbkdf2('image', 'work', 20_000, 32, 'sha256', spin)
    for (let i = 0; i < 8; i++) spin()
    const loaded = { calling: await median(files.calling), writer: await median(files.writer) }
    busy = false
    return { calling: { idle: idle.calling, busy: loaded.calling }, writer: { idle: idle.writer, busy: loaded.writer } }
  } finally {
    await files.calling.close()
    await files.writer.close()
    await rm(dir, { recursive: true, force: true })
  }
}

const ms = (v: number) => `${Math.round(v)} ms`
const pct = (v: number, of: number) => `${((v / of) * 100).toFixed(1)}%`

/**
 * c·wall = Σ slot time + idle slot time. A slot is held from its grant to the moment the provider's
 * answer is in; before the request leaves, the submission is made durable (the journal's fsync).
 * Everything is divided by c, so the parts add up to wall − ideal.
 */
function breakdown(run: Awaited<ReturnType<typeof runEngine>>, ideal: number): string[] {
  const end = run.started + run.wallMs
  const items = [...run.times.values()].filter((t) => t.grant !== undefined && t.execute !== undefined && t.release !== undefined) as Required<ItemTimes>[]
  const journalMs = items.reduce((s, t) => s + (t.execute - t.grant), 0) / CONCURRENCY
  const wireExcess = (items.reduce((s, t) => s + (t.release - t.execute), 0) - items.length * LATENCY_MS) / CONCURRENCY
  const grants = items.map((t) => t.grant).sort((a, b) => a - b)
  const releases = items.map((t) => t.release).sort((a, b) => a - b)
  const rampUp = grants.slice(0, CONCURRENCY).reduce((s, g) => s + (g - run.started), 0) / CONCURRENCY
  const tail = releases.slice(-CONCURRENCY).reduce((s, r) => s + (end - r), 0) / CONCURRENCY
  const slotTime = items.reduce((s, t) => s + (t.release - t.grant), 0)
  const gaps = (CONCURRENCY * run.wallMs - slotTime) / CONCURRENCY - rampUp - tail
  // The k-th grant after the first c takes the slot the (k−c)-th release freed: of the time between
  // them, what passed before the item was even prepared is the prepare's; the rest is the pass's.
  const byGrant = [...items].sort((a, b) => a.grant - b.grant)
  let unprepared = 0
  const handOvers: number[] = []
  for (let k = CONCURRENCY; k < byGrant.length; k++) {
    const freed = releases[k - CONCURRENCY] as number
    const item = byGrant[k] as Required<ItemTimes>
    unprepared += Math.max(0, Math.min(item.grant, item.prepared ?? freed) - freed)
    handOvers.push(item.grant - freed)
  }
  unprepared /= CONCURRENCY
  handOvers.sort((a, b) => a - b)
  const quantile = (q: number) => (handOvers[Math.floor(q * (handOvers.length - 1))] ?? 0).toFixed(2)
  const overhead = run.wallMs - ideal
  const events = run.events.length
  const itemEvents = run.events.filter((e) => e.type === 'item.updated').length
  return [
    `  overhead over ideal ${ms(overhead)} (${pct(overhead, ideal)}), per slot:`,
    `    start (create batch, first prepares) ${ms(rampUp)} (${pct(rampUp, ideal)})`,
    `    journal before send (fsync of the submission) ${ms(journalMs)} (${pct(journalMs, ideal)}); ` +
      `${run.journal.lines} journal lines, ${run.journal.durable} durable, ${(run.journal.durableWaitMs / run.journal.durable).toFixed(1)} ms mean durable wait; ` +
      `fsyncs ${run.journal.fsyncs.inline} on the main thread, ${run.journal.fsyncs.thread} on the writer thread`,
    `    wire beyond latency (client + sandbox work) ${ms(wireExcess)} (${pct(wireExcess, ideal)})`,
    `    idle slots between items ${ms(gaps)} (${pct(gaps, ideal)}): next item still preparing ${ms(unprepared)}, ` +
      `scheduling pass and event-loop delay ${ms(gaps - unprepared)}; a freed slot reaches the next item in ${quantile(0.5)} ms (median), ${quantile(0.9)} ms (90th percentile)`,
    `    end (last downloads, outputs, ledger) ${ms(tail)} (${pct(tail, ideal)})`,
    `  events ${events} (${itemEvents} item updates, ${(itemEvents / N).toFixed(1)} per item); main thread busy ${pct(run.busy, 1)}`
  ]
}

async function main(): Promise<void> {
  const ideal = (N * LATENCY_MS) / CONCURRENCY
  const sandbox = await startSandboxProcess({ latencyMs: LATENCY_MS, reuseRenders: true })
  try {
    await measure(sandbox, ideal)
  } finally {
    await sandbox.close()
  }
}

async function measure(sandbox: Sandbox, ideal: number): Promise<void> {
  const load = [loadavg()[0]!]
  // Untimed: the sandbox renders every output once, so the timed runs below measure the client alone.
  await runReference(sandbox)
  const reference = await runReference(sandbox)
  load.push(loadavg()[0]!)
  // The first batch of a process also pays for compiling the engine's code (the reference is measured
  // after an untimed pass); a later batch shows the engine as it runs in an app that has been open a while.
  const first = await runEngine('first batch', sandbox, undefined)
  const clean = await runEngine('no faults', sandbox, undefined)
  load.push(loadavg()[0]!)
  console.log(
    `ideal = N×L/c = ${N} items × ${LATENCY_MS} ms / ${CONCURRENCY} slots = ${(ideal / 1000).toFixed(2)} s (every slot busy with the simulated latency alone); ` +
      `load average ${load.map((l) => l.toFixed(1)).join(' → ')} on ${availableParallelism()} cores`
  )
  console.log(
    `reference (bare pool of ${CONCURRENCY}, same client and sandbox): ${(reference.wallMs / 1000).toFixed(2)} s; ratio ${(reference.wallMs / ideal).toFixed(3)}× ideal; ` +
      `wire beyond latency ${ms(reference.wireExcessMs)} per slot`
  )
  for (const [run, what] of [
    [first, 'first batch since the process started'],
    [clean, 'a later batch in the same process']
  ] as const) {
    console.log(
      `no faults, ${what}: ${N} items in ${(run.wallMs / 1000).toFixed(2)} s; ideal N×L/c = ${(ideal / 1000).toFixed(2)} s; ratio ${(run.wallMs / ideal).toFixed(3)}×; ` +
        `vs reference ${(run.wallMs / reference.wallMs).toFixed(3)}×; done ${run.done}, failed ${run.failed}; throughput ${((run.done / run.wallMs) * 1000).toFixed(1)} items/s`
    )
    for (const line of breakdown(run, ideal)) console.log(line)
  }

  // The sandbox's random 429s carry Retry-After: 1 (second).
  const RETRY_AFTER_MS = 1000
  const limited = await runEngine('429s (5%, Retry-After 1 s)', sandbox, { seed: 3, probabilities: { rate_limited: 0.05 }, queue: [] })
  // Each 429 pauses the provider for its Retry-After: the floor is the clean time plus those pauses
  // where they do not overlap. Report how far the run is from "clean + pauses".
  const expectedFloor = clean.wallMs + limited.rateLimited * RETRY_AFTER_MS
  console.log(
    `429 run: ${limited.rateLimited} rate limits, ${limited.failed} failed (goal 0); provider pauses ${limited.events.filter((e) => e.type === 'rate_limited').length}; ` +
      `wall ${(limited.wallMs / 1000).toFixed(2)} s vs clean ${(clean.wallMs / 1000).toFixed(2)} s ` +
      `+ serial Retry-After upper bound ${((limited.rateLimited * RETRY_AFTER_MS) / 1000).toFixed(2)} s = ${(expectedFloor / 1000).toFixed(2)} s`
  )
  const append = await durableAppendMs()
  for (const [where, what] of [
    ['calling', 'written and fsync\'d on the main thread (a quick disk)'],
    ['writer', 'on the writer thread (a slow disk)']
  ] as const) {
    const t = append[where]
    console.log(`journal: a durable line ${what} takes ${t.idle.toFixed(1)} ms (median) with the thread pool idle, ${t.busy.toFixed(1)} ms with it kept busy`)
  }
  for (const [run, what] of [
    [first, 'first batch'],
    [clean, 'later batch']
  ] as const) {
    const ratio = run.wallMs / ideal
    console.log(`goal ≤ 1.05× ideal, ${what}: ${ratio <= 1.05 ? 'met' : 'NOT met'} (${ratio.toFixed(3)}×; the reference alone is ${(reference.wallMs / ideal).toFixed(3)}×)`)
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
