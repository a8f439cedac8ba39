import type { HistoryEntryView } from '@shared/views'
import { leakSentence, maskRouteLabel } from '../../lib/maskLeak'
import './mask-detail.css'

/** A masked edit in the details: the mask itself, how it reached the model, and what the model changed outside it. */
export function MaskDetail({ mask }: { mask: NonNullable<HistoryEntryView['mask']> }) {
  const several = mask.leak.length > 1
  return (
    <>
      <dt>Mask</dt>
      <dd data-testid="history-mask">
        <span className="history-mask">
          {mask.url ? <img className="history-mask-thumb" src={mask.url} alt="The mask (white where the edit was allowed)" width={48} height={48} /> : null}
          <span>
            Masked edit, {maskRouteLabel(mask.route)}.
            {mask.leak.map((leak, i) => (
              <span key={i} className="history-mask-leak">
                {' '}
                {several ? `Output ${i + 1}: ` : ''}
                {leakSentence(leak)}
              </span>
            ))}
            {mask.note ? <span className="field-error"> {mask.note}</span> : null}
          </span>
        </span>
      </dd>
    </>
  )
}
