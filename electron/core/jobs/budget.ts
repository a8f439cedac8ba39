import { toAppErrorData } from '../../../shared/errors'
import type { RequestRecord } from '../../../shared/records'
import type { Batch, JobItem } from './model'
import type { JobDeps, JobLimits } from './types'

/**
 * Budget rules. A cap is never crossed by starting work: every item running holds its estimate as a
 * reservation until it settles, so N items starting together cannot each see the same free credits.
 * Items that may have been charged without a result (interrupted submissions) count at their estimate.
 */

export interface Ledger {
  /** Credits actually charged (or recorded as charged). */
  charged: number
  /** Estimates of items in flight, plus those that may have been charged without telling us. */
  reserved: number
}

export type BudgetCheck =
  | { ok: true }
  | { ok: false; reason: 'cap'; cap: number; committed: number; needed: number }
  | { ok: false; reason: 'unpriced'; cap: number; committed: number }

export type BudgetScope = 'batch' | 'daily'

/** Rounded so sums of fractional credits (0.1 + 0.2) compare as people expect. */
const round = (n: number) => Math.round(n * 1e6) / 1e6

export function checkBudget(cap: number | null, ledger: Ledger, estimate: number | null): BudgetCheck {
  if (cap === null) return { ok: true }
  const committed = round(ledger.charged + ledger.reserved)
  // An item of unknown price could cost anything: under a cap it needs the user to decide.
  if (estimate === null) return { ok: false, reason: 'unpriced', cap, committed }
  if (round(committed + estimate) > cap) return { ok: false, reason: 'cap', cap, committed, needed: estimate }
  return { ok: true }
}

export function budgetMessage(scope: BudgetScope, check: Exclude<BudgetCheck, { ok: true }>): string {
  const what = scope === 'batch' ? "this batch's budget" : "today's budget"
  if (check.reason === 'unpriced') {
    return `Budget reached: the model's price is unknown, so it cannot be run within ${what} of ${check.cap} credits. Raise or remove the cap to run it.`
  }
  return `Budget reached: ${check.committed} of ${what} of ${check.cap} credits are spent or reserved and the next item needs ${check.needed}. Raise the cap to continue.`
}

/** Local calendar day start, for the daily cap. */
export function dayStart(now: number): Date {
  const d = new Date(now)
  d.setHours(0, 0, 0, 0)
  return d
}

/** Credits a record actually cost: failures are free unless the provider said otherwise. */
function chargeOf(record: RequestRecord): number {
  if (record.status === 'succeeded') return record.cost.credits
  return record.cost.estimated ? 0 : record.cost.credits
}

/** Why an item may not start now: held at a cap (with what to tell the user), or waiting for today's spend. */
export type BudgetVerdict = { ok: true } | { ok: false; cap?: { scope: BudgetScope; check: Exclude<BudgetCheck, { ok: true }>; message: string } }

/** Ledgers of one scheduling pass: summed once, then kept current as items start (O(N) per pass, not per item). */
export interface BudgetPass {
  batches: Map<string, Ledger>
  daily: Ledger | undefined
}

interface DailySpend {
  day: number
  /** Today's spend per the ledger when it was read; null until then. */
  base: number | null
  /** Charged by this process since. */
  extra: number
  loading: boolean
}

export interface BudgetsOptions {
  spentSince: JobDeps['spentSince']
  /** In flight: its estimate is reserved. */
  isRunning(item: JobItem): boolean
  batches(): readonly Batch[]
  /** Today's spend is known (or could not be read): items held for it may be looked at again. */
  onSpendKnown(): void
  onProblem(message: string): void
}

/** Every budget a running item is held to: its batch's cap and the daily cap, with today's spend. */
export class Budgets {
  private daily: DailySpend = { day: 0, base: null, extra: 0, loading: false }
  /** Batches whose "budget reached" has been announced since they last started an item. */
  private readonly announced = new Set<string>()

  constructor(private readonly options: BudgetsOptions) {}

  /** Starts reading today's spend when the day changed under a daily cap. */
  beginPass(limits: JobLimits, now: number): BudgetPass {
    const today = dayStart(now).getTime()
    if (limits.dailyBudgetCredits !== null && this.daily.day !== today) this.loadDaily(today)
    return { batches: new Map(), daily: undefined }
  }

