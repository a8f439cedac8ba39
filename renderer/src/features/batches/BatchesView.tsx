import { useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { BatchView } from '@shared/views'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { ProgressBar } from '../../components/ProgressBar'
import { StatusPill } from '../../components/StatusPill'
import { formatCredits, formatDateTime } from '../../lib/format'
import { BatchDetail } from './BatchDetail'
import { BatchForm } from './BatchForm'
import { useBatchForm } from './formStore'
import { useJobs } from './jobsStore'
import { batchListFilterLabels, batchListFilters, filterCounts, matchesFilter, useBatchListFilter, type BatchListFilter } from './listFilter'
import { batchesNewestFirst } from './selectors'
import './batches.css'

const kindLabels: Record<BatchView['kind'], string> = { batch: 'Batch', single: 'Single edit', compare: 'Comparison' }

function BatchListItem({ batch, on, showKind, onClick }: { batch: BatchView; on: boolean; showKind: boolean; onClick(): void }) {
  return (
    <button type="button" className={`batch-item${on ? ' on' : ''}`} onClick={onClick} aria-current={on || undefined}>
      <span className="batch-item-head">
        <span className="ellipsis" title={batch.name || 'Batch'}>
          {batch.name || 'Batch'}
        </span>
        <StatusPill state={batch.state} />
      </span>
      <ProgressBar value={batch.counts.done} max={batch.counts.total} label={`${batch.name} progress`} segments={{ failed: batch.counts.failed }} />
      <span className="muted small ellipsis" title={formatDateTime(batch.createdAt)}>
        {showKind ? `${kindLabels[batch.kind]} · ` : ''}
        {batch.counts.done}/{batch.counts.total} · {formatCredits(batch.charged)} · {formatDateTime(batch.createdAt)}
      </span>
    </button>
  )
}

const emptyListHint: Record<BatchListFilter, string> = {
  batch: 'Batches you start appear here with their progress, cost and report.',
  single: 'Edits run from the Edit view appear here.',
  compare: 'Comparisons run from the Compare view appear here.',
  all: 'Batches, edits and comparisons appear here with their progress, cost and report.'
}

export function BatchesView() {
  const batches = useJobs((s) => s.batches)
  const jobsError = useJobs((s) => s.error)
  const { open, selected } = useBatchForm(useShallow((s) => ({ open: s.open, selected: s.selectedBatch })))
  const all = useMemo(() => batchesNewestFirst(batches), [batches])
  const { filter, setFilter } = useBatchListFilter()
  const counts = useMemo(() => filterCounts(all), [all])
  const list = useMemo(() => all.filter((b) => matchesFilter(b, filter)), [all, filter])
  const form = useBatchForm.getState()

  return (
    <div className="view batches" data-testid="batches-view">
      <nav className="batch-list" aria-label="Batches">
        <header className="panel-header">
          <h1>Batches</h1>
          <button type="button" className="btn small primary" onClick={() => form.setOpen(true)}>
            <Icon name="plus" /> New
          </button>
        </header>
        <div className="segmented small batch-filter" role="radiogroup" aria-label="Show runs">
          {batchListFilters.map((f) => (
            <button key={f} type="button" role="radio" aria-checked={filter === f} className={filter === f ? 'on' : ''} onClick={() => setFilter(f)}>
              {batchListFilterLabels[f]} <span className="count">{counts[f]}</span>
            </button>
          ))}
        </div>
        <ErrorNotice error={jobsError} compact onRetry={() => void useJobs.getState().load()} />
        <div className="panel-scroll">
          {list.length ? (
            <ul className="batch-runs" aria-label={batchListFilterLabels[filter]}>
              {list.map((b) => (
                <li key={b.id}>
                  <BatchListItem batch={b} on={!open && selected === b.id} showKind={filter === 'all'} onClick={() => form.selectBatch(b.id)} />
                </li>
              ))}
            </ul>
          ) : !jobsError ? (
            <p className="hint pad">{emptyListHint[filter]}</p>
          ) : null}
        </div>
      </nav>
      <section className="batch-main">
        {open ? (
          <BatchForm />
        ) : selected ? (
          <BatchDetail batchId={selected} />
        ) : (
          <div className="empty-state">
            <Icon name="batches" size={40} />
            <h2>Run many images at once</h2>
            <p className="muted">Choose images × prompt × models. You see the estimated cost before anything starts; failures never stop the rest, and each one is listed with its reason.</p>
            <button type="button" className="btn primary" onClick={() => form.setOpen(true)}>
              New batch
            </button>
          </div>
        )}
      </section>
    </div>
  )
}
