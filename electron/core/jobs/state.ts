import { AppError, type AppErrorData } from '../../../shared/errors'
import { ACTIVE_STATES, canFetchAgain, isTerminal, type Batch, type ItemHold, type ItemState, type JobItem } from './model'
import type { Progress } from './progress'
import { report } from './summary'

export type FinalState = 'done' | 'failed' | 'cancelled' | 'interrupted'

export interface QueueStateOptions {
  progress: Progress
  now(): number
  /**
   * Something changed that may let queued work start (an item settled, a hold was lifted). The state
   * only says so; whoever schedules decides when to look.
   */
  onDirty(): void
}

/**
 * The batches and every change to their items' states. Each change is timed (per-phase durations),
 * counted (open items per batch, so "is it finished" needs no scan) and reported through Progress.
 */
export class QueueState {
  /** Items not yet in a terminal state, per batch. */
  private readonly openCount = new Map<string, number>()
  /** When each active item entered its current state. */
  private readonly phaseStart = new Map<string, number>()
  /** Batches whose creation is not on disk yet: none of their items may start. */
  private readonly unsaved = new Set<string>()

  constructor(
    readonly batches: Batch[],
    private readonly options: QueueStateOptions
  ) {
    for (const batch of batches) this.countOpen(batch)
  }

  batch(batchId: string): Batch {
    const batch = this.batches.find((b) => b.id === batchId)
    if (!batch) throw new AppError({ code: 'not_found', field: 'batchId', message: `No batch with id ${batchId}; it may have been removed.` })
    return batch
  }

  targets(batch: Batch, itemIds?: string[]): JobItem[] {
    if (!itemIds) return batch.items
    return itemIds.map((id) => {
      const item = batch.items.find((i) => i.id === id)
      if (!item) throw new AppError({ code: 'validation', field: 'itemIds', message: `Item ${id} is not in batch "${batch.name}".` })
      return item
    })
  }

  /** Listed before it is written, so a fold of the journal meanwhile includes it; none of it starts until `saved`. */
  add(batch: Batch): void {
    this.batches.push(batch)
    this.countOpen(batch)
    this.unsaved.add(batch.id)
  }

  saved(batch: Batch): void {
    this.unsaved.delete(batch.id)
  }

  /** Not on disk means not accepted. */
  remove(batch: Batch): void {
    this.unsaved.delete(batch.id)
    this.batches.splice(this.batches.indexOf(batch), 1)
    this.openCount.delete(batch.id)
  }

  isUnsaved(batchId: string): boolean {
    return this.unsaved.has(batchId)
  }

  /** Moves an item into a new state, closing the timing of the one it leaves. */
  enter(batch: Batch, item: JobItem, state: ItemState): void {
    this.closePhase(item)
    this.setItemState(item, state)
    if ((ACTIVE_STATES as readonly ItemState[]).includes(state)) this.phaseStart.set(item.id, this.options.now())
    this.changed(batch, item)
  }

  finish(item: JobItem, state: FinalState, error?: AppErrorData): void {
    const batch = this.batch(item.batchId)
    item.hold = undefined
    item.notBefore = undefined
    item.error = error
    item.timings.finishedAt = new Date(this.options.now()).toISOString()
    this.enter(batch, item, state)
    this.refreshBatch(batch)
    // Its slot and reservation are free now, even while the queue file is still being written.
    this.options.onDirty()
  }

  /** Back in the queue, held for `hold` until `until` (epoch ms) when given. */
  requeue(batch: Batch, item: JobItem, hold: ItemHold | undefined, until?: number): void {
    this.closePhase(item)
    this.setItemState(item, 'queued')
    item.hold = hold
    item.notBefore = until === undefined ? undefined : new Date(until).toISOString()
    this.changed(batch, item)
  }

