import { AppError, toAppErrorData, type AppErrorData } from '../../../shared/errors'
import type { RecordOutput, RequestRecord } from '../../../shared/records'
import type { Budgets } from './budget'
import { ACTIVE_STATES, canFetchAgain, type Batch, type ItemState, type JobItem, type PaidResult } from './model'
import { isNetworkError, wasNeverSent, type NetworkMonitor } from './network'
import type { Progress } from './progress'
import { interruptedError } from './recovery'
import type { Run, Scheduler } from './scheduler'
import type { QueueState } from './state'
import type { JobDeps, JobLimits, PreparedRequest, RunContext, RunOutcome, RunStage } from './types'

const UPLOAD_EVENT_MS = 100

export interface RunnerOptions {
  state: QueueState
  progress: Progress
  scheduler: Scheduler
  budgets: Budgets
  network: NetworkMonitor
  deps: JobDeps
  limits: () => JobLimits
  now(): number
}

/**
 * Runs one item: prepares its upload, waits for a slot, makes the submission durable, sends it, saves
 * what came back and books it; or decides what a failure means (wait for the provider, for the network,
 * try again later, or fail).
 */
export class Runner {
  /** When each item last reported upload progress to listeners. */
  private readonly lastUpload = new Map<string, number>()

  constructor(private readonly options: RunnerOptions) {}

  start(batch: Batch, item: JobItem, resuming: boolean): void {
    const { scheduler, state, budgets } = this.options
    const controller = new AbortController()
    const run: Run = { batch, item, controller, phase: resuming ? 'net' : 'local' }
    scheduler.runs.set(item.id, run)
    budgets.rearm(batch.id)
    if (item.error?.code === 'budget_reached') item.error = undefined
    item.timings.startedAt ??= new Date(this.options.now()).toISOString()
    state.enter(batch, item, resuming ? 'polling' : 'preparing')
    const work = item.paidResult ? this.runPaidResult(run, item.paidResult) : resuming ? this.runResume(run) : this.runFresh(run)
    void work
      .catch((err: unknown) => this.crashed(run, err))
      .finally(() => {
        if (scheduler.runs.get(item.id) === run) scheduler.runs.delete(item.id)
        this.lastUpload.delete(item.id)
        state.refreshBatch(batch)
        scheduler.wake()
      })
  }

  /**
   * Lets requests in flight finish for up to `graceMs`, then aborts the rest: async tasks keep their id
   * and resume next time; a sync request cut off becomes interrupted.
   */
  async stopAll(graceMs: number): Promise<void> {
    const runs = this.options.scheduler.runs
    const settled = () => Promise.all([...runs.values()].map((r) => waitUntilGone(runs, r.item.id)))
    if (runs.size && graceMs > 0) await Promise.race([settled(), delay(graceMs)])
    for (const run of runs.values()) {
      run.stop = 'close'
      run.controller.abort(new AppError({ code: 'cancelled', message: 'Pixdesk is closing.' }))
    }
    await settled()
  }

  /** Aborts a run the user cancelled; false when the item is not in flight (it can be settled at once). */
  cancel(item: JobItem): boolean {
    const run = this.options.scheduler.runs.get(item.id)
    if (!run || !this.options.scheduler.isRunning(item)) return false
    run.stop = 'cancel'
    run.controller.abort(new AppError({ code: 'cancelled', message: 'Cancelled by you.' }))
    return true
  }

  private isLive(run: Run): boolean {
    return this.options.scheduler.runs.get(run.item.id) === run && (ACTIVE_STATES as readonly ItemState[]).includes(run.item.state)
  }

