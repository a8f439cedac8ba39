import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { QUEUE_FILE_VERSION, queueFileSchema, type Batch } from '../../../shared/jobs'
import { backupFile, readJsonFile, writeJsonAtomic } from '../atomic'

export const QUEUE_FILE = 'queue.json'
const LOCK_FILE = 'queue.lock'

export interface LoadedQueue {
  batches: Batch[]
  /** Set when the file could not be used as it was; a copy was kept beside it. */
  notice?: { message: string; backupPath?: string }
}

export function jobsDir(dataDir: string): string {
  return join(dataDir, 'jobs')
}

/** Reads the persisted queue. A corrupt or unknown file is kept as a backup, never silently dropped. */
export async function loadQueue(dataDir: string): Promise<LoadedQueue> {
  const path = join(jobsDir(dataDir), QUEUE_FILE)
  const read = await readJsonFile(path)
  if (read.kind === 'missing') return { batches: [] }
  if (read.kind === 'unreadable') {
    throw new AppError({ code: 'internal', path, message: `The job queue ${path} cannot be read (${read.reason}). Check the folder's permissions.` })
  }
  let problem: string
  if (read.kind === 'corrupt') problem = read.reason
  else {
    const parsed = queueFileSchema.safeParse(read.value)
    if (parsed.success) return { batches: parsed.data.batches }
    const issue = parsed.error.issues[0]
    problem = `invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unknown problem'}`
  }
  const backupPath = await backupFile(path, 'unreadable')
  return {
    batches: [],
    notice: { message: `The saved job queue could not be used (${problem}); a copy was kept at ${backupPath} and the queue starts empty.`, backupPath }
  }
}

/**
 * Saves are coalesced: many state changes in a burst become one atomic write, and `save()` resolves
 * once a write that started after the call has reached the disk (not when the writer next goes idle,
 * which under steady load might be never). Callers that must not lose a fact (a submission about to
 * happen, a task id) await it; progress updates do not.
 */
export class QueueWriter {
  private requested = 0
  private written = 0
  private writing = false
  private waiters: Array<{ gen: number; resolve: () => void; reject: (err: unknown) => void }> = []

  constructor(
    private readonly path: string,
    private readonly snapshot: () => Batch[]
  ) {}

  save(): Promise<void> {
    const gen = ++this.requested
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ gen, resolve, reject }))
    if (!this.writing) void this.flush()
    return done
  }

  private async flush(): Promise<void> {
    this.writing = true
    while (this.written < this.requested) {
      const gen = this.requested
      const doc = { version: QUEUE_FILE_VERSION, savedAt: new Date().toISOString(), batches: this.snapshot() }
      try {
        await writeJsonAtomic(this.path, doc)
        this.written = gen
        this.settle(gen, null)
      } catch (err) {
        this.written = gen
        this.settle(
          gen,
          new AppError(
            { code: 'internal', path: this.path, message: `The job queue could not be saved to ${this.path}: ${(err as Error).message}. Free some disk space; no new request starts until it can be saved.` },
            { cause: err }
          )
        )
      }
    }
    this.writing = false
  }

  private settle(gen: number, error: AppError | null): void {
    const ready = this.waiters.filter((w) => w.gen <= gen)
    this.waiters = this.waiters.filter((w) => w.gen > gen)
    for (const w of ready) {
      if (error) w.reject(error)
      else w.resolve()
    }
  }

  /** Resolves when everything asked so far has been written (or failed). */
  async idle(): Promise<void> {
    while (this.writing || this.written < this.requested) await this.save().catch(() => undefined)
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One engine per data folder: two processes running the same queue would send every request twice.
 * The lock names its owner's pid; a lock left by a process that died (a crash, SIGKILL) is taken over.
 */
export async function acquireQueueLock(dataDir: string): Promise<() => Promise<void>> {
  const dir = jobsDir(dataDir)
  await mkdir(dir, { recursive: true })
  const path = join(dir, LOCK_FILE)
  for (let tries = 0; tries < 3; tries++) {
    try {
      const handle = await open(path, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return async () => {
        await rm(path, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new AppError({
          code: 'internal',
          path,
          message: `The job queue is in use by another Pixdesk process (pid ${owner}). Close the other window or command first.`
        })
      }
      await rm(path, { force: true })
    }
  }
  throw new AppError({ code: 'internal', path, message: `Could not lock the job queue at ${path}.` })
}
