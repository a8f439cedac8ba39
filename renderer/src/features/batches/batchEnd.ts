import type { BatchView } from '@shared/views'
import { formatCredits } from '../../lib/format'

/**
 * The toast the window shows when a batch or comparison ends, beside the system notification the main
 * process sends: what was done, what failed or was skipped, what it cost. A single edit ends in front
 * of the user, in the editor, so it gets none. Failures make it a warning, which stays until dismissed.
 */
export function batchEndToast(batch: BatchView): { level: 'info' | 'warning'; message: string } | null {
  if (batch.kind === 'single') return null
  const what = batch.kind === 'compare' ? 'Comparison' : 'Batch'
  const failed = batch.counts.failed + batch.counts.interrupted
  const skipped = batch.counts.skipped ?? 0
  const ended = batch.state === 'cancelled' ? 'was cancelled' : failed ? 'finished with failures' : 'finished'
  const parts = [`${batch.counts.done} done`]
  if (failed) parts.push(`${failed} failed`)
  if (batch.counts.cancelled) parts.push(`${batch.counts.cancelled} cancelled`)
  if (skipped) parts.push(`${skipped} skipped`)
  return {
    level: failed || skipped || batch.state === 'cancelled' ? 'warning' : 'info',
    message: `${what} “${batch.name}” ${ended}: ${parts.join(', ')} · ${formatCredits(batch.charged)}.`
  }
}
