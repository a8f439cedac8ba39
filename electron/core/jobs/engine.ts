import { randomUUID } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import type { ProviderId } from '../../../shared/records'
import type { TemplateLibrary } from '../templates'
import { Budgets } from './budget'
import { estimateSpec, newBatch, parseSpec } from './expand'
import { isTerminal, type Batch, type BatchEstimate, type BatchSpec, type BatchSummary, type CompareArm, type ItemState, type JobEvent, type JobItem, type NetworkState } from './model'
import { NetworkMonitor } from './network'
import { Progress } from './progress'
import { recoverQueue } from './recovery'
import { Runner } from './runner'
import { Scheduler } from './scheduler'
import { QueueState } from './state'
import { acquireQueueLock } from './queue-lock'
import { loadQueue, QueueStore } from './store'
import { forView, sourceName, summarise } from './summary'
import type { BackoffOptions, EngineOptions, JobDeps } from './types'

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 8000, jitterMs: 250 }

/**
 * The one place requests run: single edits, batch items and comparison arms alike. It orders work,
 * applies the global, per-provider and per-batch limits, pauses a provider on 429, waits out network
 * outages, keeps budgets, persists every fact it could not afford to lose before acting on it, and
 * recovers from a crash without sending anything twice.
 *
 * This class is the commands and queries; the work is done by QueueState (states and their events,
 * through Progress), Scheduler (what starts when), Runner (one item), Budgets, and recovery.
 */
/** How often records the history could not take are offered to it again. */
const PENDING_RECORDS_RETRY_MS = 15_000

export class JobEngine {
  private pendingRecordsTimer?: NodeJS.Timeout
  private readonly state: QueueState
  private readonly progress: Progress
  private readonly budgets: Budgets
  private readonly scheduler: Scheduler
  private readonly runner: Runner
  private readonly store: QueueStore
  private readonly network: NetworkMonitor
  private readonly deps: JobDeps
  private readonly now: () => number
  private readonly newId: () => string
  private closing = false

  private constructor(
    options: EngineOptions,
    private readonly templates: TemplateLibrary | undefined,
    batches: Batch[],
    seq: number,
    private readonly releaseLock: () => Promise<void>
  ) {
    this.deps = options.deps
    this.now = options.now ?? Date.now
    this.newId = options.newId ?? randomUUID
    this.store = new QueueStore(options.dataDir, seq, () => this.state.batches)
    this.network = new NetworkMonitor({
      probe: () => {
        const provider = this.waitingProvider()
        // Nothing waits for the network any more (those items were cancelled): there is nothing to wait
        // for either, and the next request that cannot reach its server reports that by itself.
        return provider ? this.deps.probe(provider) : Promise.resolve(true)
      },
      baseMs: options.probe?.baseMs ?? 1000,
      maxMs: options.probe?.maxMs ?? 30_000,
      now: this.now,
      onChange: (network) => {
        this.progress.emit({ type: 'network', network })
        this.scheduler.wake()
      }
    })
    this.progress = new Progress({
      store: this.store,
      batches: () => this.state.batches,
      summarise: (batch) => this.summarise(batch),
      networkState: () => this.network.state()
    })
    this.state = new QueueState(batches, { progress: this.progress, now: this.now, onDirty: () => this.scheduler.wake() })
    this.budgets = new Budgets({
      spentSince: (day) => this.deps.spentSince(day),
      isRunning: (item) => this.scheduler.isRunning(item),
      batches: () => this.state.batches,
      onSpendKnown: () => this.scheduler.wake(),
      onProblem: (message) => this.progress.problem(message)
    })
    this.scheduler = new Scheduler({
      state: this.state,
      progress: this.progress,
      budgets: this.budgets,
      network: this.network,
      limits: options.limits,
      runOnly: options.runOnly,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      now: this.now,
      start: (batch, item, resuming) => this.runner.start(batch, item, resuming)
    })
    this.runner = new Runner({
      state: this.state,
      progress: this.progress,
      scheduler: this.scheduler,
      budgets: this.budgets,
      network: this.network,
      deps: this.deps,
      limits: options.limits,
      now: this.now
    })
  }

