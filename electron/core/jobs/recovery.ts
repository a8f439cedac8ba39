import type { AppErrorData } from '../../../shared/errors'
import type { RequestRecord } from '../../../shared/records'
import type { Budgets } from './budget'
import { isTerminal, recordInputOf, type Batch, type JobItem } from './model'
import type { QueueState } from './state'
import type { JobDeps } from './types'

/**
 * After a restart, every saved item is reconciled before anything starts: queued items go on, async
 * tasks in flight resume polling by task id, a paid result that was being saved is booked from the
 * ledger or saved again from what can still be had without paying (kept copies, result links, its
 * task), and a request that was in flight without a task id becomes "interrupted (may have been
 * charged)". No request is ever sent again by itself.
 */
export interface RecoveryContext {
  state: QueueState
  budgets: Budgets
  deps: JobDeps
  newId(): string
  now(): number
}

export async function recoverQueue(ctx: RecoveryContext): Promise<void> {
  const { state } = ctx
  for (const batch of state.batches) {
    for (const item of batch.items) {
      if (item.pendingRecord) await recoverPendingRecord(ctx, batch, item, item.pendingRecord)
      if (isTerminal(item.state)) continue
      item.hold = item.hold === 'duplicate' ? 'duplicate' : undefined
      if (item.submission.phase === 'accepted' && item.taskId) {
        state.requeue(batch, item, undefined)
      } else if (item.submission.phase === 'pending') {
        await recoverPendingSubmission(ctx, batch, item)
      } else if (item.state !== 'queued') {
        // Nothing was sent yet (preparing): it simply runs again.
        state.requeue(batch, item, undefined)
      }
    }
    state.refreshBatch(batch)
  }
}

export function interruptedError(item: JobItem): AppErrorData {
  return {
    code: 'interrupted',
    requestId: item.submission.requestId ?? item.requestIds.at(-1),
    message: 'Interrupted (may have been charged): Pixdesk stopped while this request was in flight. Retry it to send it again (it may be charged twice).'
  }
}

async function recoverPendingRecord(ctx: RecoveryContext, batch: Batch, item: JobItem, record: RequestRecord): Promise<void> {
  const { state, budgets, deps } = ctx
  if (item.historyPending) {
    // Finished last time, its history line still waiting: written now (unless it made it after all), or
    // kept waiting.
    // A result saved again replaces its earlier line under the same id: the status tells them apart.
    const already = (await deps.itemRecords(item.id).catch(() => [])).some((r) => r.id === record.id && r.status === record.status)
    const written =
      already ||
      (await deps.appendRecord(record).then(
        () => true,
        () => false
      ))
    if (written) {
      item.pendingRecord = undefined
      item.historyPending = false
    }
    return
  }
  const inLedger = (await deps.itemRecords(item.id)).find((r) => r.id === record.id)
  if (inLedger) {
    budgets.book(item, inLedger)
    item.outputs = inLedger.outputs
    item.submission = { phase: 'none' }
    if (inLedger.status === 'succeeded') state.finish(item, 'done')
    else state.finish(item, 'failed', inLedger.error)
    return
  }
  // Stopped while saving a paid result: its images are fetched or read again and saved, never bought again.
  const kept = await deps.findKeptImages(record.id).catch(() => [])
  const urls = item.savingFrom?.urls ?? []
  item.savingFrom = undefined
  if (kept.length || urls.length || item.taskId) {
    const from = kept.length ? "Pixdesk's recovery folder" : urls.length ? "the provider's result links" : `the provider's task ${item.taskId}`
    const error: AppErrorData = {
      code: 'not_saved',
      requestId: record.requestIds.at(-1),
      message: `Paid, not saved yet: Pixdesk stopped while saving this result. It is saved again from ${from} (no new charge).`
    }
    const waiting: RequestRecord = { ...record, status: 'failed', outputs: [], error }
    await deps.appendRecord(waiting)
    budgets.book(item, waiting, record.cost.credits)
    item.paidResult = { record: waiting, ...(kept.length ? { kept } : {}), ...(urls.length ? { urls } : {}), ...(item.taskId ? { taskId: item.taskId } : {}) }
    item.submission = { phase: 'none' }
    item.error = undefined
    state.requeue(batch, item, undefined)
    return
  }
  const error: AppErrorData = {
    code: 'interrupted',
    requestId: record.requestIds.at(-1),
    message:
      'The result arrived and was charged, but Pixdesk stopped before saving its images, and they cannot be fetched again. It is not sent again by itself: check the history, then retry it if you want to pay for it again.'
  }
  const lost: RequestRecord = { ...record, status: 'interrupted', outputs: [], error }
  await deps.appendRecord(lost)
  budgets.book(item, lost, record.cost.credits)
  item.submission = { phase: 'none' }
  state.finish(item, 'interrupted', error)
}

