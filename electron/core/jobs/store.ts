import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../../shared/errors'
import { batchSchema, jobItemSchema, QUEUE_FILE_VERSION, queueFileSchema, type Batch, type JobItem } from './model'
import writeFileAtomic from 'write-file-atomic'
import { backupFile, readJsonFile } from '../atomic'
import { JournalFile } from './journal-file'

/**
 * The persisted queue is a snapshot (queue.json) plus an append-only journal of changes since it
 * (queue.journal, one JSON line per change). A change costs one small appended line instead of
 * rewriting every item, and only the facts that must survive a power cut (a submission about to be
 * sent, a task id, a paid result) wait for an fsync. The journal is folded into the snapshot when it
 * grows, at open and at close. Every line carries a sequence number and the snapshot names the last one
 * it includes, so a crash between writing the snapshot and emptying the journal replays nothing twice.
 */
export const QUEUE_FILE = 'queue.json'
export const JOURNAL_FILE = 'queue.journal'

const batchMetaSchema = batchSchema.omit({ items: true })
type BatchMeta = z.infer<typeof batchMetaSchema>

const journalEntrySchema = z.discriminatedUnion('op', [
  /** A whole batch (created, or its items reordered). */
  z.object({ s: z.number().int().min(1), op: z.literal('batch'), batch: batchSchema }),
  /** A batch's own fields (paused, budget, report, ...), its items unchanged. */
  z.object({ s: z.number().int().min(1), op: z.literal('meta'), batch: batchMetaSchema }),
  z.object({ s: z.number().int().min(1), op: z.literal('item'), item: jobItemSchema })
])
type JournalEntry = z.infer<typeof journalEntrySchema>
export type JournalChange = { op: 'batch'; batch: Batch } | { op: 'meta'; batch: Batch } | { op: 'item'; item: JobItem }

export interface LoadedQueue {
  batches: Batch[]
  /** Sequence number of the last change loaded; new changes continue after it. */
  seq: number
  /** Set when the saved queue could not be used as it was; a copy was kept beside it. */
  notice?: { message: string; backupPath?: string }
}

export function jobsDir(dataDir: string): string {
  return join(dataDir, 'jobs')
}

/** Names the item behind a schema issue, so a notice says which one was dropped, not just where. */
function describeIssue(value: unknown, issue: z.core.$ZodIssue | undefined): string {
  const path = issue?.path ?? []
  let where = path.join('.') || '(root)'
  if (path[0] === 'batches' && path[2] === 'items' && typeof path[1] === 'number' && typeof path[3] === 'number') {
    const raw = (value as { batches?: Array<{ items?: Array<{ id?: unknown; snapshot?: { inputs?: Array<{ path?: unknown }> } }> }> }).batches?.[path[1]]?.items?.[path[3]]
    const id = typeof raw?.id === 'string' ? raw.id : '?'
    const source = raw?.snapshot?.inputs?.[0]?.path
    where = `${where} (item ${id}${typeof source === 'string' ? `, ${source}` : ''})`
  }
  return `invalid at ${where}: ${issue?.message ?? 'unknown problem'}`
}

/**
 * Reads the persisted queue: the snapshot, then the journal's later changes. A corrupt or invalid
 * snapshot is kept as a backup (with its journal) and the queue starts empty, never silently dropped.
 * A torn last journal line (a crash mid-append) is ignored; damage before it keeps a backup and stops
 * the replay there.
 */
export async function loadQueue(dataDir: string): Promise<LoadedQueue> {
  const path = join(jobsDir(dataDir), QUEUE_FILE)
  const journalPath = join(jobsDir(dataDir), JOURNAL_FILE)
  const read = await readJsonFile(path)
  if (read.kind === 'unreadable') {
    throw new AppError({ code: 'internal', path, message: `The job queue ${path} cannot be read (${read.reason}). Check the folder's permissions.` })
  }
  let batches: Batch[] = []
  let seq = 0
  if (read.kind !== 'missing') {
    let problem: string
    if (read.kind === 'corrupt') problem = read.reason
    else {
      const parsed = queueFileSchema.safeParse(read.value)
      if (parsed.success) {
        batches = parsed.data.batches
        seq = parsed.data.seq
        problem = ''
      } else problem = describeIssue(read.value, parsed.error.issues[0])
    }
    if (problem) {
      const backupPath = await backupFile(path, 'unreadable')
      // The journal's changes only make sense on top of the snapshot they follow.
      await backupFile(journalPath, 'unreadable').catch(() => undefined)
      await rm(journalPath, { force: true })
      return {
        batches: [],
        seq: 0,
        notice: { message: `The saved job queue could not be used (${problem}); a copy was kept at ${backupPath} and the queue starts empty.`, backupPath }
      }
    }
  }
  return replayJournal(journalPath, batches, seq)
}

