import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openHistory } from '../../electron/core/history/history'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { queueFileSchema, type BatchSpec } from '../../electron/core/jobs/model'
import { makeImages } from '../support/jobs-fixtures'

const ROOT = resolve(__dirname, '..', '..')
const WORKER = join(ROOT, 'test', 'support', 'jobs-worker.ts')

const sha = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex')

/** Starts the engine process; resolves `finished` with its report line, `progress(n)` when n items ended. */
function startWorker(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WORKER], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let done = 0
  let out = ''
  let err = ''
  const waiters: Array<{ n: number; resolve: () => void }> = []
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    for (const m of chunk.toString().matchAll(/ITEM \w+ (\d+)\//g)) done = Math.max(done, Number(m[1]))
    for (const w of waiters.filter((w) => done >= w.n)) w.resolve()
  })
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
  return {
    child,
    exited,
    output: () => out,
    errors: () => err,
    progress: (n: number) =>
      new Promise<void>((res, rej) => {
        if (done >= n) return res()
        waiters.push({ n, resolve: res })
        void exited.then(() => rej(new Error(`engine exited before ${n} items ended:\n${out}\n${err}`)))
      })
  }
}

describe('jobs chaos: faults and SIGKILL mid-batch', () => {
  let dir: string
  let sandbox: Sandbox

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixdesk-jobs-chaos-'))
    sandbox = await startSandbox({
      faults: {
        seed: 7,
        latencyMs: [5, 60],
        probabilities: { server_error: 0.1, rate_limited: 0.05, reset: 0.02 },
        // Which random draws land where depends on the order requests arrive in: these two make sure
        // every run meets at least one of each, whatever the draws do.
        queue: [{ kind: 'rate_limited', retryAfterMs: 100 }, { kind: 'server_error' }]
      }
    })
  })
  afterAll(async () => {
    await sandbox?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('ends every item done or with a reason, never submits a task twice, loses no record, writes no partial file', async () => {
    const inputDir = join(dir, 'in')
    const files = await makeImages(inputDir, 25)
    const originals = new Map(await Promise.all(files.map(async (f) => [f, await sha(f)] as const)))
    const dataDir = join(dir, 'data')
    const spec: BatchSpec = {
      files: files.map((path) => ({ path })),
      prompt: 'Replace the background with light grey',
      models: [
        { model: 'gemini-2.5-flash-image', provider: 'pixapi' },
        { model: 'gpt-image-1.5', provider: 'pixapi' }
      ],
      route: 'async',
      sandbox: true
    }
    const specPath = join(dir, 'spec.json')
    await writeFile(specPath, JSON.stringify(spec))
    const env = { JOBS_DATA_DIR: dataDir, JOBS_SANDBOX_URL: sandbox.url, JOBS_SPEC: specPath }

    // Two crashes at different points of the batch, then a run to the end.
    for (const killAt of [8, 24]) {
      const run = startWorker(env)
      await run.progress(killAt)
      run.child.kill('SIGKILL')
      expect(await run.exited).toBe(null)
    }
    const last = startWorker(env)
    expect(await last.exited, last.errors()).toBe(0)
    expect(last.output()).toMatch(/FINISHED /)

    const queue = queueFileSchema.parse(JSON.parse(await readFile(join(dataDir, 'jobs', 'queue.json'), 'utf8')))
    const items = queue.batches.flatMap((b) => b.items)
    expect(items).toHaveLength(50)
    for (const item of items) {
      expect(['done', 'failed', 'interrupted']).toContain(item.state)
      if (item.state !== 'done') expect(item.error?.message.length).toBeGreaterThan(10)
      else expect(item.outputs.length).toBeGreaterThan(0)
      expect(item.pendingRecord).toBeUndefined()
    }
    // A task the provider accepted is never lost: it is polled again, or its paid result fetched again
    // and saved, whenever the process died. Only a submission cut off before its task id can end interrupted.
    for (const item of items.filter((i) => i.state === 'interrupted')) expect(item.taskId, `${item.id}: ${item.error?.message}`).toBeUndefined()
    // Each kill can cut off at most one submission per slot (4 in the worker); the faults alone seldom
    // exhaust an item's 4 attempts.
    expect(items.filter((i) => i.state === 'interrupted').length).toBeLessThanOrEqual(2 * 4)
    expect(items.filter((i) => i.state === 'failed').length).toBeLessThanOrEqual(2)

    // No async item was submitted twice: at most one task per (input, model).
    const stats = sandbox.stats()
    // The faults really happened.
    for (const kind of ['server_error', 'rate_limited'] as const) expect(stats.faults.some((f) => f.kind === kind), kind).toBe(true)
    console.log(
      `chaos: ${items.filter((i) => i.state === 'done').length} done, ${items.filter((i) => i.state === 'failed').length} failed, ` +
        `${items.filter((i) => i.state === 'interrupted').length} interrupted; ${stats.submissions.length} submissions, ${stats.tasksCreated} tasks, ` +
        `faults: ${stats.faults.map((f) => f.kind).join(',')}`
    )
    for (const i of items.filter((i) => i.state !== 'done')) console.log(`  ${i.state}: ${i.error?.message}`)
    const tasksPerItem = new Map<string, string[]>()
    for (const s of stats.submissions) {
      if (!s.taskId) continue
      const key = `${s.inputs[0]?.sha256}|${s.model}`
      tasksPerItem.set(key, [...(tasksPerItem.get(key) ?? []), s.taskId])
    }
    for (const [key, tasks] of tasksPerItem) expect(tasks, key).toHaveLength(1)

    // No history record lost: every item's records are in the ledger, every task that produced a
    // result is recorded or its item says it was interrupted.
    const history = openHistory(dataDir)
    const page = await history.query({ pageSize: 500 })
    await history.close()
    const byId = new Map(page.items.map((r) => [r.id, r]))
    for (const item of items) {
      for (const id of item.recordIds) expect(byId.has(id), `record ${id} of ${item.id}`).toBe(true)
      if (item.state === 'done') {
        const rec = byId.get(item.recordIds.at(-1) as string)
        expect(rec?.status).toBe('succeeded')
        expect(rec?.outputs.map((o) => o.path)).toEqual(item.outputs.map((o) => o.path))
      }
    }
    const recordedTasks = new Set(page.items.map((r) => r.taskId).filter(Boolean))
    const interruptedItems = items.filter((i) => i.state === 'interrupted').length
    const unrecordedTasks = [...tasksPerItem.values()].flat().filter((t) => !recordedTasks.has(t))
    expect(unrecordedTasks.length).toBeLessThanOrEqual(interruptedItems)

    // No partial output file: every file in the output folder is a whole image listed by a done item.
    const outDir = join(inputDir, 'pixdesk')
    const written = (await readdir(outDir)).map((f) => join(outDir, f))
    const listed = new Set(items.flatMap((i) => i.outputs.map((o) => o.path)))
    for (const path of written) {
      const meta = await sharp(path)
        .metadata()
        .catch((err: Error) => {
          throw new Error(`${path} is not a whole image: ${err.message}`)
        })
      expect(meta.width, path).toBeGreaterThan(0)
      await sharp(path).raw().toBuffer()
    }
    for (const path of listed) expect(written).toContain(path)
    for (const item of items.filter((i) => i.state === 'done')) {
      for (const o of item.outputs) expect(await sha(o.path)).toBe(o.sha256)
    }

    // Originals untouched.
    for (const [path, digest] of originals) expect(await sha(path)).toBe(digest)
  }, 150_000)
})
