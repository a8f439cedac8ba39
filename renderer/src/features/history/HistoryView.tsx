import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { RequestId } from '../../components/RequestId'
import { Icon } from '../../components/Icon'
import { ViewHeader } from '../../components/ViewHeader'
import { StatusPill } from '../../components/StatusPill'
import { Thumbnail } from '../../components/Thumbnail'
import { formatDateTime, formatMs, plural } from '../../lib/format'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { HistoryDetail } from './HistoryDetail'
import { HistoryFilters } from './HistoryFilters'
import { HistoryTotals } from './HistoryTotals'
import { entryRequestId, entryThumbUrl, filterNarrows, selectedEntry } from './selectors'
import { useHistory } from './store'

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

  const selected = useMemo(() => selectedEntry(s.items, s.selectedId), [s.items, s.selectedId])

  return (
    <div className="view history" data-testid="history-view">
      <ViewHeader title="History" status={s.loading && !s.items.length ? 'Loading…' : plural(s.total, 'request')} statusTestId="history-count" toolbarLabel="Export">
        <button type="button" className="btn small" disabled={s.exporting} onClick={() => void h.exportAs('csv')}>
          <Icon name="download" /> Export CSV
        </button>
        <button type="button" className="btn small" disabled={s.exporting} onClick={() => void h.exportAs('json')}>
          <Icon name="download" /> Export JSON
        </button>
      </ViewHeader>
      {s.exportResult ? (
        <p className="ok-text pad" role="status">
          {s.exportResult.path ? `Exported ${plural(s.exportResult.count, 'entry', 'entries')} to ${s.exportResult.path}` : 'Export cancelled.'}
        </p>
      ) : null}
      <ErrorNotice error={s.exportError} compact />
      <HistoryFilters />
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
        <div className="history-list" ref={scrollRef} role={s.items.length ? 'list' : undefined} aria-label={s.items.length ? 'Requests' : undefined}>
          {s.items.length ? (
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative', flexShrink: 0 }}>
              {virtual.map((row) => {
                const e = s.items[row.index]!
                return (
                  <div
                    key={e.id}
                    role="listitem"
                    className="history-row-wrap"
                    style={{ transform: `translateY(${row.start}px)` }}
                    data-copy-request-id={entryRequestId(e)}
                    data-selected={e.id === s.selectedId}
                  >
                    <div className={`history-row with-id${e.id === s.selectedId ? ' on' : ''}`} data-testid="history-row">
                      {/* The whole row selects: the button's overlay covers it. */}
                      <button type="button" className="history-row-select" aria-current={e.id === s.selectedId ? 'true' : undefined} onClick={() => h.select(e.id)}>
                        <Thumbnail url={entryThumbUrl(e)} alt="" problem={e.status === 'failed'} />
                        <span className="history-main">
                          <span className="history-prompt ellipsis" title={e.prompt || undefined}>
                            {e.prompt || '(no prompt)'}
                          </span>
                          <span className="muted small ellipsis" title={e.error?.message}>
                            {modelLabel(models, e.model)} · {formatDateTime(e.at)}
                            {e.error ? ` · ${e.error.message}` : ''}
                          </span>
                        </span>
                      </button>
                      {/* Above the row's overlay, so hovering shows the whole id; a click beside its copy button still selects. */}
                      <span className="history-row-id" onClick={(ev) => (ev.target as Element).closest('button') || h.select(e.id)}>
                        <RequestId id={entryRequestId(e)} max={16} />
                      </span>
                      <StatusPill state={e.status} />
                      <span className="num">{formatMs(e.latencyMs)}</span>
                      <CostBadge credits={e.credits} kind={e.estimated ? 'estimate' : 'charged'} />
                    </div>
                  </div>
                )
              })}
            </div>
          ) : !s.loading && !s.error ? (
            <div className="empty-state">
              <Icon name="history" size={40} />
              <h2>No requests {filterNarrows(useHistory.getState().filter) ? 'match these filters' : 'yet'}</h2>
              <p className="muted">Every request is recorded here with its model, cost, request ids and any error, and survives restarts.</p>
            </div>
          ) : null}
        </div>
        {selected ? <HistoryDetail key={selected.id} entry={selected} /> : <HistoryTotals />}
      </div>
    </div>
  )
}