async function replayJournal(journalPath: string, batches: Batch[], seq: number): Promise<LoadedQueue> {
  let text: string
  try {
    text = await readFile(journalPath, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { batches, seq }
    throw new AppError({ code: 'internal', path: journalPath, message: `The job queue journal ${journalPath} cannot be read (${code ?? (err as Error).message}).` }, { cause: err })
  }
  const lines = text.split('\n')
  // Everything after the last newline was never completed.
  const complete = lines.slice(0, -1)
  let last = seq
  for (let n = 0; n < complete.length; n++) {
    const line = complete[n] as string
    if (!line.trim()) continue
    let entry: JournalEntry
    try {
      const parsed = journalEntrySchema.safeParse(JSON.parse(line))
      if (!parsed.success) throw new Error(describeIssue(undefined, parsed.error.issues[0]))
      entry = parsed.data
    } catch (err) {
      const backupPath = await backupFile(journalPath, 'unreadable')
      return {
        batches,
        seq: last,
        notice: {
          message: `Line ${n + 1} of the job queue journal could not be used (${(err as Error).message}); changes from there on were not loaded and a copy was kept at ${backupPath}.`,
          backupPath
        }
      }
    }
    if (entry.s <= seq) continue
    last = Math.max(last, entry.s)
    applyEntry(batches, entry)
  }
  return { batches, seq: last }
}

function applyEntry(batches: Batch[], entry: JournalEntry): void {
  if (entry.op === 'batch') {
    const at = batches.findIndex((b) => b.id === entry.batch.id)
    if (at >= 0) batches[at] = entry.batch
    else batches.push(entry.batch)
    return
  }
  if (entry.op === 'meta') {
    const batch = batches.find((b) => b.id === entry.batch.id)
    if (batch) Object.assign(batch, entry.batch, { items: batch.items })
    return
  }
  const batch = batches.find((b) => b.id === entry.item.batchId)
  const at = batch?.items.findIndex((i) => i.id === entry.item.id) ?? -1
  if (batch && at >= 0) batch.items[at] = entry.item
}

function metaOf(batch: Batch): BatchMeta {
  const { items: _items, ...meta } = batch
  return meta
}

interface PendingLine {
  line: string
  durable: boolean
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * When a line is written: 'now' a microtask later (with the other lines of the same change);
 * 'end-of-turn' once the current turn of the event loop is done, so a durable line that nothing waits
 * on shares one write and one fsync with what the rest of the turn saves (a freed slot's next
 * submission), or sooner, with the first line that cannot wait.
 */
export type StoreFlush = 'now' | 'end-of-turn'

/** Journal growth (bytes) that triggers folding it into the snapshot, at least. */
const MIN_COMPACT_BYTES = 1 << 20

/**
 * Appends changes in order through the journal file (journal-file.ts decides whether a write and its
 * fsync happen here or on its writer thread): lines appended in the same turn of the event loop go out
 * as one write, without waiting for the writes before them. Only a fold into the snapshot holds new
 * lines back, until the journal it empties is gone.
 */
export class QueueStore {
  private readonly queuePath: string
  private readonly journalPath: string
  private seq: number
  private readonly journal: JournalFile
  private pending: PendingLine[] = []
  private compactWaiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = []
  private flushing: Promise<void> | undefined
  private endOfTurn: NodeJS.Immediate | undefined
  private journalBytes = 0
  private snapshotBytes = 0
  private closed = false

  constructor(
    dataDir: string,
    seq: number,
    private readonly snapshot: () => Batch[]
  ) {
    this.queuePath = join(jobsDir(dataDir), QUEUE_FILE)
    this.journalPath = join(jobsDir(dataDir), JOURNAL_FILE)
    this.seq = seq
    this.journal = new JournalFile(this.journalPath)
  }

  /**
   * Records one change. The line is serialised now (with its sequence number), so later changes to the
   * same objects cannot slip into it. `durable`: resolves only once the line is fsync'd.
   */
  append(change: JournalChange, durable: boolean, flush: StoreFlush = 'now'): Promise<void> {
    if (this.closed) return Promise.reject(this.failure(new Error('the queue is closed')))
    const s = ++this.seq
    const line =
      change.op === 'item'
        ? JSON.stringify({ s, op: 'item', item: change.item })
        : JSON.stringify({ s, op: change.op, batch: change.op === 'meta' ? metaOf(change.batch) : change.batch })
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line: `${line}\n`, durable, resolve, reject })
      this.kick(flush)
    })
  }

  /** Folds the journal into queue.json (atomically) and empties it. */
  compact(): Promise<void> {
    if (this.closed) return Promise.reject(this.failure(new Error('the queue is closed')))
    return new Promise<void>((resolve, reject) => {
      this.compactWaiters.push({ resolve, reject })
      this.kick()
    })
  }

  /** Writes what is queued, folds the journal and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return
    try {
      await this.compact()
    } finally {
      this.closed = true
      await this.flushing
      await this.journal.close().catch(() => undefined)
    }
  }

  private kick(flush: StoreFlush = 'now'): void {
    if (this.flushing) return
    if (flush === 'end-of-turn') {
      this.endOfTurn ??= setImmediate(() => {
        this.endOfTurn = undefined
        this.kick()
      })
      return
    }
    // A line that cannot wait takes the lines waiting for the end of the turn with it, in the same write.
    if (this.endOfTurn) clearImmediate(this.endOfTurn)
    this.endOfTurn = undefined
    // A microtask later, so the lines of one change (an item's state and its submission) share a write.
    this.flushing = Promise.resolve()
      .then(() => this.flush())
      .finally(() => {
        this.flushing = undefined
        if (this.pending.length || this.compactWaiters.length) this.kick()
      })
  }

  private async flush(): Promise<void> {
    while (this.pending.length || this.compactWaiters.length) {
      const grown = this.journalBytes > Math.max(MIN_COMPACT_BYTES, 4 * this.snapshotBytes)
      if (this.compactWaiters.length || grown) await this.compactNow()
      else this.writeLines()
    }
  }

  /** Hands the queued lines to the journal file without waiting: each line settles when its write (and fsync) is done. */
  private writeLines(): void {
    const chunk = this.pending.splice(0)
    const text = chunk.map((p) => p.line).join('')
    this.journalBytes += Buffer.byteLength(text)
    this.journal.append(text, chunk.some((p) => p.durable)).then(
      () => {
        for (const p of chunk) p.resolve()
      },
      (err: unknown) => {
        for (const p of chunk) p.reject(this.failure(err))
      }
    )
  }

  private async compactNow(): Promise<void> {
    // Every line queued so far is older than this snapshot, which includes its change: it need not be written.
    const covered = this.pending.splice(0)
    const waiters = this.compactWaiters.splice(0)
    const doc = { version: QUEUE_FILE_VERSION, savedAt: new Date().toISOString(), seq: this.seq, batches: this.snapshot() }
    const text = `${JSON.stringify(doc, null, 2)}\n`
    try {
      await writeFileAtomic(this.queuePath, text, { encoding: 'utf8', fsync: true, mode: 0o644 })
      // Only now may the journal go: a crash before this point replays lines the snapshot skips by seq.
      await this.journal.truncate()
      this.journalBytes = 0
      // The next fold waits until the journal outgrows the snapshot: amortised O(1) per change.
      this.snapshotBytes = Buffer.byteLength(text)
    } catch (err) {
      // The lines it would have covered still go to the journal, in order, so nothing is lost; the
      // next fold waits for the journal to grow again rather than retrying in a tight loop.
      this.pending.unshift(...covered)
      this.snapshotBytes = Math.max(this.snapshotBytes, this.journalBytes)
      for (const w of waiters) w.reject(this.failure(err))
      return
    }
    for (const w of [...covered, ...waiters]) w.resolve()
  }

  private failure(err: unknown): AppError {
    return new AppError(
      {
        code: 'internal',
        path: this.queuePath,
        message: `The job queue could not be saved to ${this.queuePath} (or its journal): ${(err as Error).message}. Free some disk space; no new request starts until it can be saved.`
      },
      { cause: err }
    )
  }
}
