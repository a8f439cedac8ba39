import { useState } from 'react'
import type { AppErrorData } from '@shared/errors'
import type { HistoryEntryView } from '@shared/views'
import { useUi } from '../../app/uiStore'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { CopyButton } from '../../components/RequestId'
import { RevealButton } from '../../components/RevealButton'
import { StatusPill } from '../../components/StatusPill'
import { Thumbnail } from '../../components/Thumbnail'
import { formatCredits, formatDateTime, formatMs, plural } from '../../lib/format'
import { sizeMismatchText } from '../../lib/items'
import { modelLabel } from '../../lib/models'
import { providerFacts } from '@shared/providers'
import { useJobs } from '../batches/jobsStore'
import { useCatalog } from '../settings/catalogStore'
import { continueInEditor } from '../editor/openVersion'
import { HistoryLineage } from './HistoryLineage'
import { entryRequestId } from './selectors'
import { useHistory } from './store'
import { MaskDetail } from './MaskDetail'
import { HistoryReferences } from './HistoryReferences'

/** Inputs and outputs side by side, missing files marked, and "Show in folder" for each output still on disk. */
function DetailImages({ entry }: { entry: HistoryEntryView }) {
  const [revealError, setRevealError] = useState<AppErrorData | null>(null)
  const present = entry.outputs.filter((o) => !o.missing)
  return (
    <>
      <div className="detail-images">
        <div>
          <span className="field-label">Inputs</span>
          <div className="source-strip">
            {entry.inputs.map((input, i) => (
              <div key={i} className="source-chip" title={input.name}>
                <Thumbnail url={input.url} alt={input.name} />
                {!input.url ? <span className="missing-tag">file missing</span> : null}
              </div>
            ))}
            {!entry.inputs.length ? <span className="hint">None</span> : null}
          </div>
        </div>
        <div>
          <span className="field-label">Outputs</span>
          <div className="source-strip">
            {entry.outputs.map((o) => (
              <div key={o.index} className="source-chip" title={o.name}>
                <Thumbnail url={o.missing ? null : o.url} alt={o.name} problem={o.missing} />
                {o.missing ? <span className="missing-tag">file missing</span> : null}
              </div>
            ))}
            {!entry.outputs.length ? <span className="hint">None</span> : null}
          </div>
        </div>
      </div>
      {present.length ? (
        <div className="toolbar detail-reveal">
          {present.map((o, i) => (
            <RevealButton key={o.index} recordId={entry.id} index={o.index} name={o.name} text={present.length > 1 ? `Show output ${i + 1} in folder` : undefined} onError={setRevealError} />
          ))}
          {entry.status === 'succeeded' && entry.kind === 'edit'
            ? present.map((o, i) => (
                <button key={`continue-${o.index}`} type="button" className="btn small" title="Open this output in the editor as the image to edit, with the same model" onClick={() => continueInEditor(entry.id, o, entry.model)}>
                  <Icon name="edit" /> {present.length > 1 ? `Continue from output ${i + 1}` : 'Continue from this'}
                </button>
              ))
            : null}
        </div>
      ) : null}
      <ErrorNotice error={revealError} compact onDismiss={() => setRevealError(null)} />
      {entry.kind === 'edit' ? <HistoryReferences inputs={entry.inputs} /> : null}
    </>
  )
}

function DetailMeta({ entry }: { entry: HistoryEntryView }) {
  const batchName = useJobs((s) => (entry.batchId ? s.batches[entry.batchId]?.name : undefined))
  const template = useCatalog((s) => (entry.templateId ? s.templates.find((t) => t.id === entry.templateId)?.name : undefined))
  return (
    <dl className="meta-list">
      <dt>Provider</dt>
      <dd>{providerFacts[entry.provider].label}</dd>
      <dt>Credits</dt>
      <dd>
        <CostBadge credits={entry.credits} kind={entry.estimated ? 'estimate' : 'charged'} /> <span className="muted">estimate {formatCredits(entry.estimate)}</span>
        {entry.aboveEstimate ? <span className="field-error"> · far above the estimate: worth checking with the provider</span> : null}
        {entry.outputsDiscarded ? (
          <span className="muted">
            {' '}
            · {plural(entry.outputsDiscarded, 'extra output')} sent and not kept (not counted)
          </span>
        ) : null}
      </dd>
      <OutputFacts entry={entry} />
      <dt>Latency</dt>
      <dd>
        {formatMs(entry.latencyMs)}
        {entry.attempts > 1 ? <span className="muted"> · {entry.attempts} attempts</span> : null}
      </dd>
      {entry.mask ? <MaskDetail mask={entry.mask} /> : null}
      {template ? (
        <>
          <dt>Template</dt>
          <dd>{template}</dd>
        </>
      ) : null}
      <dt>Request ids</dt>
      <dd>
        {entry.requestIds.length ? (
          <ul className="id-list" aria-label="Request ids">
            {entry.requestIds.map((id, i) => (
              <li key={`${i}-${id}`}>
                <span className="mono selectable">{id}</span> <CopyButton text={id} what="Request id" />
              </li>
            ))}
          </ul>
        ) : (
          '—'
        )}
      </dd>
      {entry.taskId ? (
        <>
          <dt>Task id</dt>
          <dd>
            <span className="mono selectable">{entry.taskId}</span> <CopyButton text={entry.taskId} what="Task id" />
          </dd>
        </>
      ) : null}
      {entry.batchId ? (
        <>
          <dt>Batch</dt>
          <dd>
            <span className={batchName ? '' : 'mono selectable'}>{batchName ?? entry.batchId}</span> <CopyButton text={entry.batchId} what="Batch id" />
          </dd>
        </>
      ) : null}
      <dt>Record id</dt>
      <dd>
        <span className="mono selectable">{entry.id}</span> <CopyButton text={entry.id} what="Record id" />
      </dd>
      {entry.verdict ? (
        <>
          <dt>Verdict</dt>
          <dd>
            {entry.verdict.replace('_', ' ')}
            {entry.picked ? ' · picked' : ''}
          </dd>
        </>
      ) : null}
    </dl>
  )
}