  /** A queued item waits, and says why; nothing is reported when that did not change. */
  hold(batch: Batch, item: JobItem, hold: ItemHold, until?: number): void {
    const notBefore = until === undefined ? undefined : new Date(until).toISOString()
    if (item.hold === hold && item.notBefore === notBefore) return
    item.hold = hold
    item.notBefore = notBefore
    this.changed(batch, item)
  }

  holdForBudget(batch: Batch, item: JobItem, message: string): void {
    if (item.hold === 'budget' && item.error?.message === message) return
    item.hold = 'budget'
    item.error = { code: 'budget_reached', message }
    this.changed(batch, item)
  }

  /**
   * Failed, cancelled or interrupted: queued again as it was created, every counter at zero. A task
   * that completed but whose images could not be downloaded keeps its id, so the retry polls and
   * downloads it again instead of paying for a new one.
   */
  reset(batch: Batch, item: JobItem): void {
    // A paid result is fetched or saved again, never bought again; one with nothing left to fetch is sent anew.
    if (item.paidResult && !canFetchAgain(item.paidResult)) item.paidResult = undefined
    const keepTask = !item.paidResult && item.error?.code === 'download_failed' && item.taskId !== undefined ? item.taskId : undefined
    this.setItemState(item, 'queued')
    item.attempts = 0
    item.rateLimitHits = 0
    item.error = undefined
    item.hold = undefined
    item.notBefore = undefined
    item.submission = keepTask ? { phase: 'accepted', at: new Date(this.options.now()).toISOString(), taskId: keepTask } : { phase: 'none' }
    item.taskId = keepTask ?? item.paidResult?.taskId
    item.timings.finishedAt = undefined
    this.changed(batch, item)
  }

  skipDuplicate(item: JobItem): void {
    this.setItemState(item, 'cancelled')
    item.error = {
      code: 'cancelled',
      message: `Skipped: identical to an earlier success (record ${item.duplicateOf?.recordId ?? '?'}, ${item.duplicateOf?.at ?? ''}). Retry it to run it again.`
    }
    item.timings.finishedAt = new Date(this.options.now()).toISOString()
  }

  /** `journal`: false when the caller writes the item itself, or the change is not worth a line (upload progress). */
  changed(batch: Batch, item: JobItem, journal = true): void {
    const done = batch.items.length - (this.openCount.get(batch.id) ?? 0)
    this.options.progress.item(batch, item, { done, total: batch.items.length }, journal)
  }

  /**
   * A batch's report is made (and "finished" announced) the moment its last item settles, so a listener
   * that sees the batch done also sees its report; its summary is emitted once per tick.
   */
  refreshBatch(batch: Batch): void {
    const allDone = (this.openCount.get(batch.id) ?? 0) === 0
    const progress = this.options.progress
    if (allDone && !batch.report) {
      batch.finishedAt = new Date(this.options.now()).toISOString()
      batch.report = report(batch, this.options.now())
      progress.finished(batch)
      return
    }
    if (!allDone && batch.report) {
      batch.report = undefined
      batch.finishedAt = undefined
      progress.meta(batch)
    }
    progress.summary(batch)
  }

  private closePhase(item: JobItem): void {
    const started = this.phaseStart.get(item.id)
    if (started === undefined) return
    this.phaseStart.delete(item.id)
    item.timings.phaseMs[item.state] = (item.timings.phaseMs[item.state] ?? 0) + (this.options.now() - started)
  }

  /** The one place an item's state changes, so the per-batch open count stays exact. */
  private setItemState(item: JobItem, state: ItemState): void {
    const wasOpen = !isTerminal(item.state)
    const open = !isTerminal(state)
    if (wasOpen !== open) this.openCount.set(item.batchId, (this.openCount.get(item.batchId) ?? 0) + (open ? 1 : -1))
    item.state = state
  }

  private countOpen(batch: Batch): void {
    let open = 0
    for (const item of batch.items) if (!isTerminal(item.state)) open++
    this.openCount.set(batch.id, open)
  }
}