  private context(run: Run): RunContext {
    const { batch, item } = run
    const { state, progress, scheduler } = this.options
    return {
      signal: run.controller.signal,
      onStage: (stage: RunStage) => {
        // Late progress from a run that already settled must not bring its item back to life.
        if (!this.isLive(run)) return
        if (stage !== 'uploading') item.uploadedBytes = item.uploadTotalBytes
        // The provider has answered: fetching and checking the images no longer holds its request slot.
        if (stage === 'downloading') scheduler.releaseSlot(run)
        if (item.state !== stage) state.enter(batch, item, stage)
      },
      onUpload: (sentBytes, totalBytes) => {
        if (!this.isLive(run)) return
        item.uploadedBytes = sentBytes
        item.uploadTotalBytes = totalBytes
        // At most ~10 updates a second per item reach the UI, and always the last one; progress is not journalled.
        const now = this.options.now()
        if (sentBytes < totalBytes && now - (this.lastUpload.get(item.id) ?? -Infinity) < UPLOAD_EVENT_MS) return
        this.lastUpload.set(item.id, now)
        state.changed(batch, item, false)
      },
      onAnswered: (requestId, outputUrls) => {
        if (!this.isLive(run)) return
        if (requestId && !item.requestIds.includes(requestId)) item.requestIds.push(requestId)
        // A resumed task is already 'accepted'; a sync answer turns 'pending' into "answered, charged".
        if (item.submission.phase !== 'pending') return
        const newLinks = outputUrls?.length && !item.savingFrom?.urls ? outputUrls : undefined
        if (item.submission.answered && (!requestId || item.submission.requestId === requestId) && !newLinks) return
        if (newLinks) item.savingFrom = { urls: newLinks }
        item.submission = { ...item.submission, answered: true, requestId: requestId ?? item.submission.requestId }
        // Durable by the end of this turn, while the images are fetched (the pass that gives the freed slot
        // to the next item runs first, so this line and that item's submission share one fsync): a crash
        // from then on books the charge with its id.
        void progress.saveThisTurn(item).catch((err: unknown) => progress.problem(toAppErrorData(err).message))
      },
      onTaskSubmitted: (taskId, requestId) => {
        item.taskId = taskId
        item.submission = { phase: 'accepted', at: new Date(this.options.now()).toISOString(), taskId, requestId }
        if (requestId && !item.requestIds.includes(requestId)) item.requestIds.push(requestId)
        // The task id is what makes a crash from here on recoverable without resubmitting.
        void progress.saveNow(item).catch((err: unknown) => progress.problem(toAppErrorData(err).message))
        state.changed(batch, item, false)
      }
    }
  }

  private async runFresh(run: Run): Promise<void> {
    const { batch, item, controller } = run
    const { deps, scheduler, state, progress } = this.options
    let prepared: PreparedRequest
    try {
      prepared = await deps.prepare(item, controller.signal)
    } catch (err) {
      if (controller.signal.aborted) return this.stopped(run, false)
      item.attempts++
      return state.finish(item, 'failed', toAppErrorData(err))
    }
    try {
      if (controller.signal.aborted) return this.stopped(run, false)
      await scheduler.acquireSlot(run)
      if (controller.signal.aborted) return this.stopped(run, false)
      item.uploadTotalBytes = prepared.uploadBytes
      item.uploadedBytes = 0
      item.submission = { phase: 'pending', at: new Date(this.options.now()).toISOString() }
      item.savingFrom = undefined
      state.enter(batch, item, 'uploading')
      // On disk before a byte is sent: after a crash this item is never sent again by itself.
      await progress.saveNow(item)
      if (controller.signal.aborted) {
        item.submission = { phase: 'none' }
        return this.stopped(run, false)
      }
      let outcome: RunOutcome
      try {
        outcome = await deps.execute(item, prepared, this.context(run))
      } catch (err) {
        // Refused before sending (the catalog's pre-flight checks): nothing was sent or charged.
        if (!(err instanceof AppError) || err.code !== 'validation') throw err
        item.submission = { phase: 'none' }
        item.attempts++
        return state.finish(item, 'failed', err.data)
      } finally {
        scheduler.releaseSlot(run)
      }
      await this.settle(run, outcome)
    } finally {
      await prepared.cleanup().catch(() => undefined)
    }
  }

