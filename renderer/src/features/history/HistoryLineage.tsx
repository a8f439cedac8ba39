import { useEffect } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { HistoryEntryView } from '@shared/views'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { formatDateTime } from '../../lib/format'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { useHistory } from './store'
import './lineage.css'

/**
 * Where this request sits in its chain of edits: every version, indented under the one it continued
 * from, each a link to its own details. Shown only when there is a chain (more than this one request).
 */
export function HistoryLineage({ entry }: { entry: HistoryEntryView }) {
  const { lineage, lineageError } = useHistory(useShallow((s) => ({ lineage: s.lineage, lineageError: s.lineageError })))
  const models = useCatalog((s) => s.models)
  useEffect(() => {
    if (entry.kind === 'edit') void useHistory.getState().loadLineage(entry.id)
  }, [entry.id, entry.kind])
  if (lineageError) return <ErrorNotice error={lineageError} compact />
  const current = lineage?.versions.some((v) => v.recordId === entry.id) ? lineage : null
  if (!current || current.versions.length < 2) return null
  return (
    <section className="detail-lineage" aria-label="Lineage" data-testid="history-lineage">
      <span className="field-label">
        Lineage · {current.versions.length} versions · <CostBadge credits={current.credits} kind="charged" title="Credits of every version in this chain" />
      </span>
      <ol className="lineage-tree">
        {current.versions.map((version, i) => (
          <li key={version.recordId} style={{ paddingInlineStart: `${version.depth * 14}px` }}>
            <span className="muted">{version.depth ? '↳' : ''}v{i + 1}</span>
            <button
              type="button"
              className="lineage-link"
              aria-current={version.recordId === entry.id ? 'true' : undefined}
              title={`${modelLabel(models, version.model)} · ${formatDateTime(version.at)}`}
              onClick={() => version.recordId !== entry.id && void useHistory.getState().openEntry(version.recordId)}
            >
              {version.prompt || 'No prompt'}
            </button>
            {version.outputs.every((o) => o.missing) ? <span className="missing-tag">file missing</span> : null}
          </li>
        ))}
      </ol>
    </section>
  )
}
