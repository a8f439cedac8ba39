import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { AppErrorData } from '@shared/errors'
import { useShallow } from 'zustand/react/shallow'
import type { BatchView, ItemView } from '@shared/views'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { ModelPicker } from '../../components/ModelPicker'
import { ProgressBar } from '../../components/ProgressBar'
import { PromptBox } from '../../components/PromptBox'
import { StatusPill } from '../../components/StatusPill'
import { Thumbnail } from '../../components/Thumbnail'
import { LibraryHint } from '../../components/LibraryHint'
import { formatBytes, formatCredits, formatDateTime, formatMs, plural } from '../../lib/format'
import { modelLabel } from '../../lib/models'
import { useBatchForm } from './formStore'
import { useCatalog } from '../settings/catalogStore'
import { draftProblem } from '../../lib/draft'
import { activeItemStates, finishedStates, useJobs } from './jobsStore'
import { useLibrary } from '../library/store'
import { useSettings } from '../settings/store'
import { useUi } from '../../app/uiStore'
import { ItemCost } from '../../components/ItemStatus'
import { RevealButton, revealProblem } from '../../components/RevealButton'
import { unplaced } from '../../lib/fieldErrors'
import { holdText, phaseLabels, phaseTimes } from '../../lib/items'
import { useRunShortcut } from '../../lib/keyboard'
import { useProvider } from '../settings/selectors'

const noItems: ItemView[] = []

/** Images the estimate left out, each with its reason, and one click to take them out of the batch. */
function ProblemList({ problems }: { problems: Array<{ assetId: string; error: AppErrorData }> }) {
  const assets = useLibrary((s) => s.assets)
  const drop = () => {
    const gone = new Set(problems.map((p) => p.assetId))
    const form = useBatchForm.getState()
    form.setAssets(form.assetIds.filter((id) => !gone.has(id)))
  }
  return (
    <div className="problems" role="group" aria-label="Images that cannot be sent" data-testid="batch-problems">
      <div className="problems-head">
        <Icon name="warning" />
        <span>{problems.length === 1 ? 'One image cannot be sent and is not counted:' : `${problems.length} images cannot be sent and are not counted:`}</span>
        <button type="button" className="btn small" onClick={drop}>
          {problems.length === 1 ? 'Remove it from the batch' : 'Remove them from the batch'}
        </button>
      </div>
      <ul>
        {problems.map((p) => {
          const name = assets[p.assetId]?.name ?? 'An image no longer in the library'
          return (
            <li key={p.assetId}>
              <strong className="ellipsis" title={assets[p.assetId]?.relPath ?? name}>
                {name}
              </strong>
              <span className="problem-reason">{p.error.message}</span>
            </li>
          )
        })}
      </ul>
    </div>
  )
}