  /**
   * Loads the saved queue and recovers it: queued items go on, async tasks in flight resume polling by
   * task id, and requests that were in flight without one become "interrupted (may have been charged)".
   */
  static async open(options: EngineOptions & { templates?: TemplateLibrary }): Promise<{ engine: JobEngine; notice?: string }> {
    const release = await acquireQueueLock(options.dataDir, options.owner)
    try {
      const loaded = await loadQueue(options.dataDir)
      const engine = new JobEngine(options, options.templates, loaded.batches, loaded.seq, release)
      await recoverQueue({ state: engine.state, budgets: engine.budgets, deps: engine.deps, newId: engine.newId, now: engine.now })
      // The fold writes everything recovery changed, so the per-item lines are not needed.
      engine.progress.discardPending()
      await engine.store.compact()
      engine.scheduler.begin()
      engine.pendingRecordsTimer = setInterval(() => void engine.runner.appendPendingRecords(), PENDING_RECORDS_RETRY_MS)
      // Retried while the engine is open; never the reason a process stays alive.
      engine.pendingRecordsTimer.unref()
      return { engine, notice: loaded.notice?.message }
    } catch (err) {
      await release()
      throw err
    }
  }

  on(listener: (event: JobEvent) => void): () => void {
    return this.progress.on(listener)
  }

  networkState(): NetworkState {
    return this.network.state()
  }

  list(): BatchSummary[] {
    return this.state.batches.map((b) => this.summarise(b))
  }

  get(batchId: string): BatchSummary & { items: JobItem[] } {
    const batch = this.state.batch(batchId)
    return { ...this.summarise(batch), items: batch.items.map(forView) }
  }

  /** Every arm of a comparison, with its latency and cost, in model order. */
  compareArms(compareGroup: string): CompareArm[] {
    const arms: CompareArm[] = []
    for (const batch of this.state.batches) {
      for (const item of batch.items) {
        if (item.snapshot.compareGroup !== compareGroup) continue
        arms.push({
          itemId: item.id,
          model: item.snapshot.model,
          provider: item.snapshot.provider,
          state: item.state,
          latencyMs: item.latencyMs,
          charged: item.charged,
          estimate: item.estimate,
          recordId: item.recordIds.at(-1),
          outputs: item.outputs,
          error: item.error
        })
      }
    }
    return arms
  }

  /** Credits before anything runs, and which items repeat an earlier success. */
  estimate(spec: BatchSpec): Promise<BatchEstimate> {
    return estimateSpec(spec, this.templates, this.deps)
  }

  /** Creates a batch (works offline: nothing is sent until the queue reaches it). */
  async createBatch(spec: BatchSpec): Promise<BatchSummary> {
    this.assertOpen()
    const parsed = parseSpec(spec)
    const batch = await newBatch(parsed, { templates: this.templates, deps: this.deps, newId: this.newId, now: this.now() }, (item) => this.state.skipDuplicate(item))
    this.state.add(batch)
    try {
      await this.progress.saveCreated(batch)
    } catch (err) {
      this.state.remove(batch)
      throw err
    }
    this.state.saved(batch)
    const summary = this.summarise(batch)
    this.progress.created(batch, summary)
    this.state.refreshBatch(batch)
    this.scheduler.wake()
    // Files skipped as unusable are in the history by the time the batch is shown; should the history
    // refuse them now, they wait in the queue file like any record it could not take.
    if (batch.items.some((i) => i.historyPending)) await this.runner.appendPendingRecords()
    return summary
  }

  pause(batchId: string): BatchSummary {
    const batch = this.state.batch(batchId)
    batch.paused = true
    this.scheduler.yieldWaiting(batch)
    return this.changed(batch)
  }

  resume(batchId: string): BatchSummary {
    const batch = this.state.batch(batchId)
    batch.paused = false
    return this.changed(batch)
  }

  /** Cancels the given items (or the whole batch); requests in flight are aborted. */
  cancel(batchId: string, itemIds?: string[]): BatchSummary {
    const batch = this.state.batch(batchId)
    const targets = this.state.targets(batch, itemIds)
    if (!itemIds) batch.cancelled = true
    for (const item of targets) {
      if (isTerminal(item.state)) continue
      if (!this.runner.cancel(item)) this.state.finish(item, 'cancelled', { code: 'cancelled', message: 'Cancelled by you before it started.' })
    }
    return this.changed(batch)
  }

  /** Runs failed, cancelled or interrupted items again, with the snapshot they were created with. */
  retry(batchId: string, itemIds?: string[]): BatchSummary {
    const batch = this.state.batch(batchId)
    batch.cancelled = false
    for (const item of this.state.targets(batch, itemIds)) {
      if (!(['failed', 'cancelled', 'interrupted'] as ItemState[]).includes(item.state)) continue
      this.state.reset(batch, item)
      this.scheduler.rescan(batch.id)
    }
    return this.changed(batch)
  }

