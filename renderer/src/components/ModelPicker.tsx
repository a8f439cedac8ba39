import { Fragment, useId, useState } from 'react'
import type { Capabilities, ModelEntry } from '@shared/catalog'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import { capsOf, modelsForProvider, ownFields, paramsFor, paramsWithOwn, requestPrice, sharedCapabilities, type ModelChoice, type ParamChoice } from '../lib/models'
import { CostBadge } from './CostBadge'
import { FieldError, fieldInvalid } from './ErrorNotice'

interface Props {
  models: ModelEntry[]
  provider: ProviderId
  value: string[]
  onChange(ids: string[]): void
  params: ParamChoice
  onParams(params: ParamChoice): void
  /** One model (select) or several (toggle list), with bounds. */
  multiple?: { min: number; max: number }
  error?: AppErrorData | null
  onAddCustom?(id: string): Promise<void>
  /** Settings each chosen model takes on its own (a comparison), shown under that model. */
  perModel?: { value: Record<string, ModelChoice>; onChange(id: string, choice: ModelChoice): void }
}

function Choice({ label, field, options, value, onChange, error, auto = 'Default' }: { label: string; field: string; options: string[]; value: string | undefined; onChange(v: string | undefined): void; error?: AppErrorData | null; auto?: string }) {
  const id = useId()
  if (!options.length) return null
  return (
    <div className="field compact">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <select id={id} value={value ?? ''} aria-invalid={fieldInvalid(error, field) || undefined} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">{auto}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      <FieldError error={error} field={field} />
    </div>
  )
}

type ChecklistProps = Pick<Props, 'models' | 'provider' | 'value' | 'params' | 'error' | 'perModel'> & { multiple: NonNullable<Props['multiple']>; caps: Capabilities | undefined; effective: ParamChoice; toggle(id: string): void }

/** Several models as a checklist, each with its price and, in a comparison, its own settings beneath it. */
function ModelChecklist({ models, provider, value, params, error, perModel, multiple, caps, effective, toggle }: ChecklistProps) {
  const available = modelsForProvider(models, provider)
  return (
    <fieldset className="model-list" aria-invalid={fieldInvalid(error, 'models') || undefined}>
      <legend className="field-label">
        Models <span className="muted">(choose {multiple.min}–{multiple.max})</span>
      </legend>
      {available.map((m) => {
        const checked = value.includes(m.id)
        const full = !checked && value.length >= multiple.max
        const own = checked && perModel ? perModel.value[m.id] : undefined
        const mine = capsOf(models, m.id, provider)
        const fields = checked && perModel ? ownFields(mine, caps) : []
        const sent = checked && perModel ? paramsWithOwn(mine, caps, effective, own) : paramsFor(mine, params)
        return (
          <Fragment key={m.id}>
            <label className={`model-option${checked ? ' checked' : ''}${full ? ' disabled' : ''}`}>
              <input type="checkbox" checked={checked} disabled={full} onChange={() => toggle(m.id)} />
              <span className={`family-dot ${m.family}`} aria-hidden />
              <span className="model-name" title={m.label}>
                {m.label}
              </span>
              <CostBadge credits={requestPrice(models, m.id, sent)} kind="estimate" />
            </label>
            {perModel && mine && fields.length ? (
              <div className="param-row model-params" role="group" aria-label={`${m.label} settings`}>
                {fields.map(({ field, options, label }) => (
                  <Choice
                    key={field}
                    label={label}
                    field={`paramsByModel.${m.id}.${field}`}
                    options={mine[options]}
                    value={sent[field]}
                    onChange={(v) => perModel.onChange(m.id, { ...own, [field]: v })}
                    error={error}
                    auto={field === 'aspectRatio' ? 'As input' : 'Default'}
                  />
                ))}
              </div>
            ) : null}
          </Fragment>
        )
      })}
    </fieldset>
  )
}

/** One model, from a list grouped by family; a chosen model the provider does not serve stays visible. */
function ModelSelect({ models, provider, value, onChange, error }: Pick<Props, 'models' | 'provider' | 'value' | 'onChange' | 'error'>) {
  const available = modelsForProvider(models, provider)
  const selectId = useId()
  return (
    <div className="field">
      <label className="field-label" htmlFor={selectId}>
        Model
      </label>
      <select id={selectId} value={value[0] ?? ''} aria-invalid={fieldInvalid(error, 'models') || undefined} onChange={(e) => onChange(e.target.value ? [e.target.value] : [])}>
        <option value="">Choose a model…</option>
        {value[0] && !available.some((m) => m.id === value[0]) ? (
          <option value={value[0]} disabled>
            {value[0]} (not served by {provider})
          </option>
        ) : null}
        {(['gemini', 'gpt', 'other'] as const).map((family) => {
          const list = available.filter((m) => m.family === family)
          return list.length ? (
            <optgroup key={family} label={family === 'gemini' ? 'Gemini' : family === 'gpt' ? 'GPT' : 'Other'}>
              {list.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                  {m.custom ? ' · custom' : ''}
                </option>
              ))}
            </optgroup>
          ) : null
        })}
      </select>
    </div>
  )
}

