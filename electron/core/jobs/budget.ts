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

export function budgetMessage(scope: 'batch' | 'daily', check: Exclude<BudgetCheck, { ok: true }>): string {
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
