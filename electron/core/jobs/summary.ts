import type { Ledger } from './budget'
import { isTerminal, type Batch, type BatchCounts, type BatchReport, type BatchState, type BatchSummary, type ItemState, type JobItem } from './model'

/**
 * What a batch looks like from outside: its summary for lists and progress bars, its final report, and
 * items as events and views carry them. Derived from the batch alone; nothing here changes it.
 */

export const sourceName = (item: JobItem) => item.snapshot.inputs[0]?.path ?? '(generated)'

/** Rounded so sums of fractional credits read as people expect. */
const sum = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) * 1e6) / 1e6

/** Events and views carry the item without the bulky crash-recovery copy of its record. */
export function forView(item: JobItem): JobItem {
  if (!item.pendingRecord) return { ...item }
  const { pendingRecord: _omit, ...rest } = item
  return rest
}

export function summarise(batch: Batch, ledger: Ledger): BatchSummary {
  const counts: BatchCounts = { total: batch.items.length, queued: 0, active: 0, done: 0, failed: 0, cancelled: 0, interrupted: 0, skipped: 0, waiting: 0 }
  for (const item of batch.items) {
    if (item.state === 'queued') {
      counts.queued++
      if (item.hold) counts.waiting++
    } else if (isTerminal(item.state)) counts[item.state as 'done' | 'failed' | 'cancelled' | 'interrupted' | 'skipped']++
    else counts.active++
  }
  const state = batchState(batch, counts)
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
    notice: notice(batch, state),
    report: batch.report
  }
}

function batchState(batch: Batch, counts: BatchCounts): BatchState {
  if (counts.queued === 0 && counts.active === 0) return batch.cancelled && counts.done < counts.total ? 'cancelled' : 'done'
  if (batch.paused) return 'paused'
  const queued = batch.items.filter((i) => i.state === 'queued')
  if (counts.active === 0 && queued.length && queued.every((i) => i.hold === 'network')) return 'waiting_network'
  if (counts.active === 0 && queued.some((i) => i.hold === 'budget') && queued.every((i) => i.hold === 'budget' || i.hold === 'duplicate')) return 'budget_reached'
  if (counts.active > 0 || batch.items.some((i) => i.timings.startedAt)) return 'running'
  return 'queued'
}

function notice(batch: Batch, state: BatchState): string | undefined {
  if (state === 'waiting_network') return 'Waiting for network: Pixdesk will continue by itself when the connection is back.'
  if (state === 'budget_reached') return batch.items.find((i) => i.hold === 'budget')?.error?.message ?? 'Budget reached.'
  const limited = batch.items.find((i) => i.state === 'queued' && i.hold === 'rate_limit')
  if (limited?.notBefore) return `The provider asked Pixdesk to slow down; continuing at ${limited.notBefore}.`
  if (batch.items.some((i) => i.state === 'queued' && i.hold === 'duplicate')) return 'Some items repeat an earlier success: run or skip them.'
  return undefined
}

export function report(batch: Batch, now: number): BatchReport {
  const count = (s: ItemState) => batch.items.filter((i) => i.state === s).length
  return {
    batchId: batch.id,
    finishedAt: batch.finishedAt ?? new Date(now).toISOString(),
    total: batch.items.length,
    done: count('done'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    interrupted: count('interrupted'),
    skipped: count('skipped'),
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