  /**
   * Saves paid results that could not be written (kept in the recovery area, or fetched again), into
   * `folder` when given, else where they were meant to go. Items without a paid result are refused by
   * name rather than sent again.
   */
  saveAgain(batchId: string, itemIds: string[], folder?: string): BatchSummary {
    const batch = this.state.batch(batchId)
    for (const item of this.state.targets(batch, itemIds)) {
      if (!item.paidResult || !isTerminal(item.state)) {
        throw new AppError({ code: 'validation', field: 'itemIds', message: `${sourceName(item)} has no paid result waiting to be saved (it is ${item.state}).` })
      }
    }
    for (const item of this.state.targets(batch, itemIds)) {
      if (item.paidResult) item.paidResult.saveTo = folder
      this.state.reset(batch, item)
      this.scheduler.rescan(batch.id)
    }
    return this.changed(batch)
  }

  /** Decides about items held as duplicates of an earlier success. */
  resolveDuplicates(batchId: string, decision: 'run' | 'skip', itemIds?: string[]): BatchSummary {
    const batch = this.state.batch(batchId)
    for (const item of this.state.targets(batch, itemIds)) {
      if (item.hold !== 'duplicate' || item.state !== 'queued') continue
      item.hold = undefined
      if (decision === 'skip') this.state.skipDuplicate(item)
      this.state.changed(batch, item)
    }
    return this.changed(batch)
  }

  /** `itemIds`: queued items in their new order; they take the places those items held. */
  reorder(batchId: string, itemIds: string[]): BatchSummary {
    const batch = this.state.batch(batchId)
    const wanted = itemIds.map((id) => {
      const item = batch.items.find((i) => i.id === id)
      if (!item) throw new AppError({ code: 'validation', field: 'itemIds', message: `Item ${id} is not in batch ${batch.name}.` })
      if (item.state !== 'queued') throw new AppError({ code: 'validation', field: 'itemIds', message: `Only queued items can be reordered; ${sourceName(item)} is ${item.state}.` })
      return item
    })
    if (new Set(itemIds).size !== itemIds.length) throw new AppError({ code: 'validation', field: 'itemIds', message: 'An item is listed twice.' })
    const slots = batch.items.map((item, index) => (itemIds.includes(item.id) ? index : -1)).filter((i) => i >= 0)
    slots.forEach((slot, k) => {
      batch.items[slot] = wanted[k] as JobItem
    })
    this.scheduler.rescan(batch.id)
    return this.changed(batch, true)
  }

  setBudget(batchId: string, credits: number | null): BatchSummary {
    if (credits !== null && !(Number.isFinite(credits) && credits > 0)) {
      throw new AppError({ code: 'validation', field: 'budgetCredits', message: 'A budget must be a positive number of credits, or none.' })
    }
    const batch = this.state.batch(batchId)
    batch.budgetCredits = credits
    this.budgets.rearm(batch.id)
    return this.changed(batch)
  }

  /**
   * Stops taking new work, lets requests in flight finish for up to `graceMs`, then aborts the rest:
   * async tasks keep their id and resume next time; a sync request cut off becomes interrupted.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.closing) return
    this.closing = true
    clearInterval(this.pendingRecordsTimer)
    this.scheduler.stop()
    await this.runner.stopAll(graceMs)
    // A last try for history lines still waiting; what is left stays in the queue file for next time.
    await this.runner.appendPendingRecords()
    this.network.close()
    await this.progress.close()
    await this.releaseLock()
  }

  /** `whole`: the batch's items were reordered, so it is written whole rather than its fields alone. */
  private changed(batch: Batch, whole = false): BatchSummary {
    if (whole) this.progress.saveOrder(batch)
    else this.progress.meta(batch)
    this.state.refreshBatch(batch)
    this.scheduler.wake()
    return this.summarise(batch)
  }

  private summarise(batch: Batch): BatchSummary {
    return summarise(batch, this.budgets.batchLedger(batch))
  }

  /** The provider a reachability probe asks: the one items are waiting for. */
  private waitingProvider(): ProviderId | undefined {
    for (const batch of this.state.batches) for (const item of batch.items) if (item.hold === 'network') return item.snapshot.provider
    return undefined
  }

  private assertOpen(): void {
    if (this.closing) throw new AppError({ code: 'internal', message: 'The job queue is closing; start the batch again after restart.' })
  }
}
