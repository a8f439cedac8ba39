import { leakSentence } from '../../../lib/maskLeak'
import './mask.css'

/** A version made with a mask, and what the model changed outside it. */
export function MaskTag({ leak }: { leak?: number }) {
  return (
    <span className="mask-tag" title={leak === undefined ? 'Edited within a mask' : `Edited within a mask. ${leakSentence(leak)}`}>
      masked
    </span>
  )
}
