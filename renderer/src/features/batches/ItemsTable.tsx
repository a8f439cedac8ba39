import { useVirtualizer } from '@tanstack/react-virtual'
import { useRef, useState } from 'react'
import type { AppErrorData } from '@shared/errors'
import type { BatchView, ItemView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { ItemCost } from '../../components/ItemStatus'
import { RequestId } from '../../components/RequestId'
import { MiddleTruncate, modelNameTail } from '../../components/MiddleTruncate'
import { RevealButton, revealProblem } from '../../components/RevealButton'
import { StatusPill } from '../../components/StatusPill'
import { Thumbnail } from '../../components/Thumbnail'
import { formatBytes, formatMs } from '../../lib/format'
import { holdText, phaseLabels, phaseTimes, sizeMismatchOf } from '../../lib/items'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { activeItemStates, useJobs } from './jobsStore'
import { queueAfterMove } from './selectors'

/** Total time and where it went: the phases as a thin stacked bar, the figures on hover and for screen readers. */
function ItemTime({ item }: { item: ItemView }) {
  const times = phaseTimes(item)
  const spent = times.reduce((n, t) => n + t.ms, 0)
  const total = item.latencyMs ?? (spent > 0 ? spent : null)
  if (total === null) return <span className="muted">—</span>
  const detail = times.length ? times.map((t) => `${phaseLabels[t.phase]} ${formatMs(t.ms)}`).join(' · ') : undefined
  return (
    <span className="item-time" title={detail} aria-label={detail ? `${formatMs(total)}: ${detail}` : undefined} data-testid="item-time">
      <span>{formatMs(total)}</span>
      {spent > 0 ? (
        <span className="phase-bar" aria-hidden>
          {times.map((t) => (
            <span key={t.phase} className={`phase ${t.phase}`} style={{ width: `${(t.ms / spent) * 100}%` }} />
          ))}
        </span>
      ) : null}
    </span>
  )
}

function ItemActions({ batchId, item, onMove, onRevealError }: { batchId: string; item: ItemView; onMove(by: number): void; onRevealError(error: AppErrorData | null): void }) {
  const jobs = useJobs.getState()
  const output = item.outputs.find((o) => !o.missing)
  return (
    <span role="cell" className="row-actions">
      {output ? <RevealButton compact recordId={item.recordId} index={output.index} name={output.name} onError={onRevealError} /> : null}
      {item.state === 'queued' ? (
        <>
          <button type="button" className="icon-btn" aria-label={`Move ${item.sourceName} up`} title="Move up" onClick={() => onMove(-1)}>
            <Icon name="up" />
          </button>
          <button type="button" className="icon-btn" aria-label={`Move ${item.sourceName} down`} title="Move down" onClick={() => onMove(1)}>
            <Icon name="down" />
          </button>
        </>
      ) : null}
      {item.state === 'queued' || activeItemStates.has(item.state) ? (
        <button type="button" className="icon-btn" aria-label={`Cancel ${item.sourceName}`} title="Cancel" onClick={() => void jobs.cancel(batchId, [item.id])}>
          <Icon name="close" />
        </button>
      ) : null}
      {item.paidNotSaved ? (
        <>
          <button type="button" className="icon-btn" aria-label={`Save ${item.sourceName} again`} title={item.paidNotSaved.kept ? 'Save again (from the recovery folder)' : 'Download again and save (no new charge)'} onClick={() => void jobs.saveAgain(batchId, [item.id], false)}>
            <Icon name="retry" />
          </button>
          <button type="button" className="icon-btn" aria-label={`Save ${item.sourceName} to another folder`} title="Save to another folder…" onClick={() => void jobs.saveAgain(batchId, [item.id], true)}>
            <Icon name="folder" />
          </button>
        </>
      ) : item.state === 'failed' || item.state === 'cancelled' || item.state === 'interrupted' ? (
        <button type="button" className="icon-btn" aria-label={`Retry ${item.sourceName}`} title="Retry" onClick={() => void jobs.retry(batchId, [item.id])}>
          <Icon name="retry" />
        </button>
      ) : null}
    </span>
  )
}

function ItemRow({ batchId, item, top, revealError, onMove, onRevealError }: { batchId: string; item: ItemView; top: number; revealError: AppErrorData | null | undefined; onMove(by: number): void; onRevealError(error: AppErrorData | null): void }) {
  const models = useCatalog((s) => s.models)
  const message = revealError ? revealProblem(revealError) : item.error?.message
  const requestId = item.requestId ?? item.error?.requestId
  const missedSize = sizeMismatchOf(item.outputs)
  return (
    <div role="row" className={`items-row ${item.state}`} style={{ transform: `translateY(${top}px)` }} data-testid="batch-item" data-copy-request-id={requestId}>
      <span role="cell" className="cell-source">
        <Thumbnail url={item.outputs[0]?.url ?? item.sourceUrl} alt={item.sourceName} problem={item.state === 'failed' || item.state === 'skipped'} />
        <MiddleTruncate text={item.sourceName} />
      </span>
      <span role="cell" className="cell-model">
        <MiddleTruncate text={modelLabel(models, item.model)} keepEnd={modelNameTail} />
      </span>
      <span role="cell" className="cell-state">
        <span className="state-line">
          <StatusPill state={item.state} />
          {item.attempts > 1 ? <span className="muted nowrap">try {item.attempts}</span> : null}
        </span>
        {item.state === 'queued' && item.hold ? (
          <span className="hold ellipsis" title={holdText[item.hold]}>
            {holdText[item.hold]}
          </span>
        ) : null}
        {item.mayHaveCharged ? <span className="field-error ellipsis" title="May have been charged without a result">May have been charged without a result</span> : null}
        {missedSize ? (
          <span className="hold ellipsis size-mismatch" title={`${item.outputs.length > 1 ? `Output ${missedSize.output}: ` : ''}${missedSize.text}`}>
            {missedSize.text}
          </span>
        ) : null}
        {message ? (
          <span className="field-error ellipsis" title={revealError?.message ?? message} role={revealError ? 'alert' : undefined}>
            {message}
          </span>
        ) : null}
      </span>
      <span role="cell" className="num nowrap col-transfer">
        {item.uploadTotalBytes ? `${formatBytes(item.uploadedBytes)} / ${formatBytes(item.uploadTotalBytes)}` : '—'}
      </span>
      <span role="cell" className="num col-time">
        <ItemTime item={item} />
      </span>
      <span role="cell" className="num">
        <ItemCost item={item} />
      </span>
      <span role="cell" className="cell-request">
        <RequestId id={requestId} max={14} />
      </span>
      <ItemActions batchId={batchId} item={item} onMove={onMove} onRevealError={onRevealError} />
    </div>
  )
}

export function ItemsTable({ batch, items }: { batch: BatchView; items: ItemView[] }) {
  const scrollRef = useRef<HTMLDivElement>(null)
  // A failed "Show in folder" is explained on its own row, where the item's other messages go.
  const [revealErrors, setRevealErrors] = useState<Record<string, AppErrorData | null>>({})
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count: items.length, getScrollElement: () => scrollRef.current, estimateSize: () => 52, overscan: 8 })

  const move = (id: string, by: number) => {
    const next = queueAfterMove(items, id, by)
    if (next) void useJobs.getState().reorder(batch.id, next)
  }

  return (
    <div className="items-table" role="table" aria-label="Batch items">
      <div className="items-head" role="row">
        <span role="columnheader">Image</span>
        <span role="columnheader">Model</span>
        <span role="columnheader">State</span>
        <span role="columnheader" className="num col-transfer">
          Transfer
        </span>
        <span role="columnheader" className="num col-time" title="Total time; hover a row for each phase">
          Time
        </span>
        <span role="columnheader" className="num">
          Credits
        </span>
        <span role="columnheader">Request id</span>
        <span role="columnheader" className="sr-only">
          Actions
        </span>
      </div>
      <div className="items-scroll" ref={scrollRef}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((row) => {
            const item = items[row.index]!
            return (
              <ItemRow
                key={item.id}
                batchId={batch.id}
                item={item}
                top={row.start}
                revealError={revealErrors[item.id]}
                onMove={(by) => move(item.id, by)}
                onRevealError={(e) => setRevealErrors((r) => ({ ...r, [item.id]: e }))}
              />
            )
          })}
        </div>
      </div>
    </div>
  )
}
