import { useEffect, useRef, useState } from 'react'
import type { ModelEntry } from '@shared/catalog'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import type { ItemView } from '@shared/views'
import { api } from '../lib/api'
import { CostBadge } from './CostBadge'
import { Icon } from './Icon'
import { StatusPill } from './StatusPill'
import { asError, formatBytes, formatMs } from '../lib/format'
import { modelLabel } from '../lib/models'
import { useSettings } from '../features/settings/store'

export function useProvider(): ProviderId {
  return useSettings((s) => s.settings?.provider.active ?? 'pixapi')
}

/** One line that says where an item is and what it cost: the same wording in every view. */
export function ItemMeta({ item }: { item: ItemView }) {
  const uploading = item.state === 'uploading' && item.uploadTotalBytes > 0
  return (
    <span className="item-meta">
      <StatusPill state={item.state} />
      {item.state === 'queued' && item.hold ? <span className="hold">{holdText[item.hold]}</span> : null}
      {uploading ? (
        <span>
          {formatBytes(item.uploadedBytes)} / {formatBytes(item.uploadTotalBytes)}
        </span>
      ) : null}
      {item.latencyMs !== null ? <span title="Latency">{formatMs(item.latencyMs)}</span> : null}
      <ItemCost item={item} />
      {item.mayHaveCharged ? <span className="field-error">may have been charged</span> : null}
    </span>
  )
}

/** What an item cost, or will cost: charged when known, the estimate while it can still be charged. */
export function ItemCost({ item }: { item: ItemView }) {
  if (item.charged !== null) {
    return <CostBadge credits={item.charged} kind={item.chargedEstimated ? 'estimate' : 'charged'} title={item.chargedEstimated ? 'The provider did not report a charge: catalog estimate' : 'Charged by the provider'} />
  }
  return settled.has(item.state) ? <span className="muted">—</span> : <CostBadge credits={item.estimate} kind="estimate" />
}

export function itemTitle(models: readonly ModelEntry[], item: ItemView): string {
  return modelLabel(models, item.model)
}

/** Finished without a charge reported: an estimate next to them would read as a cost that was not paid. */
const settled = new Set<ItemView['state']>(['failed', 'cancelled', 'interrupted', 'duplicate'])

/** `brief` when the full error is shown elsewhere in the same view. */
export function ItemPlaceholder({ item, brief }: { item: ItemView; brief?: boolean }) {
  if (item.state === 'failed' || item.state === 'interrupted') return <span className="placeholder-error">{brief ? 'This request failed: the reason is below.' : (item.error?.message ?? 'The request failed.')}</span>
  if (item.state === 'cancelled') return <span className="muted">Cancelled</span>
  if (item.state === 'done' && item.outputs[0]?.missing) return <span className="muted">The output file is missing on disk.</span>
  return (
    <span className="working">
      <span className="thumb-spinner" /> {item.state === 'queued' ? (item.hold ? `${holdText[item.hold]}…` : 'Waiting to start…') : item.state === 'uploading' ? 'Uploading…' : item.state === 'polling' ? 'Polling task…' : item.state === 'downloading' ? 'Downloading…' : 'Working…'}
    </span>
  )
}

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

/** A failed reveal in a few words (the message starts with a path that would fill a narrow place); the full text goes on hover. */
export function revealProblem(error: AppErrorData): string {
  return error.code === 'not_found_file' ? 'No longer on disk: moved or deleted outside Pixdesk' : error.message
}

/**
 * "Show in folder" for one output. The file may have been moved or deleted since the view was drawn:
 * the main process then says so, and the reason is shown right here (or handed to `onError`).
 */
export function RevealButton({ recordId, index, name, text, compact, onError }: { recordId: string | undefined; index: number; name: string; text?: string; compact?: boolean; onError?: (error: AppErrorData | null) => void }) {
  const [error, setError] = useState<AppErrorData | null>(null)
  const [busy, setBusy] = useState(false)
  if (!recordId) return null
  const report = (e: AppErrorData | null) => (onError ? onError(e) : setError(e))
  const reveal = () => {
    setBusy(true)
    api.invoke('outputs.reveal', { recordId, index }).then(
      () => {
        setBusy(false)
        report(null)
      },
      (err) => {
        setBusy(false)
        report(asError(err))
      }
    )
  }
  const label = `Show ${name} in folder`
  return (
    <span className="reveal">
      {compact ? (
        <button type="button" className="icon-btn" aria-label={label} title={label} disabled={busy} onClick={reveal}>
          <Icon name="folder" />
        </button>
      ) : (
        <button type="button" className="btn small" title={label} aria-label={label} disabled={busy} onClick={reveal}>
          <Icon name="folder" /> {text ?? 'Show in folder'}
        </button>
      )}
      {error ? (
        <span className="field-error reveal-error" role="alert" title={error.message}>
          {revealProblem(error)}
        </span>
      ) : null}
    </span>
  )
}

/** Fields the forms mark inline; an error about any other field (or none) is shown as a notice. */
const inlineFields = ['prompt', 'models', 'size', 'quality', 'aspectRatio', 'outputFormat', 'background', 'n']

export function unplaced<T extends { field?: string } | null>(error: T): T | null {
  return error && error.field && inlineFields.includes(error.field) ? null : error
}

/** Single-key shortcuts must never fire while the user is typing. */
export function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  return Boolean(el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)))
}

/** Ctrl/Cmd+Enter runs the view's action from anywhere in it (the prompt box handles its own first). */
export function useRunShortcut(run: () => void) {
  const latest = useRef(run)
  useEffect(() => {
    latest.current = run
  })
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || !(e.metaKey || e.ctrlKey) || e.key !== 'Enter') return
      e.preventDefault()
      latest.current()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
