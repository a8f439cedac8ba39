import { useEffect, useRef } from 'react'
import type { ModelEntry } from '@shared/catalog'
import type { ProviderId } from '@shared/records'
import type { ItemView } from '@shared/views'
import { CostBadge } from '../components/CostBadge'
import { StatusPill } from '../components/StatusPill'
import { formatBytes, formatMs } from '../lib/format'
import { modelLabel } from '../lib/models'
import { useSettings } from '../stores/settings'

export function useProvider(): ProviderId {
  return useSettings((s) => s.settings?.provider.active ?? 'pixapi')
}

/** One line that says where an item is and what it cost: the same wording in every view. */
export function ItemMeta({ item }: { item: ItemView }) {
  const uploading = item.state === 'uploading' && item.uploadTotalBytes > 0
  return (
    <span className="item-meta">
      <StatusPill state={item.state} />
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
      <span className="thumb-spinner" /> {item.state === 'queued' ? 'Waiting to start…' : item.state === 'uploading' ? 'Uploading…' : item.state === 'downloading' ? 'Downloading…' : 'Working…'}
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
