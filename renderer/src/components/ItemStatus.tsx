import type { ItemView } from '@shared/views'
import { formatBytes, formatMs } from '../lib/format'
import { holdText, sizeMismatchOf } from '../lib/items'
import { CostBadge } from './CostBadge'
import { StatusPill } from './StatusPill'

/** One line that says where an item is and what it cost: the same wording in every view. */
export function ItemMeta({ item }: { item: ItemView }) {
  const uploading = item.state === 'uploading' && item.uploadTotalBytes > 0
  const missedSize = sizeMismatchOf(item.outputs)
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
      {item.historyPending ? <span className="hold" title="The history file could not be written; the record is kept and written there as soon as it can be.">not yet in history</span> : null}
      {item.paidNotSaved ? (
        <span className="field-error" title={item.paidNotSaved.kept ? 'Charged and received; the images are kept in the recovery folder until they can be saved.' : 'Charged and received, but not saved; they can be downloaded again without a new charge.'}>
          paid, not saved
        </span>
      ) : null}
      {item.aboveEstimate ? <span className="field-error" title="The provider reported far more credits than the catalog estimate for this request.">charged above estimate</span> : null}
      {item.outputsDiscarded ? (
        <span className="hold" title="The provider sent more images than were asked for; the extra ones were neither saved nor counted.">
          {item.outputsDiscarded} extra {item.outputsDiscarded === 1 ? 'output' : 'outputs'} not kept
        </span>
      ) : null}
      {missedSize ? (
        <span className="hold size-mismatch" title="The model did not deliver the size asked for. Settings → Output decides whether such results are kept or resized.">
          {item.outputs.length > 1 ? `output ${missedSize.output}: ` : ''}
          {missedSize.text}
        </span>
      ) : null}
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

/** Finished without a charge reported: an estimate next to them would read as a cost that was not paid. */
const settled = new Set<ItemView['state']>(['failed', 'cancelled', 'interrupted', 'duplicate', 'skipped'])

/** `brief` when the full error is shown elsewhere in the same view. */
export function ItemPlaceholder({ item, brief }: { item: ItemView; brief?: boolean }) {
  if (item.state === 'failed' || item.state === 'interrupted') return <span className="placeholder-error">{brief ? 'This request failed: the reason is below.' : (item.error?.message ?? 'The request failed.')}</span>
  if (item.state === 'cancelled') return <span className="muted">Cancelled</span>
  if (item.state === 'skipped') return <span className="placeholder-error">Skipped, nothing sent: {item.error?.message ?? 'the file cannot be used.'}</span>
  if (item.state === 'done' && item.outputs[0]?.missing) return <span className="muted">The output file is missing on disk.</span>
  return (
    <span className="working">
      <span className="thumb-spinner" /> {item.state === 'queued' ? (item.hold ? `${holdText[item.hold]}…` : 'Waiting to start…') : item.state === 'uploading' ? 'Uploading…' : item.state === 'polling' ? 'Polling task…' : item.state === 'downloading' ? 'Downloading…' : 'Working…'}
    </span>
  )
}
