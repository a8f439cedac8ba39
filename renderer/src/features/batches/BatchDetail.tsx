import { useEffect, useState } from 'react'
import type { BatchView, ItemView } from '@shared/views'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { ProgressBar } from '../../components/ProgressBar'
import { StatusPill } from '../../components/StatusPill'
import { formatCredits, formatDateTime, plural } from '../../lib/format'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { ItemsTable } from './ItemsTable'
import { useJobs } from './jobsStore'
import { batchProgress, duplicatesOnHold, reportFailures, reportTotals } from './selectors'

const noItems: ItemView[] = []

function Report({ batch, items }: { batch: BatchView; items: ItemView[] }) {
  const models = useCatalog((s) => s.models)
  const listed = reportFailures(batch, items)
  const failures = listed.filter((f) => !f.skipped)
  const skippedFiles = listed.filter((f) => f.skipped)
  const { outputs, done, failed, cancelled, skipped, charged, estimate } = reportTotals(batch, items)
  return (
    <section className="report" aria-label="Batch report" data-testid="batch-report">
      <h2>{batch.state === 'cancelled' ? 'Batch cancelled' : 'Batch finished'}</h2>
      <p>
        {plural(done, 'request')} succeeded, {plural(outputs, 'image')} written
        {failed ? `, ${failed} failed` : ''}
        {cancelled ? `, ${cancelled} cancelled` : ''}
        {skipped ? `, ${skipped} skipped` : ''}. Charged {formatCredits(charged)} of an estimated {formatCredits(estimate)}
        {batch.finishedAt ? ` · finished ${formatDateTime(batch.finishedAt)}` : ''}.
      </p>
      {failures.length ? (
        <>
          <h3>What failed and why</h3>
          <ul className="failure-list">
            {failures.map((f) => (
              <li key={f.id}>
                <strong>{f.source}</strong> · {modelLabel(models, f.model)}: {f.message}
                {f.requestId ? <span className="mono muted"> · request {f.requestId}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : skippedFiles.length ? null : (
        <p className="ok-text">
          <Icon name="check" /> Nothing failed.
        </p>
      )}
      {skippedFiles.length ? (
        <>
          <h3>Skipped: the file cannot be used (nothing sent, no credits)</h3>
          <ul className="failure-list" data-testid="report-skipped">
            {skippedFiles.map((f) => (
              <li key={f.id}>
                <strong>{f.source}</strong> · {modelLabel(models, f.model)}: skipped: {f.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  )
}

function Held({ batch, items }: { batch: BatchView; items: ItemView[] }) {
  const jobs = useJobs.getState()
  const duplicates = duplicatesOnHold(items)
  const [budget, setBudget] = useState('')
  return (
    <>
      {duplicates.length ? (
        <div className="decision" role="group" aria-label="Duplicates">
          <span>
            {plural(duplicates.length, 'item')} already succeeded before with the same image, prompt and model.
          </span>
          <button type="button" className="btn small" onClick={() => void jobs.resolveDuplicates(batch.id, 'run')}>
            Run them again
          </button>
          <button type="button" className="btn small" onClick={() => void jobs.resolveDuplicates(batch.id, 'skip')}>
            Skip them
          </button>
        </div>
      ) : null}
      {batch.state === 'budget_reached' ? (
        <form
          className="decision"
          aria-label="Budget"
          onSubmit={(e) => {
            e.preventDefault()
            const credits = Number(budget)
            if (budget.trim() && Number.isFinite(credits) && credits > 0) void jobs.setBudget(batch.id, credits)
          }}
        >
          <span>
            The budget of {formatCredits(batch.budget)} is reached ({formatCredits(batch.charged)} charged, {formatCredits(batch.reserved)} in flight). Remaining items wait.
          </span>
          <input type="number" min={1} value={budget} placeholder="New budget" aria-label="New budget (credits)" onChange={(e) => setBudget(e.target.value)} />
          <button type="submit" className="btn small primary" disabled={!budget.trim()}>
            Raise budget
          </button>
          <button type="button" className="btn small" onClick={() => void jobs.setBudget(batch.id, null)}>
            Remove the limit
          </button>
        </form>
      ) : null}
    </>
  )
}

export function BatchDetail({ batchId }: { batchId: string }) {
  const models = useCatalog((s) => s.models)
  const batch = useJobs((s) => s.batches[batchId])
  const items = useJobs((s) => s.items[batchId] ?? noItems)
  const actionError = useJobs((s) => s.actionErrors[batchId])
  const jobs = useJobs.getState()
  useEffect(() => {
    void useJobs.getState().fetch(batchId)
  }, [batchId])
  if (!batch) return <ErrorNotice error={actionError ?? { code: 'not_found', message: 'This batch is no longer known.' }} />
  const { finished, settled, retryable } = batchProgress(batch, items)

  return (
    <div className="batch-detail" data-testid="batch-detail">
      <header className="view-header">
        <div className="header-title">
          <h1 className="ellipsis" title={batch.name || undefined}>
            {batch.name || 'Batch'}
          </h1>
          <p className="muted ellipsis" title={batch.models.map((m) => modelLabel(models, m)).join(', ')}>
            Started {formatDateTime(batch.createdAt)} · {batch.models.map((m) => modelLabel(models, m)).join(', ')}
          </p>
        </div>
        <div className="toolbar" role="toolbar" aria-label="Batch controls">
          {batch.state === 'paused' ? (
            <button type="button" className="btn" onClick={() => void jobs.resume(batchId)}>
              <Icon name="play" /> Resume
            </button>
          ) : !finished ? (
            <button type="button" className="btn" onClick={() => void jobs.pause(batchId)}>
              <Icon name="pause" /> Pause
            </button>
          ) : null}
          {!finished ? (
            <button type="button" className="btn danger" onClick={() => void jobs.cancel(batchId)}>
              <Icon name="stop" /> Cancel all
            </button>
          ) : null}
          <button type="button" className="btn" disabled={!retryable} onClick={() => void jobs.retry(batchId)}>
            <Icon name="retry" /> Retry failed
          </button>
        </div>
      </header>
      <ErrorNotice error={actionError} onDismiss={() => useJobs.setState((s) => ({ actionErrors: { ...s.actionErrors, [batchId]: undefined } }))} />
      <div className="batch-summary">
        <StatusPill state={batch.state} />
        <ProgressBar value={batch.counts.done} max={batch.counts.total} label="Batch progress" segments={{ failed: batch.counts.failed }} />
        <span className="counts" data-testid="batch-counts">
          {settled} / {batch.counts.total} · {batch.counts.done} done{batch.counts.active ? ` · ${batch.counts.active} running` : ''}
          {batch.counts.failed ? ` · ${batch.counts.failed} failed` : ''}
          {batch.counts.skipped ? ` · ${batch.counts.skipped} skipped` : ''}
          {batch.counts.waiting ? ` · ${batch.counts.waiting} waiting` : ''}
        </span>
        <span className="cost-line">
          <CostBadge credits={batch.charged} kind="charged" /> <span className="muted">of</span> <CostBadge credits={batch.estimate} kind="estimate" />
          {batch.budget !== null ? <span className="muted"> · budget {formatCredits(batch.budget)}</span> : null}
        </span>
      </div>
      {batch.notice ? (
        <div className="notice-line" role="status">
          {batch.notice}
        </div>
      ) : null}
      <Held batch={batch} items={items} />
      <ItemsTable batch={batch} items={items} />
      {/* Below the table, which gives up height for it: the rows stay where they are when the batch ends. */}
      {finished ? <Report batch={batch} items={items} /> : null}
    </div>
  )
}
