import { randomUUID } from 'node:crypto'
import { AppError, toAppErrorData, type AppErrorData } from '../../../shared/errors'
import {
  ACTIVE_STATES,
  batchSpecSchema,
  isTerminal,
  type Batch,
  type BatchCounts,
  type BatchEstimate,
  type BatchReport,
  type BatchSpec,
  type BatchState,
  type BatchSummary,
  type CompareArm,
  type ItemHold,
  type ItemSnapshot,
  type ItemState,
  type JobEvent,
  type JobItem,
  type NetworkState,
  type ParsedBatchSpec,
  recordInputOf,
  unstartedItemState
} from '../../../shared/jobs'
import type { ProviderId, RequestParams, RequestRecord } from '../../../shared/records'
import type { TemplateLibrary } from '../templates'
import { budgetMessage, checkBudget, dayStart, type Ledger } from './budget'
import { isNetworkError, NetworkMonitor, wasNeverSent } from './network'
import { acquireQueueLock } from './queue-lock'
import { loadQueue, QueueStore } from './store'
import type { BackoffOptions, EngineOptions, JobDeps, JobLimits, PreparedRequest, RunContext, RunOutcome, RunStage } from './types'

/** 'yield': a prepared item gives its place back (its batch paused, its provider paused, offline). */
type StopReason = 'cancel' | 'close' | 'yield'

/**
 * Where a run is. Only 'net' (a request on the wire: submit, wait, poll, download) counts against the
 * concurrency limits; 'local' (preparing the upload) and 'waiting' (prepared, waiting for a slot) form a
 * second wave of the same size, so the next items are ready the moment a slot frees; 'finishing'
 * (writing outputs and the history line) is not limited: the result is paid for and must be kept.
 */
type RunPhase = 'local' | 'waiting' | 'net' | 'finishing'

interface Running {
  batch: Batch
  item: JobItem
  controller: AbortController
  phase: RunPhase
  stop?: StopReason
  /** Where a yielded item waits once it is back in the queue. */
  yieldTo?: { hold: ItemHold | undefined; until?: number }
  /** Set while waiting for a slot: lets the scheduler hand it one. */
  grant?: () => void
}

/** Runs counted against the global, per-provider and per-batch limits. */
class Wave {
  total = 0
  private readonly byProvider = new Map<ProviderId, number>()
  private readonly byBatch = new Map<string, number>()

  fits(item: JobItem, batch: Batch, limits: JobLimits): boolean {
    const provider = item.snapshot.provider
    if (this.total >= limits.concurrency) return false
    if ((this.byProvider.get(provider) ?? 0) >= (limits.perProvider[provider] ?? limits.concurrency)) return false
    return batch.concurrency === undefined || (this.byBatch.get(batch.id) ?? 0) < batch.concurrency
  }

  add(item: JobItem, delta = 1): void {
    this.total += delta
    this.byProvider.set(item.snapshot.provider, (this.byProvider.get(item.snapshot.provider) ?? 0) + delta)
    this.byBatch.set(item.batchId, (this.byBatch.get(item.batchId) ?? 0) + delta)
  }

  full(limits: JobLimits): boolean {
    return this.total >= limits.concurrency
  }
}

interface BudgetPass {
  batches: Map<string, Ledger>
  daily: Ledger | undefined
}

const UPLOAD_EVENT_MS = 100

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 8000, jitterMs: 250 }

/** Credits a record actually cost: failures are free unless the provider said otherwise. */
function chargeOf(record: RequestRecord): number {
  if (record.status === 'succeeded') return record.cost.credits
  return record.cost.estimated ? 0 : record.cost.credits
}

const sourceName = (item: JobItem) => item.snapshot.inputs[0]?.path ?? '(generated)'

/**
 * The one place requests run: single edits, batch items and comparison arms alike. It orders work,
 * applies the global, per-provider and per-batch limits, pauses a provider on 429, waits out network
 * outages, keeps budgets, persists every fact it could not afford to lose before acting on it, and
 * recovers from a crash without sending anything twice.
 */
export class JobEngine {
  private readonly batches: Batch[]
  private readonly running = new Map<string, Running>()
  private readonly providerPause = new Map<ProviderId, number>()
  private readonly rateLimitStreak = new Map<ProviderId, number>()
  private readonly listeners = new Set<(event: JobEvent) => void>()
  private readonly phaseStart = new Map<string, number>()
  private readonly budgetNotified = new Set<string>()
  private readonly lastSummary = new Map<string, string>()
  /** When each item last reported upload progress to listeners. */
  private readonly lastUpload = new Map<string, number>()
  /** Items not yet in a terminal state, per batch: "is it finished" and progress without a scan. */
  private readonly openCount = new Map<string, number>()
  /** Index before which every item of a batch is settled: the scheduler starts there. */
  private readonly scanFrom = new Map<string, number>()
  /** Changes that are journalled (and summaries emitted) once per tick, however many events they had. */
  private readonly dirtyItems = new Set<JobItem>()
  private readonly dirtyMeta = new Set<Batch>()
  private readonly dirtySummaries = new Set<Batch>()
  private flushQueued = false
  /** Batches whose creation is not on disk yet: none of their items may start. */
  private readonly unsaved = new Set<string>()
  private storeClosed = false
  private readonly store: QueueStore
  private readonly network: NetworkMonitor
  private readonly deps: JobDeps
  private readonly backoff: BackoffOptions
  private readonly now: () => number
  private readonly newId: () => string
  private daily: { day: number; base: number | null; extra: number; loading: boolean } = { day: 0, base: null, extra: 0, loading: false }
  private pumpQueued = false
  private wakeTimer: NodeJS.Timeout | undefined
  private wakeAt = Infinity
  private closing = false
  /** Nothing starts until every saved item has been reconciled. */
  private recovering = true