  private async runResume(run: Run): Promise<void> {
    const taskId = run.item.taskId as string
    let outcome: RunOutcome
    try {
      outcome = await this.options.deps.resume(run.item, taskId, this.context(run))
    } finally {
      this.options.scheduler.releaseSlot(run)
    }
    await this.settle(run, outcome)
  }

  private async settle(run: Run, outcome: RunOutcome): Promise<void> {
    const { batch, item } = run
    const { deps, budgets } = this.options
    const record: RequestRecord = { ...outcome.record, ...lineageOf(item, outcome.record), batchId: batch.id, jobItemId: item.id, compareGroup: item.snapshot.compareGroup, templateId: item.snapshot.templateId }
    // The answer is in hand: from here on keepResult (or the failure path) says how it can be had again.
    item.savingFrom = undefined
    for (const id of record.requestIds) if (!item.requestIds.includes(id)) item.requestIds.push(id)
    if (record.taskId) item.taskId = record.taskId
    item.latencyMs = record.latencyMs
    item.aboveEstimate = record.cost.aboveEstimate || undefined
    item.outputsDiscarded = record.outputsDiscarded || undefined
    item.maskLeak = record.mask?.leak.length ? Math.max(...record.mask.leak) : undefined
    if (record.status === 'succeeded') return this.keepResult(run, outcome, record)
    if (record.error?.code === 'download_failed' && (outcome.outputUrls?.length || record.taskId)) return this.keepUndelivered(run, outcome, record)
    await deps.appendRecord(record)
    budgets.book(item, record)
    const error: AppErrorData = record.error ?? { code: 'internal', message: 'The request failed without giving a reason.' }
    if (run.stop || record.status === 'cancelled' || error.code === 'cancelled') {
      return this.stopped(run, true)
    }
    this.classifyFailure(run, error)
  }

  /** The result is paid for: its record stays on disk until it is in the ledger, with the images saved or not. */
  private async keepResult(run: Run, outcome: RunOutcome, record: RequestRecord): Promise<void> {
    const { batch, item } = run
    const { deps, budgets, state, progress, network, scheduler } = this.options
    item.pendingRecord = record
    item.submission = { phase: 'none' }
    item.savingFrom = await this.savingSource(record, outcome, item.taskId)
    state.enter(batch, item, 'downloading')
    await progress.saveNow(item)
    let finalRecord: RequestRecord
    try {
      const outputs = await deps.writeOutputs(item, outcome, { batchName: batch.name })
      finalRecord = { ...record, outputs }
      if (item.savingFrom?.kept?.length) await deps.discardKeptImages(record.id).catch(() => undefined)
    } catch (err) {
      const reason = toAppErrorData(err)
      if (reason.code === 'bad_response') {
        finalRecord = { ...record, status: 'failed', outputs: [], error: { ...reason, message: `The answer was charged but is not usable: ${reason.message}` } }
        if (item.savingFrom?.kept?.length) await deps.discardKeptImages(record.id).catch(() => undefined)
      } else {
        const kept = item.savingFrom?.kept
        const paid: PaidResult = kept?.length ? { record, kept } : await this.keepPaidImages(record, outcome, item.taskId)
        item.paidResult = paid
        finalRecord = { ...record, status: 'failed', outputs: [], error: notSavedError(reason, paid, record) }
        paid.record = finalRecord
      }
    }
    // The item's result is decided now; only its history line may still have to wait.
    item.savingFrom = undefined
    item.pendingRecord = finalRecord
    const inHistory = await this.ledger(item, finalRecord)
    budgets.book(item, finalRecord)
    if (!inHistory) item.pendingRecord = finalRecord
    item.attempts++
    network.reportSuccess()
    scheduler.providerAnswered(item.snapshot.provider)
    if (finalRecord.status === 'succeeded') {
      item.outputs = finalRecord.outputs
      item.error = undefined
      state.finish(item, 'done')
    } else {
      state.finish(item, 'failed', finalRecord.error)
    }
  }

