import type { Verdict } from '@shared/records'
import type { ItemView } from '@shared/views'
import { useShallow } from 'zustand/react/shallow'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { letters } from './selectors'
import { useCompare } from './store'

const verdicts: Array<{ value: Exclude<Verdict, 'pick'>; label: string; key: string }> = [
  { value: 'a_better', label: 'A is better', key: '1' },
  { value: 'b_better', label: 'B is better', key: '2' },
  { value: 'tie', label: 'Tie', key: '3' },
  { value: 'both_bad', label: 'Both bad', key: '4' }
]

/** Which result is better, or which one to keep: saved with the comparison group. */
export function VerdictBar({ group, ordered }: { group: string; ordered: ItemView[] }) {
  const s = useCompare(useShallow((st) => ({ verdict: st.verdict, verdictSaving: st.verdictSaving, verdictError: st.verdictError })))
  const cmp = useCompare.getState()
  return (
    <div className="verdict-bar" role="group" aria-label="Verdict">
      <span className="muted">Which is better?</span>
      {verdicts.map((v) => (
        <button key={v.value} type="button" className={`btn small${s.verdict?.value === v.value ? ' primary' : ''}`} aria-pressed={s.verdict?.value === v.value} disabled={s.verdictSaving} onClick={() => void cmp.saveVerdict(group, v.value)}>
          {v.label}
        </button>
      ))}
      {ordered.map((item, i) =>
        item.recordId ? (
          <button key={item.id} type="button" className={`btn small${s.verdict?.value === 'pick' && s.verdict.pickedRecordId === item.recordId ? ' primary' : ''}`} disabled={s.verdictSaving} onClick={() => void cmp.saveVerdict(group, 'pick', item.recordId)}>
            Keep {letters[i]}
          </button>
        ) : null
      )}
      {s.verdict ? (
        <span className="ok-text" role="status">
          <Icon name="check" /> Verdict saved
        </span>
      ) : null}
      <ErrorNotice error={s.verdictError} compact />
    </div>
  )
}
