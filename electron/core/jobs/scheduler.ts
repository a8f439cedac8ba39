import { AppError } from '../../../shared/errors'
import type { ProviderId } from '../../../shared/records'
import type { BudgetPass, Budgets } from './budget'
import { isTerminal, type Batch, type ItemHold, type JobItem } from './model'
import type { NetworkMonitor } from './network'
import type { Progress } from './progress'
import type { QueueState } from './state'
import type { BackoffOptions, JobLimits } from './types'

/** 'yield': a prepared item gives its place back (its batch paused, its provider paused, offline). */
type StopReason = 'cancel' | 'close' | 'yield'

/**
 * Where a run is. Only 'net' (a request on the wire: submit, wait, poll, download) counts against the
 * concurrency limits; 'local' (preparing the upload) and 'waiting' (prepared, waiting for a slot) form a
 * second wave of the same size, so the next items are ready the moment a slot frees; 'finishing'
 * (writing outputs and the history line) is not limited: the result is paid for and must be kept.
 */
type RunPhase = 'local' | 'waiting' | 'net' | 'finishing'

/** One item being worked on, from the moment the scheduler starts it until it settles. */
export interface Run {
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

export interface SchedulerOptions {
  state: QueueState
  progress: Progress
  budgets: Budgets
  network: NetworkMonitor
  /** Read on every pass, so settings changes apply at once. */
  limits: () => JobLimits
  runOnly?: (batchId: string) => boolean
  backoff: BackoffOptions
  now(): number
  /** Hands an item to whoever runs it; the scheduler has already counted it. */
  start(batch: Batch, item: JobItem, resuming: boolean): void
}

/**
 * Decides what starts and when: queue order, the global, per-provider and per-batch limits, provider
 * pauses after a 429, the network, budgets. Changes asking for a pass together get one pass (see
 * wake), and a timer wakes it for the earliest held item.
 */
export class Scheduler {
  readonly runs = new Map<string, Run>()
  private readonly providerPause = new Map<ProviderId, number>()
  private readonly rateLimitStreak = new Map<ProviderId, number>()
  /** Index before which every item of a batch is settled: a pass starts there. */
  private readonly scanFrom = new Map<string, number>()
  private passQueued = false
  /** A pass ran right after a change since the loop last reached its check phase. */
  private passedEarly = false
  private wakeTimer: NodeJS.Timeout | undefined
  private wakeAt = Infinity
  /** Nothing starts until every saved item has been reconciled, nor once closing. */
  private running = false

  constructor(private readonly options: SchedulerOptions) {}

  /** Recovery is done: passes may start work. */
  begin(): void {
    this.running = true
    this.wake()
  }

  stop(): void {
    this.running = false
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
  }

  /**
   * Asks for a pass on the next tick. `now`: a slot was freed, and it goes to the next prepared item as
   * soon as the current change is done, not after every other callback waiting in this turn of the
   * event loop. Only one pass per turn runs that early, so a busy queue cannot starve the loop.
   */
  wake(now = false): void {
    if (this.passQueued || !this.running) return
    this.passQueued = true
    const run = () => {
      this.passQueued = false
      this.pass()
    }
    if (!now || this.passedEarly) {
      setImmediate(run)
      return
    }
    this.passedEarly = true
    setImmediate(() => (this.passedEarly = false))
    queueMicrotask(run)
  }

  /** The batch's order or settled items changed: the next pass looks at it from its start. */
  rescan(batchId: string): void {
    this.scanFrom.delete(batchId)
  }

  /** In flight: started and not yet settled (a settled item may still be saving; its charge is booked). */
  isRunning(item: JobItem): boolean {
    return this.runs.has(item.id) && !isTerminal(item.state) && item.state !== 'queued'
  }

  /** A 429: the provider's whole queue waits until `retryAfterMs` from now (or a growing backoff). */
  rateLimited(provider: ProviderId, retryAfterMs: number | undefined): number {
    const streak = (this.rateLimitStreak.get(provider) ?? 0) + 1
    this.rateLimitStreak.set(provider, streak)
    const until = this.options.now() + (retryAfterMs ?? this.backoffMs(streak))
    if (until > (this.providerPause.get(provider) ?? 0)) {
      this.providerPause.set(provider, until)
      this.options.progress.emit({ type: 'rate_limited', provider, until: new Date(until).toISOString() })
    }
    return until
  }

  /** The provider answered a request in full: its next 429 starts the backoff again. */
  providerAnswered(provider: ProviderId): void {
    this.rateLimitStreak.delete(provider)
  }