function BatchForm() {
  const f = useBatchForm(
    useShallow((s) => ({ draft: s.draft, assetIds: s.assetIds, name: s.name, budget: s.budget, duplicates: s.duplicates, estimate: s.estimate, estimating: s.estimating, estimateKey: s.estimateKey, starting: s.starting, error: s.error }))
  )
  const form = useBatchForm.getState()
  const models = useCatalog((s) => s.models)
  const { templates, templatesError } = useCatalog(useShallow((s) => ({ templates: s.templates, templatesError: s.templatesError })))
  const assets = useLibrary((s) => s.assets)
  const provider = useProvider()
  const settings = useSettings((s) => s.settings)
  const sources = f.assetIds.map((id) => assets[id]).filter((a) => a !== undefined)
  const problem = draftProblem(f.draft, { minModels: 1, needAssets: 1, assets: sources.length })
  const key = form.specKey(provider)
  const fresh = f.estimate !== null && f.estimateKey === key
  // Every selected image was refused: there is nothing to start until the selection changes.
  const nothingToRun = fresh && f.estimate !== null && f.estimate.items === 0

  useEffect(() => {
    if (!f.draft.models.length && settings) form.setDraft({ models: [settings.generation.defaultModel[provider]] })
  }, [f.draft.models.length, settings, provider, form])

  // The estimate follows the form: re-asked a moment after the last change, so it is always shown before Start.
  useEffect(() => {
    if (problem) return
    const timer = setTimeout(() => void useBatchForm.getState().runEstimate(provider), 350)
    return () => clearTimeout(timer)
  }, [key, problem, provider])

  useRunShortcut(() => {
    if (fresh && !problem && !nothingToRun && !useBatchForm.getState().starting) void form.start(provider)
  })

  const budget = f.budget.trim() === '' ? null : Number(f.budget)
  const overBudget = f.estimate !== null && budget !== null && f.estimate.total > budget
  const dupCount = f.estimate ? f.estimate.duplicates.length : 0
  // Images the library or the last estimate says cannot be sent, with the reason to show on hover.
  const unusable = new Map<string, string>()
  for (const a of sources) if (a.ok === false) unusable.set(a.id, a.error?.message ?? 'This file cannot be used.')
  for (const p of f.estimate?.problems ?? []) unusable.set(p.assetId, p.error.message)

  return (
    <div className="batch-form" data-testid="batch-form">
      <header className="view-header">
        <h1>New batch</h1>
      </header>
      <div className="batch-form-grid">
        <div className="form-col">
          <div className="field">
            <span className="field-label">Images</span>
            {sources.length ? (
              <div className="source-strip">
                {sources.slice(0, 12).map((a) => (
                  <div key={a.id} className="source-chip" title={unusable.has(a.id) ? `${a.relPath}: ${unusable.get(a.id)}` : a.relPath}>
                    <Thumbnail url={a.thumbUrl} alt={a.name} problem={unusable.has(a.id)} />
                  </div>
                ))}
                {sources.length > 12 ? <span className="more">+{sources.length - 12}</span> : null}
              </div>
            ) : (
              <LibraryHint pick="Select images" action="Batch" onOpenLibrary={() => useUi.getState().navigate('library')} />
            )}
            <span className="hint">
              {plural(sources.length, 'image')}
              {unusable.size ? ` · ${unusable.size} cannot be sent` : ''}
            </span>
            {f.estimate?.problems.length ? <ProblemList problems={f.estimate.problems} /> : null}
          </div>
          <label className="field">
            <span className="field-label">Name</span>
            <input type="text" value={f.name} placeholder="e.g. Spring catalogue, white background" onChange={(e) => form.setField({ name: e.target.value })} />
          </label>
          <PromptBox draft={f.draft} templates={templates} templatesError={templatesError} onChange={form.setDraft} onRun={() => {
              if (fresh && !problem && !nothingToRun) void form.start(provider)
            }} error={f.error} />
        </div>
        <div className="form-col">
          <ModelPicker
            models={models}
            provider={provider}
            value={f.draft.models}
            onChange={(ids) => form.setDraft({ models: ids })}
            params={f.draft.params}
            onParams={(p) => form.setDraft({ params: p })}
            multiple={{ min: 1, max: 8 }}
            error={f.error}
            onAddCustom={async (id) => {
              const entry = await useCatalog.getState().addCustom({ id, provider })
              const current = useBatchForm.getState().draft.models
              if (!current.includes(entry.id) && current.length < 8) form.setDraft({ models: [...current, entry.id] })
            }}
          />
          <label className="field">
            <span className="field-label">Budget for this batch (credits)</span>
            <input type="number" min={0} value={f.budget} placeholder="No limit" aria-invalid={f.error?.field === 'budgetCredits' || undefined} onChange={(e) => form.setField({ budget: e.target.value })} />
            <span className="hint">The batch pauses before a request would go over it.</span>
          </label>
          <fieldset className="field">
            <legend className="field-label">Images already done with the same prompt and model</legend>
            <label className="radio">
              <input type="radio" name="dups" checked={f.duplicates === 'skip'} onChange={() => form.setField({ duplicates: 'skip' })} /> Skip them (no credits spent twice)
            </label>
            <label className="radio">
              <input type="radio" name="dups" checked={f.duplicates === 'run'} onChange={() => form.setField({ duplicates: 'run' })} /> Run them again
            </label>
            <label className="radio">
              <input type="radio" name="dups" checked={f.duplicates === 'ask'} onChange={() => form.setField({ duplicates: 'ask' })} /> Hold them and ask me
            </label>
          </fieldset>
          <div className="estimate-card" aria-live="polite" data-testid="batch-estimate">
            <h2>Estimate</h2>
            {problem ? (
              <p className="hint">{problem}</p>
            ) : !f.estimate ? (
              <p className="muted">{f.estimating ? 'Estimating…' : 'The estimate appears here before you start.'}</p>
            ) : (
              <div className={`estimate-body${fresh ? '' : ' stale'}`} aria-busy={!fresh}>
                {!fresh ? <p className="hint">Updating for your changes…</p> : null}
                {f.estimate.items === 0 ? (
                  <p className="field-error">None of the selected images can be sent: nothing would run.</p>
                ) : (
                  <>
                <table className="mini-table">
                  <tbody>
                    {f.estimate.perModel.map((m) => (
                      <tr key={m.model}>
                        <td className="ellipsis" title={modelLabel(models, m.model)}>
                          {modelLabel(models, m.model)}
                        </td>
                        <td className="num nowrap">{m.perItem === null ? `${m.items} × price unknown` : `${m.items} × ${formatCredits(m.perItem)}`}</td>
                        <td className="num nowrap">{formatCredits(m.total)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <p className="estimate-total">
                  Total <CostBadge credits={f.estimate.total} kind="estimate" /> for {plural(f.estimate.items, 'request')}
                </p>
                  </>
                )}
                {f.estimate.unpriced.length ? <p className="hint">Not included (no known price): {f.estimate.unpriced.join(', ')}</p> : null}
                {dupCount ? (
                  <p className="hint">
                    {plural(dupCount, 'request')} already succeeded before: {f.duplicates === 'skip' ? 'they will be skipped' : f.duplicates === 'run' ? 'they will run again' : 'they will wait for your decision'}.
                  </p>
                ) : null}
                {f.estimate.problems.length ? <p className="hint warn-text">{plural(f.estimate.problems.length, 'image')} cannot be sent and {f.estimate.problems.length === 1 ? 'is' : 'are'} not counted: see Images.</p> : null}
                {overBudget ? <p className="field-error">The estimate is over the batch budget: it will stop when the budget is reached.</p> : null}
              </div>
            )}
            <ErrorNotice error={unplaced(f.error)} compact />
            <div className="run-row">
              {settings?.provider.sandbox ? <span className="pill warn">Sandbox</span> : <span />}
              <button type="button" className="btn primary" disabled={Boolean(problem) || !fresh || f.starting || nothingToRun} title={nothingToRun ? 'None of the selected images can be sent' : undefined} onClick={() => void form.start(provider)} data-testid="start-batch">
                <Icon name="play" /> {f.starting ? 'Starting…' : 'Start batch'}
              </button>
            </div>
          </div>
        </div>
      </div>
    </div>
  )
}

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

function ItemsTable({ batch, items }: { batch: BatchView; items: ItemView[] }) {
  const jobs = useJobs.getState()
  const models = useCatalog((s) => s.models)
  const scrollRef = useRef<HTMLDivElement>(null)
  // A failed "Show in folder" is explained on its own row, where the item's other messages go.
  const [revealErrors, setRevealErrors] = useState<Record<string, AppErrorData | null>>({})
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count: items.length, getScrollElement: () => scrollRef.current, estimateSize: () => 52, overscan: 8 })
  const queued = items.filter((i) => i.state === 'queued').map((i) => i.id)

  const move = (id: string, by: number) => {
    const at = queued.indexOf(id)
    const to = at + by
    if (at < 0 || to < 0 || to >= queued.length) return
    const next = queued.slice()
    next.splice(at, 1)
    next.splice(to, 0, id)
    void jobs.reorder(batch.id, next)
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
        <span role="columnheader" className="num" title="Total time; hover a row for each phase">
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
            const active = activeItemStates.has(item.state)
            const output = item.outputs.find((o) => !o.missing)
            const revealError = revealErrors[item.id]
            const message = revealError ? revealProblem(revealError) : item.error?.message
            const requestId = item.requestId ?? item.error?.requestId
            return (
              <div key={item.id} role="row" className={`items-row ${item.state}`} style={{ transform: `translateY(${row.start}px)` }} data-testid="batch-item">
                <span role="cell" className="cell-source">
                  <Thumbnail url={item.outputs[0]?.url ?? item.sourceUrl} alt={item.sourceName} problem={item.state === 'failed'} />
                  <span className="ellipsis" title={item.sourceName}>
                    {item.sourceName}
                  </span>
                </span>
                <span role="cell" className="ellipsis" title={modelLabel(models, item.model)}>
                  {modelLabel(models, item.model)}
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
                  {message ? (
                    <span className="field-error ellipsis" title={revealError?.message ?? message} role={revealError ? 'alert' : undefined}>
                      {message}
                    </span>
                  ) : null}
                </span>
                <span role="cell" className="num nowrap col-transfer">
                  {item.uploadTotalBytes ? `${formatBytes(item.uploadedBytes)} / ${formatBytes(item.uploadTotalBytes)}` : '—'}
                </span>
                <span role="cell" className="num">
                  <ItemTime item={item} />
                </span>
                <span role="cell" className="num">
                  <ItemCost item={item} />
                </span>
                <span role="cell" className="mono ellipsis selectable" title={requestId}>
                  {requestId ?? '—'}
                </span>
                <span role="cell" className="row-actions">
                  {output ? <RevealButton compact recordId={item.recordId} index={output.index} name={output.name} onError={(e) => setRevealErrors((r) => ({ ...r, [item.id]: e }))} /> : null}
                  {item.state === 'queued' ? (
                    <>
                      <button type="button" className="icon-btn" aria-label={`Move ${item.sourceName} up`} title="Move up" onClick={() => move(item.id, -1)}>
                        <Icon name="up" />
                      </button>
                      <button type="button" className="icon-btn" aria-label={`Move ${item.sourceName} down`} title="Move down" onClick={() => move(item.id, 1)}>
                        <Icon name="down" />
                      </button>
                    </>
                  ) : null}
                  {item.state === 'queued' || active ? (
                    <button type="button" className="icon-btn" aria-label={`Cancel ${item.sourceName}`} title="Cancel" onClick={() => void jobs.cancel(batch.id, [item.id])}>
                      <Icon name="close" />
                    </button>
                  ) : null}
                  {item.state === 'failed' || item.state === 'cancelled' || item.state === 'interrupted' ? (
                    <button type="button" className="icon-btn" aria-label={`Retry ${item.sourceName}`} title="Retry" onClick={() => void jobs.retry(batch.id, [item.id])}>
                      <Icon name="retry" />
                    </button>
                  ) : null}
                </span>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}

function Report({ batch, items }: { batch: BatchView; items: ItemView[] }) {
  const models = useCatalog((s) => s.models)
  const report = batch.report
  // The engine's report is the record of what failed; items fill in only while it is not there yet.
  const failures = report
    ? report.failures.map((f) => ({
        id: f.itemId,
        // The report names the file by path; the list shows the name the rest of the view uses.
        source: items.find((i) => i.id === f.itemId)?.sourceName ?? f.source.split(/[\\/]/).pop() ?? f.source,
        model: f.model,
        message: f.reason.message,
        requestId: f.requestId ?? f.reason.requestId
      }))
    : items
        .filter((i) => i.state === 'failed' || i.state === 'interrupted')
        .map((i) => ({ id: i.id, source: i.sourceName, model: i.model, message: i.error?.message ?? 'Interrupted before it finished.', requestId: i.requestId ?? i.error?.requestId }))
  const outputs = items.reduce((n, i) => n + i.outputs.length, 0)
  const done = report?.done ?? batch.counts.done
  const failed = report ? report.failed + report.interrupted : batch.counts.failed + batch.counts.interrupted
  const cancelled = report?.cancelled ?? batch.counts.cancelled
  return (
    <section className="report" aria-label="Batch report" data-testid="batch-report">
      <h2>{batch.state === 'cancelled' ? 'Batch cancelled' : 'Batch finished'}</h2>
      <p>
        {plural(done, 'request')} succeeded, {plural(outputs, 'image')} written
        {failed ? `, ${failed} failed` : ''}
        {cancelled ? `, ${cancelled} cancelled` : ''}. Charged {formatCredits(report?.charged ?? batch.charged)} of an estimated {formatCredits(report?.estimate ?? batch.estimate)}
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
      ) : (
        <p className="ok-text">
          <Icon name="check" /> Nothing failed.
        </p>
      )}
    </section>
  )
}

function Held({ batch, items }: { batch: BatchView; items: ItemView[] }) {
  const jobs = useJobs.getState()
  const duplicates = items.filter((i) => i.hold === 'duplicate' && i.state === 'queued')
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

function BatchDetail({ batchId }: { batchId: string }) {
  const models = useCatalog((s) => s.models)
  const batch = useJobs((s) => s.batches[batchId])
  const items = useJobs((s) => s.items[batchId] ?? noItems)
  const actionError = useJobs((s) => s.actionErrors[batchId])
  const jobs = useJobs.getState()
  useEffect(() => {
    void useJobs.getState().fetch(batchId)
  }, [batchId])
  if (!batch) return <ErrorNotice error={actionError ?? { code: 'not_found', message: 'This batch is no longer known.' }} />
  const finished = finishedStates.has(batch.state)
  const settled = batch.counts.done + batch.counts.failed + batch.counts.cancelled + batch.counts.interrupted
  const retryable = items.some((i) => i.state === 'failed' || i.state === 'interrupted' || i.state === 'cancelled') || batch.counts.failed > 0

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
      {finished ? <Report batch={batch} items={items} /> : null}
      <ItemsTable batch={batch} items={items} />
    </div>
  )
}

function BatchListItem({ batch, on, onClick }: { batch: BatchView; on: boolean; onClick(): void }) {
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
        {batch.counts.done}/{batch.counts.total} · {formatCredits(batch.charged)} · {formatDateTime(batch.createdAt)}
      </span>
    </button>
  )
}

export function BatchesView() {
  const batches = useJobs((s) => s.batches)
  const jobsError = useJobs((s) => s.error)
  const { open, selected } = useBatchForm(useShallow((s) => ({ open: s.open, selected: s.selectedBatch })))
  const list = useMemo(() => Object.values(batches).sort((a, b) => b.createdAt.localeCompare(a.createdAt)), [batches])
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
        <ErrorNotice error={jobsError} compact onRetry={() => void useJobs.getState().load()} />
        <div className="panel-scroll">
          {list.map((b) => (
            <BatchListItem key={b.id} batch={b} on={!open && selected === b.id} onClick={() => form.selectBatch(b.id)} />
          ))}
          {!list.length && !jobsError ? <p className="hint pad">Batches you start appear here with their progress, cost and report.</p> : null}
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
