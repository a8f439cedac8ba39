import { formatCredits } from '../lib/format'

/**
 * Credits in one place and one style: an estimate is marked "≈", a charge is plain, an unknown price
 * says so rather than showing zero.
 */
export function CostBadge({ credits, kind, title }: { credits: number | null | undefined; kind: 'estimate' | 'charged'; title?: string }) {
  if (credits === null || credits === undefined) {
    return (
      <span className="cost-badge unknown" title={title ?? 'The catalog has no price for this model'}>
        price unknown
      </span>
    )
  }
  return (
    <span className={`cost-badge ${kind}`} title={title ?? (kind === 'estimate' ? 'Estimated from the model catalog' : 'Charged by the provider')}>
      {kind === 'estimate' ? '≈ ' : ''}
      {formatCredits(credits)}
    </span>
  )
}