/** The settings every chosen model shares. */
function SharedParams({ caps, effective, params, onParams, error }: { caps: Capabilities; effective: ParamChoice; params: ParamChoice; onParams(params: ParamChoice): void; error?: AppErrorData | null }) {
  return (
    <div className="param-row">
      <Choice label="Size" field="size" options={caps.sizes} value={effective.size} onChange={(size) => onParams({ ...params, size })} error={error} />
      <Choice label="Quality" field="quality" options={caps.qualities} value={effective.quality} onChange={(quality) => onParams({ ...params, quality })} error={error} />
      <Choice label="Aspect" field="aspectRatio" options={caps.aspectRatios} value={effective.aspectRatio} onChange={(aspectRatio) => onParams({ ...params, aspectRatio })} error={error} auto="As input" />
      <Choice label="Format" field="outputFormat" options={caps.outputFormats} value={effective.outputFormat} onChange={(outputFormat) => onParams({ ...params, outputFormat })} error={error} />
      <Choice label="Background" field="background" options={caps.backgrounds} value={effective.background} onChange={(background) => onParams({ ...params, background })} error={error} />
      <label className="field compact">
        <span className="field-label">Images</span>
        <input
          type="number"
          min={1}
          max={caps.maxN}
          value={effective.n}
          aria-label="Images per request"
          aria-invalid={fieldInvalid(error, 'n') || undefined}
          onChange={(e) => onParams({ ...params, n: Math.min(caps.maxN, Math.max(1, Number(e.target.value) || 1)) })}
        />
        <FieldError error={error} field="n" />
      </label>
    </div>
  )
}

function CustomModel({ provider, onAddCustom }: { provider: ProviderId; onAddCustom(id: string): Promise<void> }) {
  const [custom, setCustom] = useState('')
  const [customError, setCustomError] = useState<string | null>(null)
  const [adding, setAdding] = useState(false)
  const addCustom = async () => {
    if (!custom.trim()) return
    setAdding(true)
    setCustomError(null)
    try {
      await onAddCustom(custom.trim())
      setCustom('')
    } catch (err) {
      setCustomError((err as AppErrorData).message)
    } finally {
      setAdding(false)
    }
  }
  return (
    <details className="custom-model">
      <summary>Use a model id the catalog does not list</summary>
      <div className="inline-form">
        <input
          type="text"
          value={custom}
          placeholder="e.g. gemini-3.2-flash-image"
          aria-label="Custom model id"
          aria-invalid={customError ? true : undefined}
          onChange={(e) => setCustom(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault()
              void addCustom()
            }
          }}
        />
        <button type="button" className="btn small" disabled={adding || !custom.trim()} onClick={() => void addCustom()}>
          Add
        </button>
      </div>
      {customError ? <span className="field-error" role="alert">{customError}</span> : <span className="hint">Routed to {provider}; its price is unknown until a request reports it.</span>}
    </details>
  )
}

export function ModelPicker({ models, provider, value, onChange, params, onParams, multiple, error, onAddCustom, perModel }: Props) {
  const available = modelsForProvider(models, provider)
  const caps = sharedCapabilities(value.map((id) => capsOf(models, id, provider)).filter((c): c is Capabilities => Boolean(c)))
  const effective = paramsFor(caps, params)

  const toggle = (id: string) => {
    if (!multiple) return onChange([id])
    if (value.includes(id)) onChange(value.filter((v) => v !== id))
    else if (value.length < multiple.max) onChange([...value, id])
  }

  return (
    <div className="model-picker">
      {multiple ? (
        <ModelChecklist models={models} provider={provider} value={value} params={params} error={error} perModel={perModel} multiple={multiple} caps={caps} effective={effective} toggle={toggle} />
      ) : (
        <ModelSelect models={models} provider={provider} value={value} onChange={onChange} error={error} />
      )}
      <FieldError error={error} field="models" />
      {!available.length ? <p className="hint">No model in the catalog is served by {provider}. Add a model id below or switch provider in Settings.</p> : null}

      {caps ? <SharedParams caps={caps} effective={effective} params={params} onParams={onParams} error={error} /> : null}

      {onAddCustom ? <CustomModel provider={provider} onAddCustom={onAddCustom} /> : null}
    </div>
  )
}
