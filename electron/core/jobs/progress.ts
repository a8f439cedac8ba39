import { toAppErrorData } from '../../../shared/errors'
import type { Batch, BatchSummary, JobEvent, JobItem, NetworkState } from './model'
import type { QueueStore } from './store'
import { forView } from './summary'

export interface ProgressOptions {
  store: QueueStore
  batches(): readonly Batch[]
  summarise(batch: Batch): BatchSummary
  networkState(): NetworkState
}

/**
 * How changes leave the engine: events to listeners at once, and the journal and batch summaries once
 * per tick (one journal line per changed item, however many events it had; one summary per batch, and
 * only when it reads differently from the last one sent).
 */
export class Progress {
  private readonly listeners = new Set<(event: JobEvent) => void>()
  private readonly lastSummary = new Map<string, string>()
  private readonly dirtyItems = new Set<JobItem>()
  private readonly dirtyMeta = new Set<Batch>()
  private readonly dirtySummaries = new Set<Batch>()
  private flushQueued = false
  private storeClosed = false

  constructor(private readonly options: ProgressOptions) {}

  on(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // A broken listener (a closed window) must not stop the queue.
      }
    }
  }

  /** `journal`: false when the caller writes the item itself (or it is not worth a line: upload progress). */
  item(batch: Batch, item: JobItem, progress: { done: number; total: number }, journal = true): void {
    if (journal) this.dirtyItems.add(item)
    this.dirtySummaries.add(batch)
    this.scheduleFlush()
    this.emit({ type: 'item.updated', batchId: batch.id, item: forView(item), progress })
  }

  /** The batch's own fields changed (paused, budget, report, ...). */
  meta(batch: Batch): void {
    this.dirtyMeta.add(batch)
    this.scheduleFlush()
  }

  /** Its summary may read differently now. */
  summary(batch: Batch): void {
    this.dirtySummaries.add(batch)
    this.scheduleFlush()
  }

  created(batch: Batch, summary: BatchSummary): void {
    this.lastSummary.set(batch.id, JSON.stringify(summary))
    this.emit({ type: 'batch.created', batch: summary })
  }

  /** Announced at once, with its summary first, so a listener that sees it finished also sees its report. */
  finished(batch: Batch): void {
    if (!batch.report) return
    this.dirtyMeta.add(batch)
    this.dirtySummaries.delete(batch)
    this.emitSummary(batch)
    this.emit({ type: 'batch.finished', batchId: batch.id, report: batch.report })
    this.scheduleFlush()
  }

  /** Written and fsync'd before the caller goes on: a fact a crash must not lose. */
  saveNow(item: JobItem): Promise<void> {
    this.dirtyItems.delete(item)
    return this.options.store.append({ op: 'item', item }, true)
  }

  /**
   * Written and fsync'd by the end of this turn of the event loop, in the same write as what else the
   * turn saves: for a fact nothing waits on, such as an answer's request id, whose fsync can then be
   * the one that makes the next item's submission durable.
   */
  saveThisTurn(item: JobItem): Promise<void> {
    this.dirtyItems.delete(item)
    return this.options.store.append({ op: 'item', item }, true, 'end-of-turn')
  }

  /** A new batch, written whole and fsync'd: a batch that would vanish after a crash is not created. */
  saveCreated(batch: Batch): Promise<void> {
    return this.options.store.append({ op: 'batch', batch }, true)
  }

  /** The whole batch (its items reordered), written as one line. */
  saveOrder(batch: Batch): void {
    void this.options.store.append({ op: 'batch', batch }, false).catch((err: unknown) => this.problem(toAppErrorData(err).message))
  }

  /** Drops what is waiting for the journal: the caller is about to fold everything into the snapshot. */
  discardPending(): void {
    this.dirtyItems.clear()
    this.dirtyMeta.clear()
  }

  /** Writes what is pending, then stops writing. */
  async close(): Promise<void> {
    this.flush()
    // Folds the journal into queue.json: a clean close leaves one self-contained file.
    await this.options.store.close().catch(() => undefined)
    this.storeClosed = true
  }

  /** Something went wrong outside any one item (the queue could not be saved, today's spend unknown). */
  problem(message: string): void {
    for (const batch of this.options.batches()) if (!batch.report) this.emitSummary(batch)
    this.emit({ type: 'network', network: { ...this.options.networkState(), reason: message } })
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    setImmediate(() => this.flush())
  }

  /** Journals what changed since the last tick (one line per item, not per event) and emits summaries. */
  private flush(): void {
    this.flushQueued = false
    if (this.storeClosed) return
    const failed = (err: unknown) => this.problem(toAppErrorData(err).message)
    for (const batch of this.dirtyMeta) void this.options.store.append({ op: 'meta', batch }, false).catch(failed)
    this.dirtyMeta.clear()
    for (const item of this.dirtyItems) void this.options.store.append({ op: 'item', item }, false).catch(failed)
    this.dirtyItems.clear()
    const batches = [...this.dirtySummaries]
    this.dirtySummaries.clear()
    const live = this.options.batches()
    for (const batch of batches) if (live.includes(batch)) this.emitSummary(batch)
  }

  private emitSummary(batch: Batch): void {
    const summary = this.options.summarise(batch)
    const key = JSON.stringify(summary)
    if (this.lastSummary.get(batch.id) === key) return
    this.lastSummary.set(batch.id, key)
    this.emit({ type: 'batch.updated', batch: summary })
  }
}