  /**
   * How a paid result's images can be had again if Pixdesk stops while saving them. Images that exist
   * only in this process's memory (an answer that carried them inline, with no task behind it) are kept
   * in the recovery folder first; URLs and tasks cost nothing to remember.
   */
  private async savingSource(record: RequestRecord, outcome: RunOutcome, taskId: string | undefined): Promise<JobItem['savingFrom']> {
    if (outcome.outputUrls?.length) return { urls: outcome.outputUrls }
    if (taskId || !outcome.images.length) return undefined
    try {
      return { kept: await this.options.deps.keepImages(record.id, outcome.images) }
    } catch (err) {
      // Saving goes on regardless: this copy only matters if Pixdesk stops in the next moments.
      this.options.progress.problem(`A safety copy of paid request ${record.requestIds.at(-1) ?? record.id} could not be kept (${toAppErrorData(err).message}); saving it goes on.`)
      return undefined
    }
  }

  /**
   * Images that could not be written where they belong go to the recovery area; when even that fails,
   * what is left is a way to fetch them again (the output URLs, or the async task).
   */
  private async keepPaidImages(record: RequestRecord, outcome: RunOutcome, taskId: string | undefined): Promise<PaidResult> {
    const again = { ...(outcome.outputUrls?.length ? { urls: outcome.outputUrls } : {}), ...(taskId ? { taskId } : {}) }
    try {
      return { record, kept: await this.options.deps.keepImages(record.id, outcome.images), ...again }
    } catch (err) {
      this.options.progress.problem(`The recovery folder could not be written either (${toAppErrorData(err).message}); request ${record.requestIds.at(-1) ?? record.id} is paid but not saved.`)
      return { record, ...again }
    }
  }

  /** A charged answer whose images could not be downloaded: booked now, fetched again later, never sent again. */
  private async keepUndelivered(run: Run, outcome: RunOutcome, record: RequestRecord): Promise<void> {
    const { batch, item } = run
    const { budgets, network, scheduler } = this.options
    item.paidResult = { record, ...(outcome.outputUrls?.length ? { urls: outcome.outputUrls } : {}), ...(record.taskId ? { taskId: record.taskId } : {}) }
    item.submission = { phase: 'none' }
    item.pendingRecord = record
    const inHistory = await this.ledger(item, record)
    budgets.book(item, record)
    if (!inHistory) item.pendingRecord = record
    network.reportSuccess()
    this.fetchFailed(batch, item, record.error ?? { code: 'download_failed', message: 'The result could not be downloaded.' })
    scheduler.providerAnswered(item.snapshot.provider)
  }

  /** A paid result could not be fetched (again): try later on its own while that may help, else the user decides. */
  private fetchFailed(batch: Batch, item: JobItem, error: AppErrorData): void {
    const { state, network, scheduler } = this.options
    if (isNetworkError(error)) {
      network.reportFailure(error.message)
      return state.requeue(batch, item, 'network')
    }
    item.attempts++
    if (error.retryable && item.attempts < this.options.limits().maxAttempts) {
      return state.requeue(batch, item, 'retry_backoff', this.options.now() + scheduler.backoffMs(item.attempts))
    }
    const again = 'It is paid for: Retry fetches it again without a new request or charge.'
    state.finish(item, 'failed', { ...error, requestId: error.requestId ?? item.paidResult?.record.requestIds.at(-1), message: `${error.message} ${again}` })
  }

  /** Fetches or reads a paid result's images again and saves them: the request itself is never sent again. */
  private async runPaidResult(run: Run, paid: PaidResult): Promise<void> {
    const { item } = run
    const { deps, scheduler } = this.options
    let images: unknown[]
    try {
      if (paid.kept?.length) {
        this.options.state.enter(run.batch, item, 'downloading')
        images = await deps.readKeptImages(paid.kept)
      } else if (paid.urls?.length) {
        images = await deps.downloadAgain(item, paid.urls, this.context(run))
      } else if (paid.taskId) {
        const outcome = await deps.resume(item, paid.taskId, this.context(run))
        if (outcome.record.status !== 'succeeded') throw new AppError(outcome.record.error ?? { code: 'download_failed', message: 'The task could not be fetched again.' })
        images = outcome.images
      } else {
        throw new AppError({ code: 'not_saved', message: 'Nothing of this paid result is left to fetch again.' })
      }
    } catch (err) {
      if (run.controller.signal.aborted) return this.stopped(run, false)
      return this.fetchFailed(run.batch, item, toAppErrorData(err))
    } finally {
      scheduler.releaseSlot(run)
    }
    await this.savePaid(run, paid, images)
  }

