import type { ItemView, OutputView } from '@shared/views'

/** Why a queued item has not started, in the words every view uses. */
export const holdText: Record<NonNullable<ItemView['hold']>, string> = {
  budget: 'Waiting: budget reached',
  duplicate: 'Waiting: done before, your decision',
  network: 'Waiting: network',
  rate_limit: 'Waiting: rate limit',
  retry_backoff: 'Waiting: retry backoff'
}

/** The engine's active states, in the order a request goes through them. */
export const phases = ['preparing', 'uploading', 'running', 'polling', 'downloading'] as const
export const phaseLabels: Record<(typeof phases)[number], string> = {
  preparing: 'Preparing',
  uploading: 'Uploading',
  running: 'Running',
  polling: 'Polling',
  downloading: 'Downloading'
}

/** Time spent in each phase, in request order; phases never entered are left out. */
export function phaseTimes(item: ItemView): Array<{ phase: (typeof phases)[number]; ms: number }> {
  const spent = item.timings?.phaseMs ?? {}
  return phases.filter((p) => (spent[p] ?? 0) > 0).map((p) => ({ phase: p, ms: spent[p]! }))
}

/** A result not at the size asked for, in the words every view uses. */
export function sizeMismatchText(mismatch: NonNullable<OutputView['sizeMismatch']>): string {
  return `asked ${mismatch.asked}, got ${mismatch.got}${mismatch.finished ? ': resized to the asked size' : ''}`
}

/** The first output of an item that missed its asked size, with its number when there are several. */
export function sizeMismatchOf(outputs: readonly OutputView[]): { text: string; output: number } | null {
  const missed = outputs.find((o) => o.sizeMismatch)
  return missed?.sizeMismatch ? { text: sizeMismatchText(missed.sizeMismatch), output: missed.index + 1 } : null
}