  private constructor(
    private readonly options: EngineOptions,
    private readonly templates: TemplateLibrary | undefined,
    batches: Batch[],
    seq: number,
    private readonly releaseLock: () => Promise<void>
  ) {
    this.batches = batches
    for (const batch of batches) this.countOpen(batch)
    this.deps = options.deps
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
    this.now = options.now ?? Date.now
    this.newId = options.newId ?? randomUUID
    this.store = new QueueStore(options.dataDir, seq, () => this.batches)
    const probeProvider = (): ProviderId => this.waitingProvider()
    this.network = new NetworkMonitor({
      probe: () => this.deps.probe(probeProvider()),
      baseMs: options.probe?.baseMs ?? 1000,
      maxMs: options.probe?.maxMs ?? 30_000,
      now: this.now,
      onChange: (network) => {
        this.emit({ type: 'network', network })
        this.schedulePump()
      }
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
      await engine.recover()
      engine.recovering = false
      // The fold writes everything recovery changed, so the per-item lines are not needed.
      engine.dirtyItems.clear()
      engine.dirtyMeta.clear()
      await engine.store.compact()
      engine.schedulePump()
      return { engine, notice: loaded.notice?.message }
    } catch (err) {
      await release()
      throw err
    }
  }

  on(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  networkState(): NetworkState {
    return this.network.state()
  }

  list(): BatchSummary[] {
    return this.batches.map((b) => this.summarise(b))
  }

  get(batchId: string): BatchSummary & { items: JobItem[] } {
    const batch = this.batch(batchId)
    return { ...this.summarise(batch), items: batch.items.map(forView) }
  }

  /** Every arm of a comparison, with its latency and cost, in model order. */
  compareArms(compareGroup: string): CompareArm[] {
    const arms: CompareArm[] = []
    for (const batch of this.batches) {
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
  async estimate(spec: BatchSpec): Promise<BatchEstimate> {
    const parsed = this.parseSpec(spec)
    const snapshots = this.expand(parsed, () => undefined)
    const perModel = parsed.models.map(({ model, provider }) => {
      const mine = snapshots.filter((s) => s.model === model && s.provider === provider)
      const perItem = mine[0] ? this.deps.estimate(mine[0]) : null
      return { model, perItem, items: mine.length, total: perItem === null ? null : perItem * mine.length }
    })
    const duplicates: BatchEstimate['duplicates'] = []
    await eachLimited(snapshots, 4, async (s) => {
      const dup = await this.deps.findDuplicate(s).catch(() => null)
      if (dup) duplicates.push({ source: s.inputs[0]?.path ?? '(generated)', model: s.model, ...dup })
    })
    return {
      items: snapshots.length,
      perModel,
      total: perModel.reduce((sum, m) => sum + (m.total ?? 0), 0),
      unpriced: perModel.filter((m) => m.perItem === null).map((m) => m.model),
      duplicates
    }
  }

  /** Creates a batch (works offline: nothing is sent until the queue reaches it). */
  async createBatch(spec: BatchSpec): Promise<BatchSummary> {
    this.assertOpen()
    const parsed = this.parseSpec(spec)
    const batchId = this.newId()
    const groups = new Map<number, string>()
    const snapshots = this.expand(parsed, (inputIndex) => {
      if (!parsed.compare && parsed.models.length < 2) return undefined
      let group = groups.get(inputIndex)
      if (!group) groups.set(inputIndex, (group = this.newId()))
      return group
    })
    const createdAt = new Date(this.now()).toISOString()
    const items: JobItem[] = snapshots.map((snapshot) => ({
      id: this.newId(),
      batchId,
      snapshot,
      estimate: this.deps.estimate(snapshot),
      ...unstartedItemState(createdAt)
    }))
    if (parsed.duplicates !== 'run') {
      await eachLimited(items, 4, async (item) => {
        // A file that cannot be hashed is not a duplicate; preparing it will say what is wrong with it.
        const dup = await this.deps.findDuplicate(item.snapshot).catch(() => null)
        if (!dup) return
        item.duplicateOf = dup
        if (parsed.duplicates === 'ask') item.hold = 'duplicate'
        else this.skipDuplicate(item)
      })
    }
    const kind: Batch['kind'] = parsed.compare ? 'compare' : items.length === 1 ? 'single' : 'batch'
    const batch: Batch = {
      id: batchId,
      name: parsed.name?.trim() || defaultName(parsed, items.length),
      kind,
      createdAt,
      paused: false,
      cancelled: false,
      budgetCredits: parsed.budgetCredits,
      concurrency: parsed.concurrency,
      models: parsed.models.map((m) => m.model),
      templateId: parsed.templateId,
      items
    }
    // Listed before it is written, so a fold of the journal meanwhile includes it.
    this.batches.push(batch)
    this.countOpen(batch)
    this.unsaved.add(batch.id)
    try {
      await this.store.append({ op: 'batch', batch }, true)
    } catch (err) {
      // Not on disk means not accepted: a batch that would vanish after a crash is not created.
      this.batches.splice(this.batches.indexOf(batch), 1)
      this.openCount.delete(batch.id)
      throw err
    } finally {
      this.unsaved.delete(batch.id)
    }
    const summary = this.summarise(batch)
    this.lastSummary.set(batch.id, JSON.stringify(summary))
    this.emit({ type: 'batch.created', batch: summary })
    this.refreshBatch(batch)
    this.schedulePump()
    return summary
  }

  pause(batchId: string): BatchSummary {
    const batch = this.batch(batchId)
    batch.paused = true
    // Prepared items give their places back; anything already sent runs to its end.
    for (const run of this.running.values()) if (run.batch === batch && run.phase === 'waiting') this.yieldRun(run, undefined)
    return this.changed(batch)
  }

  resume(batchId: string): BatchSummary {
    const batch = this.batch(batchId)
    batch.paused = false
    return this.changed(batch)
  }

  /** Cancels the given items (or the whole batch); requests in flight are aborted. */
  cancel(batchId: string, itemIds?: string[]): BatchSummary {
    const batch = this.batch(batchId)
    const targets = this.targets(batch, itemIds)
    if (!itemIds) batch.cancelled = true
    for (const item of targets) {
      if (isTerminal(item.state)) continue
      const run = this.running.get(item.id)
      if (run && this.isRunning(item)) {
        run.stop = 'cancel'
        run.controller.abort(new AppError({ code: 'cancelled', message: 'Cancelled by you.' }))
      } else {
        this.finish(item, 'cancelled', { code: 'cancelled', message: 'Cancelled by you before it started.' })
      }
    }
    return this.changed(batch)
  }

  /** Runs failed, cancelled or interrupted items again, with the snapshot they were created with. */
  retry(batchId: string, itemIds?: string[]): BatchSummary {
    const batch = this.batch(batchId)
    batch.cancelled = false
    for (const item of this.targets(batch, itemIds)) {
      if (!(['failed', 'cancelled', 'interrupted'] as ItemState[]).includes(item.state)) continue
      this.setItemState(item, 'queued')
      this.scanFrom.delete(batch.id)
      item.attempts = 0
      item.rateLimitHits = 0
      item.error = undefined
      item.hold = undefined
      item.notBefore = undefined
      item.submission = { phase: 'none' }
      item.taskId = undefined
      item.timings.finishedAt = undefined
      this.emitItem(batch, item)
    }
    return this.changed(batch)
  }

  /** Decides about items held as duplicates of an earlier success. */
  resolveDuplicates(batchId: string, decision: 'run' | 'skip', itemIds?: string[]): BatchSummary {
    const batch = this.batch(batchId)
    for (const item of this.targets(batch, itemIds)) {
      if (item.hold !== 'duplicate' || item.state !== 'queued') continue
      item.hold = undefined
      if (decision === 'skip') this.skipDuplicate(item)
      this.emitItem(batch, item)
    }
    return this.changed(batch)
  }

  /** `itemIds`: queued items in their new order; they take the places those items held. */
  reorder(batchId: string, itemIds: string[]): BatchSummary {
    const batch = this.batch(batchId)
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
    this.scanFrom.delete(batch.id)
    return this.changed(batch, true)
  }

  setBudget(batchId: string, credits: number | null): BatchSummary {
    if (credits !== null && !(Number.isFinite(credits) && credits > 0)) {
      throw new AppError({ code: 'validation', field: 'budgetCredits', message: 'A budget must be a positive number of credits, or none.' })
    }
    const batch = this.batch(batchId)
    batch.budgetCredits = credits
    this.budgetNotified.delete(batch.id)
    return this.changed(batch)
  }

  /**
   * Stops taking new work, lets requests in flight finish for up to `graceMs`, then aborts the rest:
   * async tasks keep their id and resume next time; a sync request cut off becomes interrupted.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
    const settled = () => Promise.all([...this.running.values()].map((r) => waitUntilGone(this.running, r.item.id)))
    if (this.running.size && graceMs > 0) await Promise.race([settled(), delay(graceMs)])
    for (const run of this.running.values()) {
      run.stop = 'close'
      run.controller.abort(new AppError({ code: 'cancelled', message: 'Pixdesk is closing.' }))
    }
    await settled()
    this.network.close()
    this.flushDirty()
    // Folds the journal into queue.json: a clean close leaves one self-contained file.
    await this.store.close().catch(() => undefined)
    this.storeClosed = true
    await this.releaseLock()
  }

  // ---- scheduling -------------------------------------------------------------------------------

  private schedulePump(): void {
    if (this.pumpQueued || this.closing || this.recovering) return
    this.pumpQueued = true
    setImmediate(() => {
      this.pumpQueued = false
      this.pump()
    })
  }

  private wakeUpAt(at: number): void {
    if (at >= this.wakeAt && this.wakeTimer) return
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
    this.wakeAt = at
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined
        this.wakeAt = Infinity
        this.schedulePump()
      },
      Math.max(0, at - this.now())
    )
  }

  private pump(): void {
    if (this.closing) return
    const limits = this.options.limits()
    const now = this.now()
    const today = dayStart(now).getTime()
    if (limits.dailyBudgetCredits !== null && this.daily.day !== today) this.loadDaily(today)
    const net = new Wave()
    const ahead = new Wave()
    for (const run of this.running.values()) {
      if (run.phase === 'net') net.add(run.item)
      else if (run.phase === 'local' || run.phase === 'waiting') ahead.add(run.item)
    }
    // Ledgers are summed once per pass and kept current as items start: O(N) per pass, not per item.
    const budgets: BudgetPass = { batches: new Map(), daily: undefined }
    let nextWake = Infinity
    const runOnly = this.options.runOnly
    scan: for (const batch of this.batches) {
      if (batch.paused || batch.cancelled || this.unsaved.has(batch.id)) continue
      if (runOnly && !runOnly(batch.id)) continue
      let settled = this.scanFrom.get(batch.id) ?? 0
      for (let k = settled; k < batch.items.length; k++) {
        if (net.full(limits) && ahead.full(limits)) break scan
        const item = batch.items[k] as JobItem
        const run = this.running.get(item.id)
        if (k === settled && !run && isTerminal(item.state)) settled++
        if (run) {
          if (run.phase === 'waiting') nextWake = Math.min(nextWake, this.offerSlot(run, net, ahead, limits, now))
          continue
        }
        if (item.state !== 'queued' || item.hold === 'duplicate') continue
        const provider = item.snapshot.provider
        const pausedUntil = this.providerPause.get(provider) ?? 0
        if (pausedUntil > now) {
          this.hold(batch, item, 'rate_limit', pausedUntil)
          nextWake = Math.min(nextWake, pausedUntil)
          continue
        }
        const notBefore = item.notBefore ? Date.parse(item.notBefore) : 0
        if (notBefore > now) {
          nextWake = Math.min(nextWake, notBefore)
          continue
        }
        if (!this.network.isOnline()) {
          this.hold(batch, item, 'network')
          continue
        }
        const resuming = item.submission.phase === 'accepted' && item.taskId !== undefined
        // A task that already exists needs no upload: it goes straight to the wire.
        const wave = resuming ? net : ahead
        if (!wave.fits(item, batch, limits)) continue
        // A task that already exists is paid for or will be: resuming it never waits on a budget.
        if (!resuming && !this.withinBudget(batch, item, limits, budgets)) continue
        item.hold = undefined
        item.notBefore = undefined
        wave.add(item)
        this.reserve(batch, item, budgets)
        this.start(batch, item, resuming)
      }
      this.scanFrom.set(batch.id, settled)
    }
    if (nextWake < Infinity) this.wakeUpAt(nextWake)
  }

  /** A prepared item asks for a slot: granted, left waiting, or sent back to the queue to wait there. */
  private offerSlot(run: Running, net: Wave, ahead: Wave, limits: JobLimits, now: number): number {
    const { item, batch } = run
    const pausedUntil = this.providerPause.get(item.snapshot.provider) ?? 0
    if (pausedUntil > now) {
      this.yieldRun(run, 'rate_limit', pausedUntil)
      return pausedUntil
    }
    if (!this.network.isOnline()) {
      this.yieldRun(run, 'network')
      return Infinity
    }
    if (!net.fits(item, batch, limits)) return Infinity
    net.add(item)
    ahead.add(item, -1)
    run.grant?.()
    return Infinity
  }

  private withinBudget(batch: Batch, item: JobItem, limits: JobLimits, pass: BudgetPass): boolean {
    let ledger = pass.batches.get(batch.id)
    if (!ledger) pass.batches.set(batch.id, (ledger = this.batchLedger(batch)))
    const batchCheck = checkBudget(batch.budgetCredits, ledger, item.estimate)
    if (!batchCheck.ok) return this.budgetHold(batch, item, 'batch', batchCheck)
    // The daily cap is about money: sandbox requests cost nothing.
    if (limits.dailyBudgetCredits !== null && !item.snapshot.sandbox) {
      // Until today's spend is known from the ledger, nothing may start under a daily cap.
      if (this.daily.base === null) return false
      pass.daily ??= this.dailyLedger()
      const dailyCheck = checkBudget(limits.dailyBudgetCredits, pass.daily, item.estimate)
      if (!dailyCheck.ok) return this.budgetHold(batch, item, 'daily', dailyCheck)
    }
    return true
  }

  /** The item's estimate is held from the moment it starts, so the rest of this pass sees it. */
  private reserve(batch: Batch, item: JobItem, pass: BudgetPass): void {
    const estimate = item.estimate ?? 0
    const ledger = pass.batches.get(batch.id)
    if (ledger) ledger.reserved += estimate
    if (pass.daily && !item.snapshot.sandbox) pass.daily.reserved += estimate
  }

  private budgetHold(batch: Batch, item: JobItem, scope: 'batch' | 'daily', check: Exclude<ReturnType<typeof checkBudget>, { ok: true }>): false {
    const error: AppErrorData = { code: 'budget_reached', message: budgetMessage(scope, check) }
    if (item.hold !== 'budget' || item.error?.message !== error.message) {
      item.hold = 'budget'
      item.error = error
      this.emitItem(batch, item)
    }
    if (!this.budgetNotified.has(batch.id)) {
      this.budgetNotified.add(batch.id)
      this.emit({ type: 'budget.reached', batchId: batch.id, scope, cap: check.cap, committed: check.committed, needed: item.estimate ?? 0 })
    }
    return false
  }

  private batchLedger(batch: Batch): Ledger {
    let charged = 0
    let reserved = 0
    for (const item of batch.items) {
      charged += item.charged ?? 0
      if (this.isRunning(item) || item.mayHaveCharged) reserved += item.estimate ?? 0
    }
    return { charged, reserved }
  }

  private dailyLedger(): Ledger {
    let reserved = 0
    const today = this.daily.day
    for (const batch of this.batches) {
      for (const item of batch.items) {
        const finishedToday = item.timings.finishedAt !== undefined && Date.parse(item.timings.finishedAt) >= today
        if (this.isRunning(item) || (item.mayHaveCharged && finishedToday)) reserved += item.estimate ?? 0
      }
    }
    return { charged: (this.daily.base ?? 0) + this.daily.extra, reserved }
  }

  /** In flight: started and not yet settled (a settled item may still be saving; its charge is booked). */
  private isRunning(item: JobItem): boolean {
    return this.running.has(item.id) && !isTerminal(item.state) && item.state !== 'queued'
  }

  private loadDaily(day: number): void {
    if (this.daily.loading && this.daily.day === day) return
    this.daily = { day, base: null, extra: 0, loading: true }
    this.deps
      .spentSince(new Date(day))
      .then((spent) => {
        if (this.daily.day === day) this.daily = { ...this.daily, base: spent, loading: false }
      })
      .catch((err: unknown) => {
        if (this.daily.day === day) this.daily = { day: 0, base: null, extra: 0, loading: false }
        this.emitNotice(`Today's spend could not be read from the history (${toAppErrorData(err).message}); items wait under the daily cap.`)
      })
      .finally(() => this.schedulePump())
  }

  private hold(batch: Batch, item: JobItem, hold: ItemHold, until?: number): void {
    const notBefore = until === undefined ? undefined : new Date(until).toISOString()
    if (item.hold === hold && item.notBefore === notBefore) return
    item.hold = hold
    item.notBefore = notBefore
    this.emitItem(batch, item)
  }

  // ---- running one item -------------------------------------------------------------------------

  private start(batch: Batch, item: JobItem, resuming: boolean): void {
    const controller = new AbortController()
    const run: Running = { batch, item, controller, phase: resuming ? 'net' : 'local' }
    this.running.set(item.id, run)
    this.budgetNotified.delete(batch.id)
    if (item.error?.code === 'budget_reached') item.error = undefined
    item.timings.startedAt ??= new Date(this.now()).toISOString()
    this.setState(batch, item, resuming ? 'polling' : 'preparing')
    const work = resuming ? this.runResume(run) : this.runFresh(run)
    void work
      .catch((err: unknown) => this.crashed(run, err))
      .finally(() => {
        if (this.running.get(item.id) === run) this.running.delete(item.id)
        this.lastUpload.delete(item.id)
        this.refreshBatch(batch)
        this.schedulePump()
      })
  }

  private context(run: Running): RunContext {
    const { batch, item } = run
    return {
      signal: run.controller.signal,
      onStage: (stage: RunStage) => {
        // Late progress from a run that already settled must not bring its item back to life.
        if (this.running.get(item.id) !== run || !(ACTIVE_STATES as readonly ItemState[]).includes(item.state)) return
        if (stage !== 'uploading') item.uploadedBytes = item.uploadTotalBytes
        // The provider has answered: fetching and checking the images no longer holds its request slot.
        if (stage === 'downloading') this.releaseSlot(run)
        if (item.state !== stage) this.setState(batch, item, stage)
      },
      onUpload: (sentBytes, totalBytes) => {
        if (this.running.get(item.id) !== run || !(ACTIVE_STATES as readonly ItemState[]).includes(item.state)) return
        item.uploadedBytes = sentBytes
        item.uploadTotalBytes = totalBytes
        // At most ~10 updates a second per item reach the UI, and always the last one; progress is not journalled.
        const now = this.now()
        if (sentBytes < totalBytes && now - (this.lastUpload.get(item.id) ?? -Infinity) < UPLOAD_EVENT_MS) return
        this.lastUpload.set(item.id, now)
        this.emitItem(batch, item, false)
      },
      onTaskSubmitted: (taskId, requestId) => {
        item.taskId = taskId
        item.submission = { phase: 'accepted', at: new Date(this.now()).toISOString(), taskId, requestId }
        if (requestId && !item.requestIds.includes(requestId)) item.requestIds.push(requestId)
        // The task id is what makes a crash from here on recoverable without resubmitting.
        this.dirtyItems.delete(item)
        void this.store.append({ op: 'item', item }, true).catch((err: unknown) => this.emitNotice(toAppErrorData(err).message))
        this.emitItem(batch, item, false)
      }
    }
  }

  /** Waits for a slot on the wire; resolves early when the run is stopped (the caller checks). */
  private acquireSlot(run: Running): Promise<void> {
    if (run.controller.signal.aborted) return Promise.resolve()
    if (run.batch.paused || run.batch.cancelled) {
      this.yieldRun(run, undefined)
      return Promise.resolve()
    }
    run.phase = 'waiting'
    return new Promise<void>((resolve) => {
      const signal = run.controller.signal
      const done = () => {
        signal.removeEventListener('abort', done)
        run.grant = undefined
        resolve()
      }
      run.grant = () => {
        run.phase = 'net'
        done()
      }
      signal.addEventListener('abort', done)
      this.schedulePump()
    })
  }

  /** The wire is done with this run: its slot goes to the next prepared item at once. */
  private releaseSlot(run: Running): void {
    if (run.phase !== 'net') return
    run.phase = 'finishing'
    this.schedulePump()
  }

  private yieldRun(run: Running, hold: ItemHold | undefined, until?: number): void {
    if (run.stop) return
    run.stop = 'yield'
    run.yieldTo = { hold, until }
    run.controller.abort(new AppError({ code: 'cancelled', message: 'Back in the queue until it can be sent.' }))
  }

  private async runFresh(run: Running): Promise<void> {
    const { batch, item, controller } = run
    let prepared: PreparedRequest
    try {
      prepared = await this.deps.prepare(item, controller.signal)
    } catch (err) {
      if (controller.signal.aborted) return this.stopped(run, false)
      item.attempts++
      return this.finish(item, 'failed', toAppErrorData(err))
    }
    try {
      if (controller.signal.aborted) return this.stopped(run, false)
      await this.acquireSlot(run)
      if (controller.signal.aborted) return this.stopped(run, false)
      item.uploadTotalBytes = prepared.uploadBytes
      item.uploadedBytes = 0
      item.submission = { phase: 'pending', at: new Date(this.now()).toISOString() }
      this.setState(batch, item, 'uploading')
      // On disk before a byte is sent: after a crash this item is never sent again by itself.
      this.dirtyItems.delete(item)
      await this.store.append({ op: 'item', item }, true)
      if (controller.signal.aborted) {
        item.submission = { phase: 'none' }
        return this.stopped(run, false)
      }
      let outcome: RunOutcome
      try {
        outcome = await this.deps.execute(item, prepared, this.context(run))
      } catch (err) {
        // Refused before sending (the catalog's pre-flight checks): nothing was sent or charged.
        if (!(err instanceof AppError) || err.code !== 'validation') throw err
        item.submission = { phase: 'none' }
        item.attempts++
        return this.finish(item, 'failed', err.data)
      } finally {
        this.releaseSlot(run)
      }
      await this.settle(run, outcome)
    } finally {
      await prepared.cleanup().catch(() => undefined)
    }
  }

  private async runResume(run: Running): Promise<void> {
    const taskId = run.item.taskId as string
    let outcome: RunOutcome
    try {
      outcome = await this.deps.resume(run.item, taskId, this.context(run))
    } finally {
      this.releaseSlot(run)
    }
    await this.settle(run, outcome)
  }

  private async settle(run: Running, outcome: RunOutcome): Promise<void> {
    const { batch, item } = run
    const record: RequestRecord = { ...outcome.record, batchId: batch.id, jobItemId: item.id, compareGroup: item.snapshot.compareGroup, templateId: item.snapshot.templateId }
    for (const id of record.requestIds) if (!item.requestIds.includes(id)) item.requestIds.push(id)
    if (record.taskId) item.taskId = record.taskId
    item.latencyMs = record.latencyMs

    if (record.status === 'succeeded') {
      // The result is paid for: keep its record on disk until it is in the ledger.
      item.pendingRecord = record
      item.submission = { phase: 'none' }
      this.setState(batch, item, 'downloading')
      this.dirtyItems.delete(item)
      await this.store.append({ op: 'item', item }, true)
      let finalRecord: RequestRecord
      try {
        const outputs = await this.deps.writeOutputs(item, outcome, { batchName: batch.name })
        finalRecord = { ...record, outputs }
      } catch (err) {
        const reason = toAppErrorData(err)
        finalRecord = {
          ...record,
          status: 'failed',
          outputs: [],
          error: { ...reason, message: `The images arrived (and were charged) but could not be saved: ${reason.message}` }
        }
      }
      await this.deps.appendRecord(finalRecord)
      this.booked(item, finalRecord)
      item.attempts++
      this.network.reportSuccess()
      this.rateLimitStreak.delete(item.snapshot.provider)
      if (finalRecord.status === 'succeeded') {
        item.outputs = finalRecord.outputs
        item.error = undefined
        this.finish(item, 'done')
      } else {
        this.finish(item, 'failed', finalRecord.error)
      }
      return
    }

    await this.deps.appendRecord(record)
    this.booked(item, record)
    const error: AppErrorData = record.error ?? { code: 'internal', message: 'The request failed without giving a reason.' }
    if (run.stop || record.status === 'cancelled' || error.code === 'cancelled') {
      return this.stopped(run, true)
    }
    this.classifyFailure(run, error)
  }

  /** Decides what a failed run means: wait for the provider, for the network, retry later, or fail. */
  private classifyFailure(run: Running, error: AppErrorData): void {
    const { batch, item } = run
    const provider = item.snapshot.provider
    const taskExists = item.submission.phase === 'accepted' && item.taskId !== undefined
    if (error.code === 'rate_limited') {
      this.network.reportSuccess()
      item.rateLimitHits++
      const streak = (this.rateLimitStreak.get(provider) ?? 0) + 1
      this.rateLimitStreak.set(provider, streak)
      const until = this.now() + (error.retryAfterMs ?? this.backoffMs(streak))
      if (until > (this.providerPause.get(provider) ?? 0)) {
        this.providerPause.set(provider, until)
        this.emit({ type: 'rate_limited', provider, until: new Date(until).toISOString() })
      }
      if (!taskExists) item.submission = { phase: 'none' }
      if (item.rateLimitHits > this.options.limits().maxRateLimitHits) {
        return this.finish(item, 'failed', { ...error, message: `${error.message} (rate limited ${item.rateLimitHits} times; giving up)` })
      }
      return this.requeue(batch, item, 'rate_limit', until)
    }
    if (isNetworkError(error)) {
      if (!taskExists && item.snapshot.route === 'async' && !wasNeverSent(error)) {
        // The connection broke after the submit left: a task may exist that we have no id for.
        // Submitting again could pay twice, so the user decides.
        item.mayHaveCharged = true
        return this.finish(item, 'interrupted', {
          ...error,
          code: 'interrupted',
          message: `The connection broke while the task was being submitted, so it may exist and be charged. Retry to submit it again. (${error.message})`
        })
      }
      if (!taskExists) item.submission = { phase: 'none' }
      this.network.reportFailure(error.message)
      return this.requeue(batch, item, 'network')
    }
    this.network.reportSuccess()
    item.attempts++
    const limit = this.options.limits().maxAttempts
    if (error.retryable && !taskExists && item.attempts < limit) {
      item.submission = { phase: 'none' }
      return this.requeue(batch, item, 'retry_backoff', this.now() + this.backoffMs(item.attempts))
    }
    const tries = item.attempts > 1 ? ` (after ${item.attempts} tries)` : ''
    this.finish(item, 'failed', { ...error, message: `${error.message}${tries}` })
  }

  /** A run stopped by the user (cancel) or by closing the app. */
  private stopped(run: Running, mayHaveBeenSent: boolean): void {
    const { batch, item } = run
    const taskExists = item.submission.phase === 'accepted' && item.taskId !== undefined
    if (run.stop === 'yield' && !mayHaveBeenSent) {
      item.submission = { phase: 'none' }
      return this.requeue(batch, item, run.yieldTo?.hold, run.yieldTo?.until)
    }
    if (run.stop === 'close') {
      if (taskExists) return this.requeue(batch, item, undefined)
      if (mayHaveBeenSent) {
        item.mayHaveCharged = true
        return this.finish(item, 'interrupted', interruptedError(item))
      }
      item.submission = { phase: 'none' }
      return this.requeue(batch, item, undefined)
    }
    if (mayHaveBeenSent) item.mayHaveCharged = item.mayHaveCharged || taskExists
    const note = taskExists ? ` The task ${item.taskId} may still finish on the server and be charged.` : ''
    item.submission = { phase: 'none' }
    this.finish(item, 'cancelled', { code: 'cancelled', message: `Cancelled by you.${note}`, requestId: item.requestIds.at(-1) })
  }

  private crashed(run: Running, err: unknown): void {
    const error = toAppErrorData(err)
    // pendingRecord (if any) stays in the queue file: recovery writes it to the ledger next time.
    this.finish(run.item, 'failed', { ...error, message: `Pixdesk could not finish this item: ${error.message}` })
  }

  private booked(item: JobItem, record: RequestRecord, charge = chargeOf(record)): void {
    item.pendingRecord = undefined
    if (!item.recordIds.includes(record.id)) item.recordIds.push(record.id)
    if (charge > 0 || record.status === 'succeeded') {
      item.charged = (item.charged ?? 0) + charge
      item.chargedEstimated = record.cost.estimated
    }
    if (!record.sandbox && Date.parse(record.finishedAt) >= this.daily.day) this.daily.extra += charge
  }

  private requeue(batch: Batch, item: JobItem, hold: ItemHold | undefined, until?: number): void {
    this.closePhase(item)
    this.setItemState(item, 'queued')
    item.hold = hold
    item.notBefore = until === undefined ? undefined : new Date(until).toISOString()
    this.emitItem(batch, item)
  }

  private backoffMs(attempt: number): number {
    const { baseMs, maxMs, jitterMs } = this.backoff
    return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1)) + Math.random() * jitterMs
  }

  private skipDuplicate(item: JobItem): void {
    this.setItemState(item, 'cancelled')
    item.error = {
      code: 'cancelled',
      message: `Skipped: identical to an earlier success (record ${item.duplicateOf?.recordId ?? '?'}, ${item.duplicateOf?.at ?? ''}). Retry it to run it again.`
    }
    item.timings.finishedAt = new Date(this.now()).toISOString()
  }

  // ---- crash recovery ---------------------------------------------------------------------------

  private async recover(): Promise<void> {
    for (const batch of this.batches) {
      for (const item of batch.items) {
        if (item.pendingRecord) await this.recoverPendingRecord(item, item.pendingRecord)
        if (isTerminal(item.state)) continue
        item.hold = item.hold === 'duplicate' ? 'duplicate' : undefined
        if (item.submission.phase === 'accepted' && item.taskId) {
          this.requeue(batch, item, undefined)
        } else if (item.submission.phase === 'pending') {
          await this.recoverPendingSubmission(item)
        } else if (item.state !== 'queued') {
          // Nothing was sent yet (preparing): it simply runs again.
          this.requeue(batch, item, undefined)
        }
      }
      this.refreshBatch(batch)
    }
  }

  private async recoverPendingRecord(item: JobItem, record: RequestRecord): Promise<void> {
    const inLedger = (await this.deps.itemRecords(item.id)).find((r) => r.id === record.id)
    if (inLedger) {
      this.booked(item, inLedger)
      item.outputs = inLedger.outputs
      item.submission = { phase: 'none' }
      if (inLedger.status === 'succeeded') this.finish(item, 'done')
      else this.finish(item, 'failed', inLedger.error)
      return
    }
    const error: AppErrorData = {
      code: 'interrupted',
      requestId: record.requestIds.at(-1),
      message: 'The result arrived and was charged, but Pixdesk stopped before saving its images. Retry to run it again.'
    }
    const kept: RequestRecord = { ...record, status: 'interrupted', outputs: [], error }
    await this.deps.appendRecord(kept)
    this.booked(item, kept, record.cost.credits)
    item.submission = { phase: 'none' }
    this.finish(item, 'interrupted', error)
  }

  private async recoverPendingSubmission(item: JobItem): Promise<void> {
    // The ledger may already hold the answer if the crash came after it was written.
    const fresh = (await this.deps.itemRecords(item.id)).filter((r) => !item.recordIds.includes(r.id))
    const latest = fresh.at(-1)
    if (latest) {
      this.booked(item, latest)
      item.submission = { phase: 'none' }
      if (latest.status === 'succeeded') {
        item.outputs = latest.outputs
        return this.finish(item, 'done')
      }
      return this.finish(item, 'failed', latest.error ?? { code: 'internal', message: 'The request failed.' })
    }
    item.mayHaveCharged = true
    const error = interruptedError(item)
    const now = new Date(this.now()).toISOString()
    const record: RequestRecord = {
      id: this.newId(),
      kind: item.snapshot.kind,
      provider: item.snapshot.provider,
      sandbox: item.snapshot.sandbox,
      route: item.snapshot.route,
      endpoint: this.deps.endpoint(item.snapshot),
      model: item.snapshot.model,
      params: item.snapshot.params,
      prompt: item.snapshot.prompt,
      inputs: item.snapshot.inputs.map(recordInputOf),
      requestIds: item.submission.requestId ? [item.submission.requestId] : [],
      attempts: [],
      startedAt: item.submission.at ?? now,
      finishedAt: now,
      latencyMs: 0,
      status: 'interrupted',
      error,
      cost: { credits: 0, estimated: true, estimate: item.estimate ?? 0 },
      outputs: [],
      batchId: item.batchId,
      compareGroup: item.snapshot.compareGroup,
      templateId: item.snapshot.templateId,
      jobItemId: item.id
    }
    await this.deps.appendRecord(record)
    item.recordIds.push(record.id)
    item.submission = { phase: 'none' }
    this.finish(item, 'interrupted', error)
  }

  // ---- state, summaries, events -----------------------------------------------------------------

  private setState(batch: Batch, item: JobItem, state: ItemState): void {
    this.closePhase(item)
    this.setItemState(item, state)
    if ((ACTIVE_STATES as readonly ItemState[]).includes(state)) this.phaseStart.set(item.id, this.now())
    this.emitItem(batch, item)
  }

  private closePhase(item: JobItem): void {
    const started = this.phaseStart.get(item.id)
    if (started === undefined) return
    this.phaseStart.delete(item.id)
    item.timings.phaseMs[item.state] = (item.timings.phaseMs[item.state] ?? 0) + (this.now() - started)
  }

  private finish(item: JobItem, state: 'done' | 'failed' | 'cancelled' | 'interrupted', error?: AppErrorData): void {
    const batch = this.batch(item.batchId)
    item.hold = undefined
    item.notBefore = undefined
    item.error = error
    item.timings.finishedAt = new Date(this.now()).toISOString()
    this.setState(batch, item, state)
    this.refreshBatch(batch)
    // Its slot and reservation are free now, even while the queue file is still being written.
    this.schedulePump()
  }

  private changed(batch: Batch, whole = false): BatchSummary {
    if (whole) {
      void this.store.append({ op: 'batch', batch }, false).catch((err: unknown) => this.emitNotice(toAppErrorData(err).message))
    } else this.dirtyMeta.add(batch)
    this.scheduleFlush()
    this.refreshBatch(batch)
    this.schedulePump()
    return this.summarise(batch)
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

  /**
   * A batch's report is made (and "finished" announced) the moment its last item settles, so a listener
   * that sees the batch done also sees its report; its summary is emitted once per tick.
   */
  private refreshBatch(batch: Batch): void {
    const allDone = (this.openCount.get(batch.id) ?? 0) === 0
    if (allDone && !batch.report) {
      batch.finishedAt = new Date(this.now()).toISOString()
      batch.report = this.report(batch)
      this.dirtyMeta.add(batch)
      this.dirtySummaries.delete(batch)
      this.emitSummary(batch)
      this.emit({ type: 'batch.finished', batchId: batch.id, report: batch.report })
      this.scheduleFlush()
      return
    }
    if (!allDone && batch.report) {
      batch.report = undefined
      batch.finishedAt = undefined
      this.dirtyMeta.add(batch)
    }
    this.dirtySummaries.add(batch)
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    setImmediate(() => this.flushDirty())
  }

  /** Journals what changed since the last tick (one line per item, not per event) and emits summaries. */
  private flushDirty(): void {
    this.flushQueued = false
    if (this.storeClosed) return
    const failed = (err: unknown) => this.emitNotice(toAppErrorData(err).message)
    for (const batch of this.dirtyMeta) void this.store.append({ op: 'meta', batch }, false).catch(failed)
    this.dirtyMeta.clear()
    for (const item of this.dirtyItems) void this.store.append({ op: 'item', item }, false).catch(failed)
    this.dirtyItems.clear()
    const batches = [...this.dirtySummaries]
    this.dirtySummaries.clear()
    for (const batch of batches) if (this.batches.includes(batch)) this.emitSummary(batch)
  }

  private emitSummary(batch: Batch): void {
    const summary = this.summarise(batch)
    const key = JSON.stringify(summary)
    if (this.lastSummary.get(batch.id) === key) return
    this.lastSummary.set(batch.id, key)
    this.emit({ type: 'batch.updated', batch: summary })
  }

  private report(batch: Batch): BatchReport {
    const count = (s: ItemState) => batch.items.filter((i) => i.state === s).length
    return {
      batchId: batch.id,
      finishedAt: batch.finishedAt ?? new Date(this.now()).toISOString(),
      total: batch.items.length,
      done: count('done'),
      failed: count('failed'),
      cancelled: count('cancelled'),
      interrupted: count('interrupted'),
      charged: sum(batch.items.map((i) => i.charged ?? 0)),
      estimate: sum(batch.items.map((i) => i.estimate ?? 0)),
      failures: batch.items
        .filter((i) => i.state !== 'done')
        .map((i) => ({
          itemId: i.id,
          source: sourceName(i),
          model: i.snapshot.model,
          state: i.state,
          reason: i.error ?? { code: 'internal', message: 'No reason was recorded.' },
          requestId: i.error?.requestId ?? i.requestIds.at(-1),
          taskId: i.taskId
        }))
    }
  }

  private summarise(batch: Batch): BatchSummary {
    const counts: BatchCounts = { total: batch.items.length, queued: 0, active: 0, done: 0, failed: 0, cancelled: 0, interrupted: 0, waiting: 0 }
    for (const item of batch.items) {
      if (item.state === 'queued') {
        counts.queued++
        if (item.hold) counts.waiting++
      } else if (isTerminal(item.state)) counts[item.state as 'done' | 'failed' | 'cancelled' | 'interrupted']++
      else counts.active++
    }
    const ledger = this.batchLedger(batch)
    const state = this.batchState(batch, counts)
    return {
      id: batch.id,
      name: batch.name,
      kind: batch.kind,
      state,
      createdAt: batch.createdAt,
      finishedAt: batch.finishedAt,
      models: batch.models,
      counts,
      estimate: sum(batch.items.map((i) => i.estimate ?? 0)),
      charged: ledger.charged,
      reserved: ledger.reserved,
      budget: batch.budgetCredits,
      notice: this.notice(batch, state),
      report: batch.report
    }
  }

  private batchState(batch: Batch, counts: BatchCounts): BatchState {
    if (counts.queued === 0 && counts.active === 0) return batch.cancelled && counts.done < counts.total ? 'cancelled' : 'done'
    if (batch.paused) return 'paused'
    const queued = batch.items.filter((i) => i.state === 'queued')
    if (counts.active === 0 && queued.length && queued.every((i) => i.hold === 'network')) return 'waiting_network'
    if (counts.active === 0 && queued.some((i) => i.hold === 'budget') && queued.every((i) => i.hold === 'budget' || i.hold === 'duplicate')) return 'budget_reached'
    if (counts.active > 0 || batch.items.some((i) => i.timings.startedAt)) return 'running'
    return 'queued'
  }

  private notice(batch: Batch, state: BatchState): string | undefined {
    if (state === 'waiting_network') return 'Waiting for network: Pixdesk will continue by itself when the connection is back.'
    if (state === 'budget_reached') return batch.items.find((i) => i.hold === 'budget')?.error?.message ?? 'Budget reached.'
    const limited = batch.items.find((i) => i.state === 'queued' && i.hold === 'rate_limit')
    if (limited?.notBefore) return `The provider asked Pixdesk to slow down; continuing at ${limited.notBefore}.`
    if (batch.items.some((i) => i.state === 'queued' && i.hold === 'duplicate')) return 'Some items repeat an earlier success: run or skip them.'
    return undefined
  }

  /** `journal`: false when the caller has just written the item itself. */
  private emitItem(batch: Batch, item: JobItem, journal = true): void {
    if (journal) this.dirtyItems.add(item)
    this.dirtySummaries.add(batch)
    this.scheduleFlush()
    const done = batch.items.length - (this.openCount.get(batch.id) ?? 0)
    this.emit({ type: 'item.updated', batchId: batch.id, item: forView(item), progress: { done, total: batch.items.length } })
  }

  private emit(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // A broken listener (a closed window) must not stop the queue.
      }
    }
  }

  private emitNotice(message: string): void {
    for (const batch of this.batches) if (!batch.report) this.emitSummary(batch)
    this.emit({ type: 'network', network: { ...this.network.state(), reason: message } })
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private parseSpec(spec: BatchSpec): ParsedBatchSpec {
    const parsed = batchSpecSchema.safeParse(spec)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue?.path.join('.') || undefined
      throw new AppError({ code: 'validation', field, message: `Invalid batch${field ? ` (${field})` : ''}: ${issue?.message ?? 'bad request'}.` })
    }
    return parsed.data
  }

  /** files × models, with the prompt resolved once (a template renders here, into the snapshot). */
  private expand(spec: ParsedBatchSpec, groupFor: (inputIndex: number) => string | undefined): ItemSnapshot[] {
    let prompt = spec.prompt?.trim() ?? ''
    if (spec.templateId) {
      if (!this.templates) throw new AppError({ code: 'validation', field: 'templateId', message: 'Templates are not available.' })
      prompt = this.templates.render(spec.templateId, spec.variables, spec.prompt)
    }
    const inputSets = spec.files.length ? spec.files.map((f) => [f, ...spec.references]) : [[...spec.references]]
    const snapshots: ItemSnapshot[] = []
    inputSets.forEach((inputs, index) => {
      const compareGroup = groupFor(index)
      for (const { model, provider, params } of spec.models) {
        snapshots.push({
          kind: spec.kind,
          inputs,
          model,
          provider,
          route: spec.route,
          prompt,
          templateId: spec.templateId,
          variables: spec.templateId ? spec.variables : undefined,
          // Merged here, once, so the estimate, the catalog check, the duplicate guard and the request all see the same set.
          params: withOverrides(spec.params, params),
          compareGroup,
          outputDir: spec.outputDir,
          sandbox: spec.sandbox
        })
      }
    })
    return snapshots
  }

  private targets(batch: Batch, itemIds?: string[]): JobItem[] {
    if (!itemIds) return batch.items
    return itemIds.map((id) => {
      const item = batch.items.find((i) => i.id === id)
      if (!item) throw new AppError({ code: 'validation', field: 'itemIds', message: `Item ${id} is not in batch "${batch.name}".` })
      return item
    })
  }

  private batch(batchId: string): Batch {
    const batch = this.batches.find((b) => b.id === batchId)
    if (!batch) throw new AppError({ code: 'not_found', field: 'batchId', message: `No batch with id ${batchId}; it may have been removed.` })
    return batch
  }

  private waitingProvider(): ProviderId {
    for (const batch of this.batches) for (const item of batch.items) if (item.hold === 'network') return item.snapshot.provider
    return 'pixapi'
  }

  private assertOpen(): void {
    if (this.closing) throw new AppError({ code: 'internal', message: 'The job queue is closing; start the batch again after restart.' })
  }
}

/** Shared params with one model's own on top; an override left unset keeps the shared value. */
function withOverrides(shared: RequestParams, own: Partial<RequestParams> | undefined): RequestParams {
  const set = Object.entries(own ?? {}).filter(([, value]) => value !== undefined)
  return { ...shared, ...(Object.fromEntries(set) as Partial<RequestParams>) }
}

function interruptedError(item: JobItem): AppErrorData {
  return {
    code: 'interrupted',
    requestId: item.submission.requestId ?? item.requestIds.at(-1),
    message: 'Interrupted (may have been charged): Pixdesk stopped while this request was in flight. Retry it to send it again.'
  }
}

/** Events and views carry the item without the bulky crash-recovery copy of its record. */
function forView(item: JobItem): JobItem {
  if (!item.pendingRecord) return { ...item }
  const { pendingRecord: _omit, ...rest } = item
  return rest
}

function defaultName(spec: ParsedBatchSpec, items: number): string {
  const models = spec.models.map((m) => m.model).join(' vs ')
  if (spec.compare) return `Compare ${models}`
  return `${items} item${items === 1 ? '' : 's'} · ${models}`
}

const sum = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) * 1e6) / 1e6

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitUntilGone(map: Map<string, unknown>, id: string): Promise<void> {
  while (map.has(id)) await delay(10)
}

async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
