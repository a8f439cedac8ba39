import { useId, useMemo } from 'react'
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts'
import { useShallow } from 'zustand/react/shallow'
import type { SpendInterval } from '@shared/history'
import { ErrorNotice } from '../../components/ErrorNotice'
import { formatCredits, plural } from '../../lib/format'
import { useCatalog } from '../settings/catalogStore'
import { periodLabel, spendChartData, spendSummary, type SpendRow, type SpendSeries } from './selectors'
import { useHistory, type SpendBy } from './store'

/**
 * Theme colours by name, so the chart follows the light and dark themes with the rest of the app.
 * "Other models" takes a neutral; credits at risk take the warning colour.
 */
const SERIES_COLOURS = ['var(--accent)', 'var(--gpt)', 'var(--gemini)', 'var(--text-2)', 'var(--accent-strong)']
const OTHER_COLOUR = 'var(--text-3)'
const AT_RISK_COLOUR = 'var(--warn)'

const colourOf = (series: SpendSeries, index: number) => (series.key === 'other' ? OTHER_COLOUR : (SERIES_COLOURS[index % SERIES_COLOURS.length] ?? OTHER_COLOUR))

const intervals: SpendBy[] = ['auto', 'day', 'week', 'month']

function SpendTooltip({ active, payload, series, by }: Pick<TooltipContentProps<number, string>, 'active' | 'payload'> & { series: SpendSeries[]; by: SpendInterval }) {
  const row = payload?.[0]?.payload as SpendRow | undefined
  if (!active || !row) return null
  return (
    <div className="spend-tooltip">
      <strong>{periodLabel(row.start, row.end, by, 'long')}</strong>
      <span>
        {formatCredits(row.credits)} · {plural(row.count, 'request')}
      </span>
      {series.map((s, i) =>
        Number(row[s.key]) > 0 ? (
          <span key={s.key} className="spend-tooltip-line">
            <i className="swatch" style={{ background: colourOf(s, i) }} aria-hidden /> {s.label}: {formatCredits(Number(row[s.key]))}
          </span>
        ) : null
      )}
      {row.atRisk > 0 ? <span className="spend-tooltip-line">At risk (interrupted): {formatCredits(row.atRisk)}</span> : null}
    </div>
  )
}

/** The same figures as a table, for screen readers: one row per period with requests. */
function SpendTable({ rows, series, by, caption }: { rows: SpendRow[]; series: SpendSeries[]; by: SpendInterval; caption: string }) {
  const busy = rows.filter((r) => r.count > 0)
  const atRisk = busy.some((r) => r.atRisk > 0)
  return (
    <table className="sr-only" data-testid="spend-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{by[0]!.toUpperCase() + by.slice(1)}</th>
          {series.map((s) => (
            <th key={s.key} scope="col">
              {s.label}
            </th>
          ))}
          {atRisk ? <th scope="col">At risk</th> : null}
          <th scope="col">Total</th>
        </tr>
      </thead>
      <tbody>
        {busy.map((r) => (
          <tr key={r.start}>
            <th scope="row">{periodLabel(r.start, r.end, by, 'long')}</th>
            {series.map((s) => (
              <td key={s.key}>{formatCredits(Number(r[s.key]))}</td>
            ))}
            {atRisk ? <td>{formatCredits(r.atRisk)}</td> : null}
            <td>
              {formatCredits(r.credits)} ({plural(r.count, 'request')})
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Credits over time, stacked by model, for the list's filter: spend at a glance beside the totals. */
export function SpendChart() {
  const { spend, spendBy, spendError } = useHistory(useShallow((s) => ({ spend: s.spend, spendBy: s.spendBy, spendError: s.spendError })))
  const models = useCatalog((s) => s.models)
  const captionId = useId()
  const data = useMemo(() => (spend ? spendChartData(spend, models) : null), [spend, models])
  const summary = useMemo(() => (spend ? spendSummary(spend, models) : ''), [spend, models])
  const hasData = Boolean(spend && data && spend.overall.count > 0)
  const atRisk = Boolean(spend && spend.overall.atRisk > 0)

  return (
    <section className="spend" aria-labelledby={`${captionId}-title`} data-testid="spend-chart">
      <header>
        <h2 id={`${captionId}-title`}>Spend over time</h2>
        <div className="segmented small" role="radiogroup" aria-label="Chart periods">
          {intervals.map((by) => (
            <button key={by} type="button" role="radio" aria-checked={spendBy === by} className={spendBy === by ? 'on' : ''} onClick={() => void useHistory.getState().loadSpend(by)}>
              {by}
            </button>
          ))}
        </div>
      </header>
      <ErrorNotice error={spendError} compact />
      {hasData && spend && data ? (
        <figure className="spend-figure">
          <div className="spend-plot" aria-hidden="true">
            <ResponsiveContainer width="100%" height={170} minWidth={0} initialDimension={{ width: 320, height: 170 }}>
              <BarChart data={data.rows} margin={{ top: 6, right: 14, bottom: 0, left: -12 }} accessibilityLayer={false} barCategoryGap="18%">
                <CartesianGrid vertical={false} stroke="var(--line)" />
                <XAxis
                  dataKey="start"
                  tickFormatter={(start: string) => periodLabel(start, start, spend.by, 'short')}
                  tick={{ fill: 'var(--text-2)', fontSize: 11 }}
                  stroke="var(--line-strong)"
                  tickLine={false}
                  minTickGap={12}
                />
                <YAxis tick={{ fill: 'var(--text-2)', fontSize: 11 }} stroke="var(--line-strong)" tickLine={false} allowDecimals={false} width={44} />
                <Tooltip cursor={{ fill: 'var(--accent-soft)' }} content={(props) => <SpendTooltip active={props.active} payload={props.payload} series={data.series} by={spend.by} />} isAnimationActive={false} />
                {data.series.map((s, i) => (
                  <Bar key={s.key} dataKey={s.key} name={s.label} stackId="spend" fill={colourOf(s, i)} isAnimationActive={false} className={`spend-bar spend-bar-${s.key}`} />
                ))}
                {atRisk ? <Bar dataKey="atRisk" name="At risk" stackId="spend" fill={AT_RISK_COLOUR} fillOpacity={0.55} isAnimationActive={false} className="spend-bar spend-bar-at-risk" /> : null}
              </BarChart>
            </ResponsiveContainer>
          </div>
          <ul className="spend-legend" aria-label="Chart legend">
            {data.series.map((s, i) => (
              <li key={s.key}>
                <i className="swatch" style={{ background: colourOf(s, i) }} aria-hidden />
                <span className="ellipsis" title={s.label}>
                  {s.label}
                </span>
              </li>
            ))}
            {atRisk ? (
              <li>
                <i className="swatch at-risk" style={{ background: AT_RISK_COLOUR }} aria-hidden />
                <span>At risk (interrupted)</span>
              </li>
            ) : null}
          </ul>
          <figcaption className="hint" data-testid="spend-summary">
            {summary}
          </figcaption>
          <SpendTable rows={data.rows} series={data.series} by={spend.by} caption={`Credits by ${spend.by} and model`} />
        </figure>
      ) : !spendError && spend ? (
        <p className="hint" data-testid="spend-empty">
          No requests in this range, so there is no spending to chart.
        </p>
      ) : null}
    </section>
  )
}
