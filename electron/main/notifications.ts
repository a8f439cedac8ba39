import type { EventMap, EventName } from '../../shared/contract'
import type { BatchView } from '../../shared/views'

export interface NotificationLike {
  on(event: 'click', listener: () => void): unknown
  show(): void
}

export interface NotificationOptions {
  title: string
  body: string
  silent: boolean
  /** Never 'critical': an ordinary notification is the kind the OS holds back under do-not-disturb. */
  urgency: 'normal'
}

type ProgressMode = 'normal' | 'paused' | 'error'

/** What batch feedback needs from Electron, passed in so it can be exercised without it. */
export interface BatchFeedbackDeps {
  notifications: { isSupported(): boolean; create(options: NotificationOptions): NotificationLike }
  /** Taskbar / dock progress: a fraction in 0..1, or -1 to remove it (BrowserWindow.setProgressBar). */
  setProgress(fraction: number, mode: ProgressMode): void
  /** The dock badge (app.setBadgeCount); macOS only, absent elsewhere. */
  setBadgeCount?: (count: number) => void
  /** Brings the window forward on the batch (a notification was clicked). */
  openBatch(batchId: string): void
  /** The user's choice in Settings. */
  enabled(): boolean
}

export interface EventSource {
  onAny(listener: (event: EventName, payload: unknown) => void): () => void
}

const FINISHED: ReadonlySet<BatchView['state']> = new Set(['done', 'cancelled'])

/**
 * Feedback outside the window while batches run: taskbar/dock progress over every unfinished batch, a
 * system notification when a batch or comparison ends (what was done, what failed, what it cost;
 * clicking opens it), and on macOS a dock badge counting failures until the window is looked at again.
 * Notifications are ordinary ones, so the OS's do-not-disturb holds them back; a setting turns them off.
 */
export class BatchFeedback {
  private readonly batches = new Map<string, BatchView>()
  private badge = 0
  // Kept referenced until clicked or replaced: a collected notification loses its click handler.
  private readonly shown = new Set<NotificationLike>()

  constructor(private readonly deps: BatchFeedbackDeps) {}

  /** Follows the services' batch events; returns the function that stops it. */
  watch(events: EventSource): () => void {
    return events.onAny((event, payload) => {
      if (event === 'jobs.batch') this.update(payload as EventMap['jobs.batch'])
    })
  }

  update(batch: BatchView): void {
    const before = this.batches.get(batch.id)
    this.batches.set(batch.id, batch)
    // Only an end seen happening is announced: batches that finished before this start stay quiet.
    if (FINISHED.has(batch.state) && before && !FINISHED.has(before.state)) this.finished(batch)
    this.showProgress()
  }

  /** The user is looking at the window: the failures have been seen. */
  windowFocused(): void {
    if (this.badge === 0) return
    this.badge = 0
    this.deps.setBadgeCount?.(0)
  }

  private finished(batch: BatchView): void {
    // A single edit ends in front of the user, in the editor: only batches and comparisons are announced.
    if (batch.kind === 'single' || !this.deps.enabled()) return
    if (batch.counts.failed > 0 && this.deps.setBadgeCount) {
      this.badge += batch.counts.failed
      this.deps.setBadgeCount(this.badge)
    }
    if (!this.deps.notifications.isSupported()) return
    const notification = this.deps.notifications.create({ ...describeFinished(batch), silent: false, urgency: 'normal' })
    this.shown.add(notification)
    notification.on('click', () => {
      this.shown.delete(notification)
      this.deps.openBatch(batch.id)
    })
    notification.show()
  }

  private showProgress(): void {
    const running = [...this.batches.values()].filter((b) => !FINISHED.has(b.state) && b.counts.total > 0)
    if (running.length === 0) {
      this.deps.setProgress(-1, 'normal')
      return
    }
    let total = 0
    let settled = 0
    for (const b of running) {
      total += b.counts.total
      settled += b.counts.done + b.counts.failed + b.counts.cancelled + b.counts.skipped
    }
    const mode: ProgressMode = running.some((b) => b.counts.failed > 0) ? 'error' : running.every((b) => b.state !== 'running') ? 'paused' : 'normal'
    this.deps.setProgress(total ? settled / total : 0, mode)
  }
}

/** "Batch "Spring shoes" finished" / "3 done, 1 failed · 12 credits". */
export function describeFinished(batch: BatchView): { title: string; body: string } {
  const what = batch.kind === 'compare' ? 'Comparison' : 'Batch'
  const ended = batch.state === 'cancelled' ? 'was cancelled' : batch.counts.failed > 0 ? 'finished with failures' : 'finished'
  const parts = [`${batch.counts.done} done`]
  if (batch.counts.failed) parts.push(`${batch.counts.failed} failed`)
  if (batch.counts.cancelled) parts.push(`${batch.counts.cancelled} cancelled`)
  if (batch.counts.skipped) parts.push(`${batch.counts.skipped} skipped (file unusable)`)
  const credits = Number.isInteger(batch.charged) ? String(batch.charged) : batch.charged.toFixed(2)
  return { title: `${what} “${batch.name}” ${ended}`, body: `${parts.join(', ')} · ${credits} credit${batch.charged === 1 ? '' : 's'}` }
}
