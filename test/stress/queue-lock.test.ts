import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { acquireQueueLock } from '../../electron/core/jobs/queue-lock'

const ROOT = resolve(import.meta.dirname, '../..')
const WORKER = join(ROOT, 'test/support/lock-worker.ts')
const WORKERS = 4
const ACQUISITIONS = 2000
const MAX_MS = 150_000

let dataDir = ''
afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

interface Tally {
  overlaps: string[]
  taken: number
}

interface Worker {
  child: ChildProcess
  exited: Promise<void>
  /** Acquisitions this worker reported: a worker still starting up is not worth killing. */
  counted: () => number
}

function startWorker(tally: Tally): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: { ...process.env, LOCK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let counted = 0
  let pending = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const [word, value] = line.split(' ')
      if (word === 'OVERLAP') tally.overlaps.push(line)
      if (word === 'TOOK' || word === 'DONE') {
        tally.taken += Number(value) - counted
        counted = Number(value)
      }
    }
  })
  return { child, exited: new Promise((r) => child.once('exit', () => r())), counted: () => counted }
}

it(
  'several processes taking and releasing the queue lock, some killed while holding it: never two inside at once',
  async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-lock-'))
    const tally: Tally = { overlaps: [], taken: 0 }
    const workers: Worker[] = []
    const launch = () => workers.push(startWorker(tally))
    for (let i = 0; i < WORKERS; i++) launch()
    const started = Date.now()
    let kills = 0
    // SIGKILL a random worker now and then (often while it holds the lock) and start another.
    while (tally.taken < ACQUISITIONS && Date.now() - started < MAX_MS) {
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000))
      const busy = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null && w.counted() > 0)
      const victim = busy[Math.floor(Math.random() * busy.length)]
      if (!victim) continue
      victim.child.kill('SIGKILL')
      kills++
      launch()
    }
    await writeFile(join(dataDir, 'stop'), '')
    await Promise.all(workers.map((w) => w.exited))
    // Nothing was left locked: a newcomer takes the lock at once.
    const release = await acquireQueueLock(dataDir, 'after the storm')
    await release()
    const staged = (await readdir(join(dataDir, 'jobs'))).filter((n) => n.startsWith('.queue.lock'))

    console.log(
      `queue lock stress: ${tally.taken} acquisitions by ${WORKERS} processes in ${Date.now() - started} ms, ${kills} SIGKILLs, ${tally.overlaps.length} overlaps`
    )
    expect(tally.overlaps).toEqual([])
    expect(tally.taken).toBeGreaterThanOrEqual(ACQUISITIONS)
    expect(kills).toBeGreaterThanOrEqual(3)
    // Staged owner files of killed processes are swept by the next holder.
    expect(staged).toEqual([])
  },
  MAX_MS + 60_000
)
