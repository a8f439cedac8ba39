import type { PackPlanView } from '@shared/packs'
import type { ItemView, OutputView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { StatusPill } from '../../components/StatusPill'
import { Thumbnail } from '../../components/Thumbnail'
import { formatBytes, formatCredits, plural } from '../../lib/format'

/** The plan before anything is sent: per target the model's frame, the finishing and the price, then the total. */
export function PlanGrid({ plan }: { plan: PackPlanView }) {
  const requests = plan.targets.length * plan.images
  return (
    <section className="pack-plan" aria-label="Planned outputs" data-testid="pack-plan">
      <table className="pack-table">
        <caption>
          {plan.packName} with {plan.model}: {plural(plan.targets.length, 'target')} × {plural(plan.images, 'image')} = {plural(requests, 'request')}
        </caption>
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">Size</th>
            <th scope="col">Model size</th>
            <th scope="col">Finishing</th>
            <th scope="col" className="num">
              Per image
            </th>
            <th scope="col" className="num">
              × {plan.images}
            </th>
          </tr>
        </thead>
        <tbody>
          {plan.targets.map((t) => (
            <tr key={t.target} className={t.upscale ? 'pack-upscale' : undefined}>
              <th scope="row">{t.target}</th>
              <td className="nowrap">
                {t.width}×{t.height}
              </td>
              <td>{t.model.label}</td>
              <td>
                {t.finishing}
                {t.problem ? <p className="warn-text pack-problem">{t.problem}</p> : null}
              </td>
              <td className="num">{t.price === null ? 'unpriced' : formatCredits(t.price)}</td>
              <td className="num">{t.price === null ? '—' : formatCredits(t.price * plan.images)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={5}>
              Total
            </th>
            <td className="num" data-testid="pack-total">
              {plan.total === null ? 'unpriced' : formatCredits(plan.total)}
            </td>
          </tr>
        </tfoot>
      </table>
    </section>
  )
}

/** Every output of the run with its target, its finishing and each rule check, passed or failed with the reason. */
export function ContactSheet({ items }: { items: ItemView[] }) {
  const outputs = items.flatMap((item): Array<{ item: ItemView; output: OutputView | null }> => (item.outputs.length ? item.outputs.map((o) => ({ item, output: o })) : [{ item, output: null }]))
  const failed = outputs.filter(({ output }) => output?.finish?.checks.some((c) => !c.passed)).length
  const done = items.filter((i) => i.state === 'done').length
  return (
    <section className="pack-sheet" aria-label="Contact sheet" data-testid="pack-sheet">
      <h2>Contact sheet</h2>
      <p className="muted" role="status">
        {done} of {plural(items.length, 'output')} done{failed ? `; ${failed} miss${failed === 1 ? 'es' : ''} a rule` : ''}
      </p>
      <ul className="pack-cards">
        {outputs.map(({ item, output }) => {
          const finish = output?.finish
          const target = finish?.target ?? item.packTarget ?? item.model
          const passed = finish ? finish.checks.every((c) => c.passed) : null
          return (
            <li key={`${item.id}-${output?.index ?? 'none'}`} className={`pack-card${passed === false ? ' failed' : ''}`} aria-label={`${target}, ${item.sourceName}`}>
              <Thumbnail url={output?.url ?? null} alt={`${target} for ${item.sourceName}`} pending={!output && item.state !== 'failed'} />
              <div className="pack-card-body">
                <div className="pack-card-head">
                  <strong>{target}</strong>
                  {output ? (
                    <span className="muted">
                      {output.width}×{output.height} · {formatBytes(output.bytes)}
                    </span>
                  ) : (
                    <StatusPill state={item.state} />
                  )}
                </div>
                <span className="muted ellipsis" title={item.sourceName}>
                  {item.sourceName}
                </span>
                {item.error ? <p className="warn-text">{item.error.message}</p> : null}
                {finish ? (
                  <ul className="pack-checks" aria-label={`Checks for ${target}`}>
                    {finish.upscaled ? (
                      <li className="warn-text">
                        <Icon name="warning" size={14} /> Upscaled ×{finish.upscaled.toFixed(2)} with sharp
                      </li>
                    ) : null}
                    {finish.checks.map((c) => (
                      <li key={c.rule} className={c.passed ? 'ok-text' : 'bad-text'}>
                        <Icon name={c.passed ? 'check' : 'warning'} size={14} /> <span className="pack-check-verdict">{c.passed ? 'Pass' : 'Fail'}</span>: {c.message}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </div>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