  admit(batch: Batch, item: JobItem, limits: JobLimits, pass: BudgetPass): BudgetVerdict {
    let ledger = pass.batches.get(batch.id)
    if (!ledger) pass.batches.set(batch.id, (ledger = this.batchLedger(batch)))
    const batchCheck = checkBudget(batch.budgetCredits, ledger, item.estimate)
    if (!batchCheck.ok) return { ok: false, cap: { scope: 'batch', check: batchCheck, message: budgetMessage('batch', batchCheck) } }
    // The daily cap is about money: sandbox requests cost nothing.
    if (limits.dailyBudgetCredits !== null && !item.snapshot.sandbox) {
      // Until today's spend is known from the ledger, nothing may start under a daily cap.
      if (this.daily.base === null) return { ok: false }
      pass.daily ??= this.dailyLedger()
      const dailyCheck = checkBudget(limits.dailyBudgetCredits, pass.daily, item.estimate)
      if (!dailyCheck.ok) return { ok: false, cap: { scope: 'daily', check: dailyCheck, message: budgetMessage('daily', dailyCheck) } }
    }
    return { ok: true }
  }

  /** The item's estimate is held from the moment it starts, so the rest of this pass sees it. */
  reserve(batch: Batch, item: JobItem, pass: BudgetPass): void {
    const estimate = item.estimate ?? 0
    const ledger = pass.batches.get(batch.id)
    if (ledger) ledger.reserved += estimate
    if (pass.daily && !item.snapshot.sandbox) pass.daily.reserved += estimate
  }

  /** True once per batch until it starts an item again (or its cap changes): one "budget reached" each time. */
  shouldAnnounce(batchId: string): boolean {
    if (this.announced.has(batchId)) return false
    this.announced.add(batchId)
    return true
  }

  /** The batch started an item, or its cap changed: the next time it is held is news again. */
  rearm(batchId: string): void {
    this.announced.delete(batchId)
  }

  /** Books what a record cost on its item and on today's spend. */
  book(item: JobItem, record: RequestRecord, charge = chargeOf(record)): void {
    item.pendingRecord = undefined
    if (!item.recordIds.includes(record.id)) item.recordIds.push(record.id)
    if (charge > 0 || record.status === 'succeeded') {
      item.charged = (item.charged ?? 0) + charge
      item.chargedEstimated = record.cost.estimated
    }
    if (!record.sandbox && Date.parse(record.finishedAt) >= this.daily.day) this.daily.extra += charge
  }

  batchLedger(batch: Batch): Ledger {
    let charged = 0
    let reserved = 0
    for (const item of batch.items) {
      charged += item.charged ?? 0
      // A paid result being fetched again is already in `charged`.
      if ((this.options.isRunning(item) && !item.paidResult) || item.mayHaveCharged) reserved += item.estimate ?? 0
    }
    return { charged, reserved }
  }

  private dailyLedger(): Ledger {
    let reserved = 0
    const today = this.daily.day
    for (const batch of this.options.batches()) {
      for (const item of batch.items) {
        const finishedToday = item.timings.finishedAt !== undefined && Date.parse(item.timings.finishedAt) >= today
        if ((this.options.isRunning(item) && !item.paidResult) || (item.mayHaveCharged && finishedToday)) reserved += item.estimate ?? 0
      }
    }
    return { charged: (this.daily.base ?? 0) + this.daily.extra, reserved }
  }

  private loadDaily(day: number): void {
    if (this.daily.loading && this.daily.day === day) return
    this.daily = { day, base: null, extra: 0, loading: true }
    this.options
      .spentSince(new Date(day))
      .then((spent) => {
        if (this.daily.day === day) this.daily = { ...this.daily, base: spent, loading: false }
      })
      .catch((err: unknown) => {
        if (this.daily.day === day) this.daily = { day: 0, base: null, extra: 0, loading: false }
        this.options.onProblem(`Today's spend could not be read from the history (${toAppErrorData(err).message}); items wait under the daily cap.`)
      })
      .finally(() => this.options.onSpendKnown())
  }
}
