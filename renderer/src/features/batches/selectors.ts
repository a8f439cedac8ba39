import type { AssetView, BatchEstimateView, BatchView, ItemView } from '@shared/views'
import { finishedStates } from './jobsStore'

/** The batch list shows the newest first. */
export function batchesNewestFirst(batches: Record<string, BatchView>): BatchView[] {
  return Object.values(batches).sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}

/** The form's budget field: empty means no limit. */
function budgetCredits(budget: string): number | null {
  return budget.trim() === '' ? null : Number(budget)
}

/** What the estimate card may offer: the estimate only counts when it answers the form as it is now. */
export function estimateStatus(estimate: BatchEstimateView | null, estimateKey: string | null, currentKey: string, budget: string) {
  const fresh = estimate !== null && estimateKey === currentKey
  const limit = budgetCredits(budget)
  return {
    fresh,
    // Every selected image was refused: there is nothing to start until the selection changes.
    nothingToRun: fresh && estimate !== null && estimate.items === 0,
    overBudget: estimate !== null && limit !== null && estimate.total > limit,
    duplicates: estimate ? estimate.duplicates.length : 0
  }
}

/** Images the library or the last estimate says cannot be sent, with the reason to show on hover. */
export function unusableSources(sources: readonly AssetView[], estimate: BatchEstimateView | null): Map<string, string> {
  const unusable = new Map<string, string>()
  for (const a of sources) if (a.ok === false) unusable.set(a.id, a.error?.message ?? 'This file cannot be used.')
  for (const p of estimate?.problems ?? []) unusable.set(p.assetId, p.error.message)
  return unusable
}

export function batchProgress(batch: BatchView, items: readonly ItemView[]) {
  return {
    finished: finishedStates.has(batch.state),
    settled: batch.counts.done + batch.counts.failed + batch.counts.cancelled + batch.counts.interrupted + (batch.counts.skipped ?? 0),
    retryable: items.some((i) => i.state === 'failed' || i.state === 'interrupted' || i.state === 'cancelled') || batch.counts.failed > 0
  }
}

export interface ReportFailure {
  id: string
  source: string
  model: string
  message: string
  requestId: string | undefined
  /** The file could not be used: nothing was sent (listed apart from the requests that failed). */
  skipped: boolean
}

/** The engine's report is the record of what failed; items fill in only while it is not there yet. */
export function reportFailures(batch: BatchView, items: readonly ItemView[]): ReportFailure[] {
  const report = batch.report
  if (report) {
    return report.failures.map((f) => ({
      id: f.itemId,
      // The report names the file by path; the list shows the name the rest of the view uses.
      source: items.find((i) => i.id === f.itemId)?.sourceName ?? f.source.split(/[\\/]/).pop() ?? f.source,
      model: f.model,
      message: f.reason.message,
      requestId: f.requestId ?? f.reason.requestId,
      skipped: f.state === 'skipped'
    }))
  }
  return items
    .filter((i) => i.state === 'failed' || i.state === 'interrupted' || i.state === 'skipped')
    .map((i) => ({
      id: i.id,
      source: i.sourceName,
      model: i.model,
      message: i.error?.message ?? 'Interrupted before it finished.',
      requestId: i.requestId ?? i.error?.requestId,
      skipped: i.state === 'skipped'
    }))
}

export function reportTotals(batch: BatchView, items: readonly ItemView[]) {
  const report = batch.report
  return {
    outputs: items.reduce((n, i) => n + i.outputs.length, 0),
    done: report?.done ?? batch.counts.done,
    failed: report ? report.failed + report.interrupted : batch.counts.failed + batch.counts.interrupted,
    cancelled: report?.cancelled ?? batch.counts.cancelled,
    skipped: report?.skipped ?? batch.counts.skipped ?? 0,
    charged: report?.charged ?? batch.charged,
    estimate: report?.estimate ?? batch.estimate
  }
}

/** The queued items' order with one item moved `by` places; null when it cannot move that way. */
export function queueAfterMove(items: readonly ItemView[], id: string, by: number): string[] | null {
  const queued = items.filter((i) => i.state === 'queued').map((i) => i.id)
  const at = queued.indexOf(id)
  const to = at + by
  if (at < 0 || to < 0 || to >= queued.length) return null
  queued.splice(at, 1)
  queued.splice(to, 0, id)
  return queued
}

export function duplicatesOnHold(items: readonly ItemView[]): ItemView[] {
  return items.filter((i) => i.hold === 'duplicate' && i.state === 'queued')
}