async function recoverPendingSubmission(ctx: RecoveryContext, batch: Batch, item: JobItem): Promise<void> {
  const { state, budgets, deps } = ctx
  // The ledger may already hold the answer if the crash came after it was written.
  const fresh = (await deps.itemRecords(item.id)).filter((r) => !item.recordIds.includes(r.id))
  const latest = fresh.at(-1)
  if (latest) {
    budgets.book(item, latest)
    item.submission = { phase: 'none' }
    if (latest.status === 'succeeded') {
      item.outputs = latest.outputs
      return state.finish(item, 'done')
    }
    return state.finish(item, 'failed', latest.error ?? { code: 'internal', message: 'The request failed.' })
  }
  item.mayHaveCharged = true
  const answered = item.submission.answered === true
  // Answered, with the links its images are at: fetched from there, not bought again.
  const links = answered ? item.savingFrom?.urls : undefined
  item.savingFrom = undefined
  const error: AppErrorData = links?.length
    ? {
        code: 'not_saved',
        requestId: item.submission.requestId ?? item.requestIds.at(-1),
        message: "Paid, not saved yet: Pixdesk stopped while fetching this result's images. They are downloaded again from the provider's result links (no new charge)."
      }
    : answered
    ? {
        code: 'interrupted',
        requestId: item.submission.requestId ?? item.requestIds.at(-1),
        message:
          'The server answered and charged this request, but Pixdesk stopped before its images were saved. It is not sent again by itself: check the history, then retry it if you want to pay for it again.'
      }
    : interruptedError(item)
  const now = new Date(ctx.now()).toISOString()
  // Answered means charged: the estimate is booked as spent. Otherwise it is credits at risk.
  const atRisk = item.estimate ?? 0
  const record: RequestRecord = {
    id: ctx.newId(),
    kind: item.snapshot.kind,
    provider: item.snapshot.provider,
    sandbox: item.snapshot.sandbox,
    route: item.snapshot.route,
    endpoint: deps.endpoint(item.snapshot),
    model: item.snapshot.model,
    params: item.snapshot.params,
    prompt: item.snapshot.prompt,
    inputs: item.snapshot.inputs.map(recordInputOf),
    requestIds: item.submission.requestId ? [item.submission.requestId] : [],
    attempts: [],
    startedAt: item.submission.at ?? now,
    finishedAt: now,
    latencyMs: 0,
    status: links?.length ? 'failed' : 'interrupted',
    error,
    cost: { credits: answered ? atRisk : 0, estimated: true, estimate: atRisk },
    outputs: [],
    batchId: item.batchId,
    compareGroup: item.snapshot.compareGroup,
    templateId: item.snapshot.templateId,
    jobItemId: item.id
  }
  await deps.appendRecord(record)
  if (answered) budgets.book(item, record, atRisk)
  else item.recordIds.push(record.id)
  item.submission = { phase: 'none' }
  if (!links?.length) return state.finish(item, 'interrupted', error)
  item.mayHaveCharged = false
  item.paidResult = { record, urls: links }
  item.error = undefined
  state.requeue(batch, item, undefined)
}
