import { lazy, Suspense } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { ErrorNotice } from '../../components/ErrorNotice'
import { MiddleTruncate, modelNameTail } from '../../components/MiddleTruncate'
import { formatCredits, plural } from '../../lib/format'
import { useJobs } from '../batches/jobsStore'
import { useCatalog } from '../settings/catalogStore'
import { totalsKeyLabel } from './selectors'
import { useHistory, type TotalsBy } from './store'

// The chart library is most of the renderer's weight: it loads when History is opened, not at start-up.
const SpendChart = lazy(() => import('./SpendChart').then((m) => ({ default: m.SpendChart })))

export function HistoryTotals() {
  const { totals, overall, totalsBy, totalsError } = useHistory(useShallow((s) => ({ totals: s.totals, overall: s.overall, totalsBy: s.totalsBy, totalsError: s.totalsError })))
  const models = useCatalog((s) => s.models)
  const batches = useJobs((s) => s.batches)
  const max = Math.max(1, ...totals.map((t) => t.credits))
  const keyLabel = (key: string) => totalsKeyLabel(totalsBy, key, models, batches)
  return (
    <aside className="totals" aria-label="Totals">
      <Suspense fallback={<p className="hint">Loading the spend chart…</p>}>
        <SpendChart />
      </Suspense>
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
              {overall.sizeMismatches ? <span className="hint block">{plural(overall.sizeMismatches, 'request')} delivered a size other than the one asked for.</span> : null}
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
                <th scope="col" className="num" title="Requests whose results were not at the size asked for">
                  Wrong size
                </th>
              </tr>
            </thead>
            <tbody>
              {totals.map((t) => (
                <tr key={t.key}>
                  <td>
                    <MiddleTruncate text={keyLabel(t.key)} keepEnd={totalsBy === 'model' || totalsBy === 'provider' ? modelNameTail : undefined} />
                    <span className="bar" style={{ width: `${(t.credits / max) * 100}%` }} aria-hidden />
                  </td>
                  <td className="num">
                    {t.count}
                    {t.failed ? <span className="field-error"> ({t.failed} failed)</span> : null}
                  </td>
                  <td className="num">{formatCredits(t.credits)}</td>
                  <td className="num muted">{formatCredits(t.estimatedCredits)}</td>
                  <td className={t.sizeMismatches ? 'num field-error' : 'num muted'}>{t.sizeMismatches}</td>
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
