import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { AppErrorData } from '@shared/errors'
import { providerIds, requestStatusSchema } from '@shared/records'
import type { HistoryEntryView } from '@shared/views'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { StatusPill } from '../../components/StatusPill'
import { Thumbnail } from '../../components/Thumbnail'
import { formatCredits, formatDateTime, formatMs, plural } from '../../lib/format'
import { providerNames } from '../../lib/providerNames'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { useHistory, type TotalsBy } from './store'
import { useJobs } from '../batches/jobsStore'
import { useUi } from '../../app/uiStore'
import { RevealButton } from '../../components/RevealButton'

function Filters() {
  const filter = useHistory((s) => s.filter)
  const h = useHistory.getState()
  const models = useCatalog((s) => s.models)
  const batches = useJobs((s) => s.batches)
  const [text, setText] = useState(filter.text ?? '')
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((useHistory.getState().filter.text ?? '') !== text) useHistory.getState().setFilter({ text })
    }, 250)
    return () => clearTimeout(timer)
  }, [text])
  const active = Object.entries(filter).some(([k, v]) => k !== 'sort' && v !== undefined && v !== '')

  return (
    <div className="history-filters" role="search" aria-label="Filter history">
      <label className="search wide">
        <Icon name="search" />
        <input type="search" value={text} placeholder="Prompts, ids, errors" aria-label="Search history" onChange={(e) => setText(e.target.value)} />
      </label>
      <label className="date-field">
        <span>From</span>
        <input type="date" value={filter.from ?? ''} onChange={(e) => h.setFilter({ from: e.target.value || undefined })} />
      </label>
      <label className="date-field">
        <span>To</span>
        <input type="date" value={filter.to ?? ''} onChange={(e) => h.setFilter({ to: e.target.value || undefined })} />
      </label>
      <select aria-label="Model" className="filter-select" value={filter.model ?? ''} onChange={(e) => h.setFilter({ model: e.target.value || undefined })}>
          <option value="">All models</option>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
      <select aria-label="Provider" className="filter-select" value={filter.provider ?? ''} onChange={(e) => h.setFilter({ provider: (e.target.value || undefined) as (typeof providerIds)[number] | undefined })}>
          <option value="">All providers</option>
          {providerIds.map((p) => (
            <option key={p} value={p}>
              {providerNames[p]}
            </option>
          ))}
        </select>
      <select aria-label="Status" className="filter-select" value={filter.status ?? ''} onChange={(e) => h.setFilter({ status: (e.target.value || undefined) as HistoryEntryView['status'] | undefined })}>
          <option value="">Any status</option>
          {requestStatusSchema.options.map((s) => (
            <option key={s} value={s}>
              {s[0]!.toUpperCase() + s.slice(1)}
            </option>
          ))}
        </select>
      <select aria-label="Source" className="filter-select" value={filter.sandbox === undefined ? '' : filter.sandbox ? 'sandbox' : 'real'} onChange={(e) => h.setFilter({ sandbox: e.target.value === '' ? undefined : e.target.value === 'sandbox' })}>
          <option value="">Real and sandbox</option>
          <option value="real">Real requests</option>
          <option value="sandbox">Sandbox only</option>
        </select>
      <select aria-label="Batch" className="filter-select" value={filter.batchId ?? ''} onChange={(e) => h.setFilter({ batchId: e.target.value || undefined })}>
          <option value="">Any batch</option>
          {Object.values(batches).map((b) => (
            <option key={b.id} value={b.id}>
              {b.name || b.id}
            </option>
          ))}
        </select>
      <select aria-label="Sort" className="filter-select" value={filter.sort ?? 'newest'} onChange={(e) => h.setFilter({ sort: e.target.value as 'newest' })}>
          <option value="newest">Newest first</option>
          <option value="oldest">Oldest first</option>
          <option value="credits_desc">Most credits</option>
          <option value="latency_desc">Slowest</option>
        </select>
      {active ? (
        <button
          type="button"
          className="btn small"
          onClick={() => {
            setText('')
            h.clearFilter()
          }}
        >
          Clear filters
        </button>
      ) : null}
    </div>
  )
}