  /** min(max, base·2^(attempt-1)) + jitter. */
  backoffMs(attempt: number): number {
    const { baseMs, maxMs, jitterMs } = this.options.backoff
    return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1)) + Math.random() * jitterMs
  }

  /** Prepared items of a paused batch give their places back; anything already sent runs to its end. */
  yieldWaiting(batch: Batch): void {
    for (const run of this.runs.values()) if (run.batch === batch && run.phase === 'waiting') this.yieldRun(run, undefined)
  }

  /** Waits for a slot on the wire; resolves early when the run is stopped (the caller checks). */
  acquireSlot(run: Run): Promise<void> {
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
      this.wake()
    })
  }

  /** The wire is done with this run: its slot goes to the next prepared item at once. */
  releaseSlot(run: Run): void {
    if (run.phase !== 'net') return
    run.phase = 'finishing'
    this.wake(true)
  }

  yieldRun(run: Run, hold: ItemHold | undefined, until?: number): void {
    if (run.stop) return
    run.stop = 'yield'
    run.yieldTo = { hold, until }
    run.controller.abort(new AppError({ code: 'cancelled', message: 'Back in the queue until it can be sent.' }))
  }

  private pass(): void {
    if (!this.running) return
    const limits = this.options.limits()
    const now = this.options.now()
    const net = new Wave()
    const ahead = new Wave()
    for (const run of this.runs.values()) {
      if (run.phase === 'net') net.add(run.item)
      else if (run.phase === 'local' || run.phase === 'waiting') ahead.add(run.item)
    }
    const budgets = this.options.budgets.beginPass(limits, now)
    let nextWake = Infinity
    const { runOnly, state } = this.options
    scan: for (const batch of state.batches) {
      if (batch.paused || batch.cancelled || state.isUnsaved(batch.id)) continue
      if (runOnly && !runOnly(batch.id)) continue
      let settled = this.scanFrom.get(batch.id) ?? 0
      for (let k = settled; k < batch.items.length; k++) {
        if (net.full(limits) && ahead.full(limits)) break scan
        const item = batch.items[k] as JobItem
        const run = this.runs.get(item.id)
        if (k === settled && !run && isTerminal(item.state)) settled++
        if (run) {
          if (run.phase === 'waiting') nextWake = Math.min(nextWake, this.offerSlot(run, net, ahead, limits, now))
          continue
        }
        if (item.state !== 'queued' || item.hold === 'duplicate') continue
        nextWake = Math.min(nextWake, this.consider(batch, item, { net, ahead, limits, now, budgets }))
      }
      this.scanFrom.set(batch.id, settled)
    }
    if (nextWake < Infinity) this.wakeUpAt(nextWake)
  }

  /** A queued item: started, or held (and when to look again). */
  private consider(batch: Batch, item: JobItem, pass: { net: Wave; ahead: Wave; limits: JobLimits; now: number; budgets: BudgetPass }): number {
    const { net, ahead, limits, now, budgets } = pass
    const pausedUntil = this.providerPause.get(item.snapshot.provider) ?? 0
    if (pausedUntil > now) {
      this.options.state.hold(batch, item, 'rate_limit', pausedUntil)
      return pausedUntil
    }
    const notBefore = item.notBefore ? Date.parse(item.notBefore) : 0
    if (notBefore > now) return notBefore
    // Saving a kept result again needs only the disk.
    if (!this.options.network.isOnline() && !item.paidResult?.kept?.length) {
      this.options.state.hold(batch, item, 'network')
      return Infinity
    }
    const paid = item.paidResult !== undefined
    const resuming = paid || (item.submission.phase === 'accepted' && item.taskId !== undefined)
    // A task that already exists needs no upload: it goes straight to the wire.
    const wave = resuming ? net : ahead
    if (!wave.fits(item, batch, limits)) return Infinity
    // A task that already exists is paid for or will be, as is a result fetched again: neither waits on a budget.
    if (!resuming && !this.withinBudget(batch, item, limits, budgets)) return Infinity
    item.hold = undefined
    item.notBefore = undefined
    wave.add(item)
    if (!paid) this.options.budgets.reserve(batch, item, budgets)
    this.options.start(batch, item, resuming)
    return Infinity
  }

  private withinBudget(batch: Batch, item: JobItem, limits: JobLimits, pass: BudgetPass): boolean {
    const verdict = this.options.budgets.admit(batch, item, limits, pass)
    if (verdict.ok) return true
    if (!verdict.cap) return false
    const { scope, check, message } = verdict.cap
    this.options.state.holdForBudget(batch, item, message)
    if (this.options.budgets.shouldAnnounce(batch.id)) {
      this.options.progress.emit({ type: 'budget.reached', batchId: batch.id, scope, cap: check.cap, committed: check.committed, needed: item.estimate ?? 0 })
    }
    return false
  }

  /** A prepared item asks for a slot: granted, left waiting, or sent back to the queue to wait there. */
  private offerSlot(run: Run, net: Wave, ahead: Wave, limits: JobLimits, now: number): number {
    const { item, batch } = run
    const pausedUntil = this.providerPause.get(item.snapshot.provider) ?? 0
    if (pausedUntil > now) {
      this.yieldRun(run, 'rate_limit', pausedUntil)
      return pausedUntil
    }
    if (!this.options.network.isOnline()) {
      this.yieldRun(run, 'network')
      return Infinity
    }
    if (!net.fits(item, batch, limits)) return Infinity
    net.add(item)
    ahead.add(item, -1)
    run.grant?.()
    return Infinity
  }

  private wakeUpAt(at: number): void {
    if (at >= this.wakeAt && this.wakeTimer) return
    if (this.wakeTimer) clearTimeout(this.wakeTimer)
    this.wakeAt = at
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined
        this.wakeAt = Infinity
        this.wake()
      },
      Math.max(0, at - this.options.now())
    )
  }
}