  private async savePaid(run: Run, paid: PaidResult, images: unknown[]): Promise<void> {
    const { batch, item } = run
    const { deps, state } = this.options
    state.enter(batch, item, 'downloading')
    let outputs: RecordOutput[]
    try {
      outputs = await deps.writeOutputs(item, { record: paid.record, images }, { batchName: batch.name, outputDir: paid.saveTo })
    } catch (err) {
      const reason = toAppErrorData(err)
      const kept = paid.kept?.length ? paid : await this.keepPaidImages(paid.record, { record: paid.record, images, outputUrls: paid.urls }, paid.taskId)
      item.paidResult = { ...kept, saveTo: undefined }
      item.attempts++
      return state.finish(item, 'failed', notSavedError(reason, kept, paid.record))
    }
    // The same record, now with its files: the history keeps the newest line per id, so the charge counts once.
    const saved: RequestRecord = { ...paid.record, status: 'succeeded', error: undefined, outputs }
    item.paidResult = undefined
    await this.ledger(item, saved)
    if (paid.kept?.length) await deps.discardKeptImages(paid.record.id).catch(() => undefined)
    item.attempts++
    item.outputs = outputs
    item.error = undefined
    state.finish(item, 'done')
  }

  /**
   * Appends a paid result's record; when the history cannot take it (disk full, permissions), the record
   * stays in the queue file as the item's pendingRecord, durable, and is appended later (see
   * appendPendingRecords): the charge is never dropped, and the item says it is not yet in history.
   */
  private async ledger(item: JobItem, record: RequestRecord): Promise<boolean> {
    try {
      await this.options.deps.appendRecord(record)
      item.historyPending = false
      return true
    } catch (err) {
      item.historyPending = true
      item.pendingRecord = record
      await this.options.progress.saveNow(item).catch(() => undefined)
      this.options.progress.problem(
        `The history could not be written (${toAppErrorData(err).message}); request ${record.requestIds.at(-1) ?? record.id} is kept and written there as soon as it can be.`
      )
      return false
    }
  }

  /** Writes the records that the history could not take before; true when none is left waiting. */
  async appendPendingRecords(): Promise<boolean> {
    const { state, deps } = this.options
    let left = false
    for (const batch of state.batches) {
      for (const item of batch.items) {
        if (!item.historyPending || !item.pendingRecord) continue
        try {
          await deps.appendRecord(item.pendingRecord)
          item.pendingRecord = undefined
          item.historyPending = false
          state.changed(batch, item)
        } catch {
          left = true
        }
      }
    }
    return !left
  }

  /** Decides what a failed run means: wait for the provider, for the network, retry later, or fail. */
  private classifyFailure(run: Run, error: AppErrorData): void {
    const { batch, item } = run
    const { state, network, scheduler } = this.options
    const taskExists = item.submission.phase === 'accepted' && item.taskId !== undefined
    if (error.code === 'rate_limited') {
      network.reportSuccess()
      item.rateLimitHits++
      const until = scheduler.rateLimited(item.snapshot.provider, error.retryAfterMs)
      if (!taskExists) item.submission = { phase: 'none' }
      if (item.rateLimitHits > this.options.limits().maxRateLimitHits) {
        return state.finish(item, 'failed', { ...error, message: `${error.message} (rate limited ${item.rateLimitHits} times; giving up)` })
      }
      return state.requeue(batch, item, 'rate_limit', until)
    }
    if (isNetworkError(error)) {
      if (!taskExists && item.snapshot.route === 'async' && !wasNeverSent(error)) {
        // The connection broke after the submit left: a task may exist that we have no id for.
        // Submitting again could pay twice, so the user decides.
        item.mayHaveCharged = true
        return state.finish(item, 'interrupted', {
          ...error,
          code: 'interrupted',
          message: `The connection broke while the task was being submitted, so it may exist and be charged. Retry to submit it again. (${error.message})`
        })
      }
      if (!taskExists) item.submission = { phase: 'none' }
      network.reportFailure(error.message)
      return state.requeue(batch, item, 'network')
    }
    network.reportSuccess()
    item.attempts++
    const limit = this.options.limits().maxAttempts
    if (error.retryable && !taskExists && item.attempts < limit) {
      item.submission = { phase: 'none' }
      return state.requeue(batch, item, 'retry_backoff', this.options.now() + scheduler.backoffMs(item.attempts))
    }
    const tries = item.attempts > 1 ? ` (after ${item.attempts} tries)` : ''
    state.finish(item, 'failed', { ...error, message: `${error.message}${tries}` })
  }