function Totals() {
  const { totals, overall, totalsBy, totalsError } = useHistory(useShallow((s) => ({ totals: s.totals, overall: s.overall, totalsBy: s.totalsBy, totalsError: s.totalsError })))
  const models = useCatalog((s) => s.models)
  const batches = useJobs((s) => s.batches)
  const max = Math.max(1, ...totals.map((t) => t.credits))
  const keyLabel = (key: string) => (totalsBy === 'model' ? modelLabel(models, key) : totalsBy === 'batch' ? (key ? (batches[key]?.name ?? key) : 'Single edits') : totalsBy === 'provider' ? (providerNames[key as 'pixapi'] ?? key) : key)
  return (
    <aside className="totals" aria-label="Totals">
      <header>
        <h2>Totals</h2>
        <div className="segmented small" role="radiogroup" aria-label="Group totals by">
          {(['model', 'day', 'batch', 'provider'] as TotalsBy[]).map((by) => (
            <button key={by} type="button" role="radio" aria-checked={totalsBy === by} className={totalsBy === by ? 'on' : ''} onClick={() => void useHistory.getState().loadTotals(by)}>
              {by}
            </button>
          ))}
        </div>
      </header>
      <ErrorNotice error={totalsError} compact />
      {totals.length ? (
        <>
          {overall ? (
            <p className="totals-sum">
              <strong>{formatCredits(overall.credits)}</strong> booked · {formatCredits(overall.estimatedCredits)} estimated · {plural(overall.count, 'request')}
              {overall.unreportedCount ? <span className="hint block">{plural(overall.unreportedCount, 'request')} without a provider figure: counted at the estimate.</span> : null}
            </p>
          ) : null}
          <table className="mini-table totals-table">
            <thead>
              <tr>
                <th scope="col">{totalsBy}</th>
                <th scope="col" className="num">
                  Requests
                </th>
                <th scope="col" className="num" title="The provider's figure where it reported one, else the estimate">
                  Booked
                </th>
                <th scope="col" className="num">
                  Estimated
                </th>
              </tr>
            </thead>
            <tbody>
              {totals.map((t) => (
                <tr key={t.key}>
                  <td>
                    <span className="ellipsis">{keyLabel(t.key)}</span>
                    <span className="bar" style={{ width: `${(t.credits / max) * 100}%` }} aria-hidden />
                  </td>
                  <td className="num">
                    {t.count}
                    {t.failed ? <span className="field-error"> ({t.failed} failed)</span> : null}
                  </td>
                  <td className="num">{formatCredits(t.credits)}</td>
                  <td className="num muted">{formatCredits(t.estimatedCredits)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : !totalsError ? (
        <p className="hint">No spending in this range.</p>
      ) : null}
    </aside>
  )
}

function Detail({ entry }: { entry: HistoryEntryView }) {
  const models = useCatalog((s) => s.models)
  const batchName = useJobs((s) => (entry.batchId ? s.batches[entry.batchId]?.name : undefined))
  const template = useCatalog((s) => (entry.templateId ? s.templates.find((t) => t.id === entry.templateId)?.name : undefined))
  const [deleteFiles, setDeleteFiles] = useState(false)
  const [confirm, setConfirm] = useState(false)
  const [error, setError] = useState<AppErrorData | null>(null)
  const [revealError, setRevealError] = useState<AppErrorData | null>(null)
  const present = entry.outputs.filter((o) => !o.missing)
  return (
    <aside className="history-detail" aria-label="Request details" data-testid="history-detail">
      <header>
        <h2>{modelLabel(models, entry.model)}</h2>
        <button type="button" className="icon-btn" aria-label="Close details" onClick={() => useHistory.getState().select(null)}>
          <Icon name="close" />
        </button>
      </header>
      <div className="detail-status">
        <StatusPill state={entry.status} />
        {entry.sandbox ? <span className="pill warn">Sandbox</span> : null}
        <span className="muted">{formatDateTime(entry.at)}</span>
      </div>
      {entry.error ? <ErrorNotice error={entry.error} /> : null}
      <p className="detail-prompt">{entry.prompt || <span className="muted">No prompt</span>}</p>
      <div className="detail-images">
        <div>
          <span className="field-label">Inputs</span>
          <div className="source-strip">
            {entry.inputs.map((input, i) => (
              <div key={i} className="source-chip" title={input.name}>
                <Thumbnail url={input.url} alt={input.name} />
                {!input.url ? <span className="missing-tag">file missing</span> : null}
              </div>
            ))}
            {!entry.inputs.length ? <span className="hint">None</span> : null}
          </div>
        </div>
        <div>
          <span className="field-label">Outputs</span>
          <div className="source-strip">
            {entry.outputs.map((o) => (
              <div key={o.index} className="source-chip" title={o.name}>
                <Thumbnail url={o.missing ? null : o.url} alt={o.name} problem={o.missing} />
                {o.missing ? <span className="missing-tag">file missing</span> : null}
              </div>
            ))}
            {!entry.outputs.length ? <span className="hint">None</span> : null}
          </div>
        </div>
      </div>
      {present.length ? (
        <div className="toolbar detail-reveal">
          {present.map((o, i) => (
            <RevealButton key={o.index} recordId={entry.id} index={o.index} name={o.name} text={present.length > 1 ? `Show output ${i + 1} in folder` : undefined} onError={setRevealError} />
          ))}
        </div>
      ) : null}
      <ErrorNotice error={revealError} compact onDismiss={() => setRevealError(null)} />
      <dl className="meta-list">
        <dt>Provider</dt>
        <dd>{providerNames[entry.provider]}</dd>
        <dt>Credits</dt>
        <dd>
          <CostBadge credits={entry.credits} kind={entry.estimated ? 'estimate' : 'charged'} /> <span className="muted">estimate {formatCredits(entry.estimate)}</span>
        </dd>
        <dt>Latency</dt>
        <dd>
          {formatMs(entry.latencyMs)}
          {entry.attempts > 1 ? <span className="muted"> · {entry.attempts} attempts</span> : null}
        </dd>
        {template ? (
          <>
            <dt>Template</dt>
            <dd>{template}</dd>
          </>
        ) : null}
        <dt>Request ids</dt>
        <dd className="mono selectable">{entry.requestIds.length ? entry.requestIds.join(', ') : '—'}</dd>
        {entry.taskId ? (
          <>
            <dt>Task id</dt>
            <dd className="mono selectable">{entry.taskId}</dd>
          </>
        ) : null}
        {entry.batchId ? (
          <>
            <dt>Batch</dt>
            <dd className={batchName ? '' : 'mono'}>{batchName ?? entry.batchId}</dd>
          </>
        ) : null}
        {entry.verdict ? (
          <>
            <dt>Verdict</dt>
            <dd>
              {entry.verdict.replace('_', ' ')}
              {entry.picked ? ' · picked' : ''}
            </dd>
          </>
        ) : null}
      </dl>
      <div className="danger-zone">
        {confirm ? (
          <>
            <label className="radio">
              <input type="checkbox" checked={deleteFiles} onChange={(e) => setDeleteFiles(e.target.checked)} /> Also delete the output files from disk
            </label>
            <div className="toolbar">
              <button
                type="button"
                className="btn danger small"
                onClick={() => {
                  useHistory
                    .getState()
                    .remove(entry.id, deleteFiles)
                    .then(
                      (result) => {
                        if (result.filesFailed.length) useUi.getState().toast('warning', `Entry deleted; ${plural(result.filesFailed.length, 'file')} could not be removed: ${result.filesFailed[0]!.reason}`)
                        else if (result.filesDeleted.length) useUi.getState().toast('info', `Entry and ${plural(result.filesDeleted.length, 'file')} deleted.`)
                      },
                      (err: AppErrorData) => setError(err)
                    )
                }}
              >
                Delete entry
              </button>
              <button type="button" className="btn small" onClick={() => setConfirm(false)}>
                Keep
              </button>
            </div>
          </>
        ) : (
          <button type="button" className="btn small danger" onClick={() => setConfirm(true)}>
            <Icon name="trash" /> Delete…
          </button>
        )}
        <ErrorNotice error={error} compact />
      </div>
    </aside>
  )
}

export function HistoryView() {
  const s = useHistory(
    useShallow((st) => ({ items: st.items, total: st.total, loading: st.loading, error: st.error, warnings: st.warnings, selectedId: st.selectedId, exporting: st.exporting, exportResult: st.exportResult, exportError: st.exportError }))
  )
  const models = useCatalog((st) => st.models)
  const h = useHistory.getState()
  const scrollRef = useRef<HTMLDivElement>(null)
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count: s.items.length, getScrollElement: () => scrollRef.current, estimateSize: () => 64, overscan: 10 })
  const virtual = virtualizer.getVirtualItems()
  const lastIndex = virtual[virtual.length - 1]?.index ?? 0

  useEffect(() => {
    void useHistory.getState().query()
  }, [])
  useEffect(() => {
    if (lastIndex >= s.items.length - 20) void useHistory.getState().loadMore()
  }, [lastIndex, s.items.length])

  const selected = useMemo(() => s.items.find((i) => i.id === s.selectedId), [s.items, s.selectedId])

  return (
    <div className="view history" data-testid="history-view">
      <header className="view-header">
        <h1>History</h1>
        <span className="muted" role="status" data-testid="history-count">
          {s.loading && !s.items.length ? 'Loading…' : plural(s.total, 'request')}
        </span>
        <span className="spacer" />
        <div className="toolbar" role="toolbar" aria-label="Export">
          <button type="button" className="btn small" disabled={s.exporting} onClick={() => void h.exportAs('csv')}>
            <Icon name="download" /> Export CSV
          </button>
          <button type="button" className="btn small" disabled={s.exporting} onClick={() => void h.exportAs('json')}>
            <Icon name="download" /> Export JSON
          </button>
        </div>
      </header>
      {s.exportResult ? (
        <p className="ok-text pad" role="status">
          {s.exportResult.path ? `Exported ${plural(s.exportResult.count, 'entry', 'entries')} to ${s.exportResult.path}` : 'Export cancelled.'}
        </p>
      ) : null}
      <ErrorNotice error={s.exportError} compact />
      <Filters />
      <ErrorNotice error={s.error} onRetry={() => void h.query()} />
      {s.warnings.length ? (
        <details className="warnings">
          <summary>{plural(s.warnings.length, 'history line')} could not be read</summary>
          <ul>
            {s.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      ) : null}
      <div className="history-body">
        <div className="history-list" ref={scrollRef} role="list" aria-label="Requests">
          {s.items.length ? (
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative', flexShrink: 0 }}>
              {virtual.map((row) => {
                const e = s.items[row.index]!
                return (
                  <div key={e.id} role="listitem" className="history-row-wrap" style={{ transform: `translateY(${row.start}px)` }}>
                    <button type="button" className={`history-row${e.id === s.selectedId ? ' on' : ''}`} onClick={() => h.select(e.id)} data-testid="history-row">
                      <Thumbnail url={e.outputs.find((o) => !o.missing)?.url ?? e.inputs[0]?.url ?? null} alt="" problem={e.status === 'failed'} />
                      <span className="history-main">
                        <span className="history-prompt ellipsis" title={e.prompt || undefined}>
                          {e.prompt || '(no prompt)'}
                        </span>
                        <span className="muted small ellipsis" title={e.error?.message}>
                          {modelLabel(models, e.model)} · {formatDateTime(e.at)}
                          {e.error ? ` · ${e.error.message}` : ''}
                        </span>
                      </span>
                      <StatusPill state={e.status} />
                      <span className="num">{formatMs(e.latencyMs)}</span>
                      <CostBadge credits={e.credits} kind={e.estimated ? 'estimate' : 'charged'} />
                    </button>
                  </div>
                )
              })}
            </div>
          ) : !s.loading && !s.error ? (
            <div className="empty-state">
              <Icon name="history" size={40} />
              <h2>No requests {useHistory.getState().filter.text || Object.keys(useHistory.getState().filter).length > 1 ? 'match these filters' : 'yet'}</h2>
              <p className="muted">Every request is recorded here with its model, cost, request ids and any error, and survives restarts.</p>
            </div>
          ) : null}
        </div>
        {selected ? <Detail key={selected.id} entry={selected} /> : <Totals />}
      </div>
    </div>
  )
}
