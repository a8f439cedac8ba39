import type { HistoryEntryView } from '@shared/views'
import { MiddleTruncate } from '../../components/MiddleTruncate'
import { Thumbnail } from '../../components/Thumbnail'
import '../../components/references/references.css'

/**
 * The reference images an edit was sent with, in order, by the number the prompt uses for each (the
 * image edited is image 1), with their roles and content hashes, so a result can be traced to them.
 */
export function HistoryReferences({ inputs }: { inputs: HistoryEntryView['inputs'] }) {
  const references = inputs.slice(1)
  if (!references.length) return null
  return (
    <section className="detail-references" aria-label="Reference images" data-testid="history-references">
      <span className="field-label">Reference images</span>
      <ol className="reference-list">
        {references.map((ref, i) => (
          <li key={i} className="reference-row" data-testid="history-reference">
            <div className="source-chip" title={ref.name}>
              <Thumbnail url={ref.url} alt={ref.name} />
              {!ref.url ? <span className="missing-tag">file missing</span> : null}
            </div>
            <span className="reference-number">Image {i + 2}</span>
            <MiddleTruncate className="reference-name" text={ref.name} />
            <span className="reference-role">{ref.role ?? 'no role'}</span>
            {ref.sha256 ? (
              <code className="reference-hash" title={`sha256 ${ref.sha256}`}>
                {ref.sha256.slice(0, 12)}
              </code>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  )
}