/** Per output: a size that missed what was asked, and whether Content Credentials were signed into the file. */
function OutputFacts({ entry }: { entry: HistoryEntryView }) {
  const numbered = (index: number) => (entry.outputs.length > 1 ? `Output ${index + 1}: ` : '')
  const missed = entry.outputs.filter((o) => o.sizeMismatch)
  const credentials = entry.outputs.filter((o) => o.contentCredentials)
  return (
    <>
      {missed.length ? (
        <>
          <dt>Size</dt>
          <dd>
            {missed.map((o) => (
              <span key={o.index} className="field-error block">
                {numbered(o.index)}
                {sizeMismatchText(o.sizeMismatch!)}
              </span>
            ))}
          </dd>
        </>
      ) : null}
      {credentials.length ? (
        <>
          <dt>Content Credentials</dt>
          <dd>
            {credentials.map((o) => (
              <span key={o.index} className={o.contentCredentials!.signed ? 'block' : 'field-error block'}>
                {numbered(o.index)}
                {o.contentCredentials!.signed ? 'signed' : `not signed: ${o.contentCredentials!.note ?? 'no reason given'}`}
              </span>
            ))}
          </dd>
        </>
      ) : null}
    </>
  )
}

/** Deleting an entry asks first, and may take its output files with it. */
function DeleteEntry({ entryId }: { entryId: string }) {
  const [deleteFiles, setDeleteFiles] = useState(false)
  const [confirm, setConfirm] = useState(false)
  const [error, setError] = useState<AppErrorData | null>(null)
  const remove = () => {
    useHistory
      .getState()
      .remove(entryId, deleteFiles)
      .then(
        (result) => {
          if (result.filesFailed.length) useUi.getState().toast('warning', `Entry deleted; ${plural(result.filesFailed.length, 'file')} could not be removed: ${result.filesFailed[0]!.reason}`)
          else if (result.filesDeleted.length) useUi.getState().toast('info', `Entry and ${plural(result.filesDeleted.length, 'file')} deleted.`)
        },
        (err: AppErrorData) => setError(err)
      )
  }
  return (
    <div className="danger-zone">
      {confirm ? (
        <>
          <label className="radio">
            <input type="checkbox" checked={deleteFiles} onChange={(e) => setDeleteFiles(e.target.checked)} /> Also delete the output files from disk
          </label>
          <div className="toolbar">
            <button type="button" className="btn danger small" onClick={remove}>
              Delete entry
            </button>
            <button type="button" className="btn small" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </div>
        </>
      ) : (
        <button type="button" className="btn small danger" onClick={() => setConfirm(true)}>
          <Icon name="trash" /> Delete…
        </button>
      )}
      <ErrorNotice error={error} compact />
    </div>
  )
}

export function HistoryDetail({ entry }: { entry: HistoryEntryView }) {
  const models = useCatalog((s) => s.models)
  return (
    <aside className="history-detail" aria-label="Request details" data-testid="history-detail" data-copy-request-id={entryRequestId(entry)} data-selected="true">
      <header>
        <h2>{modelLabel(models, entry.model)}</h2>
        <button type="button" className="icon-btn" aria-label="Close details" onClick={() => useHistory.getState().select(null)}>
          <Icon name="close" />
        </button>
      </header>
      <div className="detail-status">
        <StatusPill state={entry.status} />
        {entry.sandbox ? <span className="pill warn">Sandbox</span> : null}
        <span className="muted">{formatDateTime(entry.at)}</span>
      </div>
      {entry.error ? <ErrorNotice error={entry.error} /> : null}
      <p className="detail-prompt">{entry.prompt || <span className="muted">No prompt</span>}</p>
      <DetailImages entry={entry} />
      <HistoryLineage entry={entry} />
      <DetailMeta entry={entry} />
      <div className="toolbar">
        <button type="button" className="btn small" onClick={() => void useHistory.getState().copySupportBundle(entry.id)} title="The record, its error, every id and the output hashes, as text for a message to support; never a key or the prompt">
          <Icon name="copy" /> Copy support bundle
        </button>
      </div>
      <DeleteEntry entryId={entry.id} />
    </aside>
  )
}
