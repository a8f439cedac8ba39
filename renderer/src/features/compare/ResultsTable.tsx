import type { ItemView, OutputView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { ItemCost } from '../../components/ItemStatus'
import { RequestId } from '../../components/RequestId'
import { MiddleTruncate, modelNameTail } from '../../components/MiddleTruncate'
import { RevealButton } from '../../components/RevealButton'
import { StatusPill } from '../../components/StatusPill'
import { formatMs } from '../../lib/format'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { continueInEditor } from '../editor/openVersion'
import { letters } from './selectors'

function ContinueButton({ recordId, output, model, name }: { recordId: string; output: OutputView; model: string; name: string }) {
  return (
    <button type="button" className="icon-btn" aria-label={`Continue from ${name}`} title={`Continue from ${name}: open this result in the editor as the image to edit, with the same model`} onClick={() => continueInEditor(recordId, output, model)}>
      <Icon name="edit" />
    </button>
  )
}

/** Every result in one table: status, latency, cost and request id, and where its output is. */
export function ResultsTable({ ordered }: { ordered: ItemView[] }) {
  const models = useCatalog((s) => s.models)
  return (
    <table className="compare-table">
      <thead>
        <tr>
          <th scope="col"></th>
          <th scope="col">Model</th>
          <th scope="col">Status</th>
          <th scope="col" className="num">
            Latency
          </th>
          <th scope="col" className="num">
            Credits
          </th>
          <th scope="col">Request id</th>
          <th scope="col">
            <span className="sr-only">Output</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {ordered.map((item, i) => (
          <tr key={item.id} data-copy-request-id={item.requestId ?? item.error?.requestId}>
            <td>{letters[i]}</td>
            <td className="cell-model">
              <MiddleTruncate text={modelLabel(models, item.model)} keepEnd={modelNameTail} />
            </td>
            <td>{item.error ? <span className="field-error">{item.error.message}</span> : <StatusPill state={item.state} />}</td>
            <td className="num nowrap">{formatMs(item.latencyMs)}</td>
            <td className="num">
              <ItemCost item={item} />
            </td>
            <td className="cell-request">
              <RequestId id={item.requestId ?? item.error?.requestId} />
            </td>
            <td className="cell-reveal">
              {item.outputs[0] && !item.outputs[0].missing ? <RevealButton compact recordId={item.recordId} index={item.outputs[0].index} name={`${letters[i]} (${item.outputs[0].name})`} /> : null}
              {item.outputs[0] && !item.outputs[0].missing && item.recordId && item.state === 'done' ? (
                <ContinueButton recordId={item.recordId} output={item.outputs[0]} model={item.model} name={letters[i] ?? ''} />
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