  /** A run stopped by the user (cancel), by closing the app, or sent back to the queue (yield). */
  private stopped(run: Run, mayHaveBeenSent: boolean): void {
    const { batch, item } = run
    const { state } = this.options
    const taskExists = item.submission.phase === 'accepted' && item.taskId !== undefined
    if (run.stop === 'yield' && !mayHaveBeenSent) {
      item.submission = { phase: 'none' }
      return state.requeue(batch, item, run.yieldTo?.hold, run.yieldTo?.until)
    }
    if (run.stop === 'close') {
      if (taskExists) return state.requeue(batch, item, undefined)
      if (mayHaveBeenSent) {
        item.mayHaveCharged = true
        return state.finish(item, 'interrupted', interruptedError(item))
      }
      item.submission = { phase: 'none' }
      return state.requeue(batch, item, undefined)
    }
    if (mayHaveBeenSent) item.mayHaveCharged = item.mayHaveCharged || taskExists
    const note = taskExists ? ` The task ${item.taskId} may still finish on the server and be charged.` : ''
    item.submission = { phase: 'none' }
    state.finish(item, 'cancelled', { code: 'cancelled', message: `Cancelled by you.${note}`, requestId: item.requestIds.at(-1) })
  }

  private crashed(run: Run, err: unknown): void {
    const error = toAppErrorData(err)
    // pendingRecord (if any) stays in the queue file: recovery writes it to the ledger next time.
    this.options.state.finish(run.item, 'failed', { ...error, message: `Pixdesk could not finish this item: ${error.message}` })
  }
}

/** Where a record sits in its chain of edits: the version it continued from and the chain's original. */
function lineageOf(item: JobItem, record: RequestRecord): Pick<RequestRecord, 'parent' | 'rootSha256'> {
  const parent = item.snapshot.parent
  const root = parent?.rootSha256 ?? (parent ? undefined : record.inputs[0]?.sha256)
  return { ...(parent ? { parent } : {}), ...(root ? { rootSha256: root } : {}) }
}

/** "Paid, not saved": where the images are now, and what the user can do about it. */
function notSavedError(reason: AppErrorData, paid: PaidResult, record: RequestRecord): AppErrorData {
  const where = reason.path ? ` to ${reason.path}` : ''
  const requestId = record.requestIds.at(-1)
  const next = paid.kept?.length
    ? `${paid.kept.length === 1 ? 'The image is' : `All ${paid.kept.length} images are`} kept in Pixdesk's recovery folder: Save again once the folder can be written, or choose another folder.`
    : canFetchAgain(paid)
      ? 'It could not be kept in the recovery folder either: Retry downloads it again (no new charge) once there is space.'
      : 'It could not be kept in the recovery folder either, and the provider gives no way to download it again.'
  return { code: 'not_saved', requestId, path: reason.path, message: `Paid, not saved: the images arrived (and were charged) but could not be written${where}: ${reason.message}. ${next}` }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitUntilGone(map: Map<string, unknown>, id: string): Promise<void> {
  while (map.has(id)) await delay(10)
}
