export function ProgressBar({ value, max, label, segments }: { value: number; max: number; label: string; segments?: { failed: number } }) {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0
  const failedPct = max > 0 && segments ? Math.min(100 - pct, (segments.failed / max) * 100) : 0
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
      <div className="progress-fill" style={{ width: `${pct}%` }} />
      {failedPct > 0 ? <div className="progress-failed" style={{ left: `${pct}%`, width: `${failedPct}%` }} /> : null}
    </div>
  )
}
