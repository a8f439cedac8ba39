import { useEffect, useState } from 'react'
import { providerIds, requestStatusSchema } from '@shared/records'
import type { HistoryEntryView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { providerFacts } from '@shared/providers'
import { useJobs } from '../batches/jobsStore'
import { useCatalog } from '../settings/catalogStore'
import { filterActive } from './selectors'
import { useHistory } from './store'

export function HistoryFilters() {
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
  const active = filterActive(filter)

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
              {providerFacts[p].label}
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
