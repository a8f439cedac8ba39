import { useId } from 'react'
import { findModel, type Capabilities, type ModelEntry } from '@shared/catalog'
import { providerFacts } from '@shared/providers'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import { modelFacts } from '../lib/modelFacts'
import { capsOf, modelsForProvider, ownFields, paramsFor, paramsWithOwn, sharedCapabilities, type ModelChoice, type ParamChoice } from '../lib/models'
import { ModelCombobox, ModelFactsBlock } from './ModelCombobox'
import { FieldError, fieldInvalid } from './ErrorNotice'

interface Props {
  models: ModelEntry[]
  provider: ProviderId
  value: string[]
  onChange(ids: string[]): void
  params: ParamChoice
  onParams(params: ParamChoice): void
  /** One model or several (2–4 in a comparison), with bounds. */
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

type ChosenProps = Pick<Props, 'models' | 'provider' | 'value' | 'params' | 'error' | 'perModel'> & { caps: Capabilities | undefined; effective: ParamChoice; remove?(id: string): void }

/** The chosen models in full (names wrap), each with its price and, in a comparison, its own settings. */
function ChosenModels({ models, provider, value, params, error, perModel, caps, effective, remove }: ChosenProps) {
  if (!value.length) return null
  return (
    <ul className="mp-chosen" aria-label="Chosen models">
      {value.map((id) => {
        const model = findModel(models, id)
        const mine = capsOf(models, id, provider)
        const own = perModel?.value[id]
        const fields = perModel ? ownFields(mine, caps) : []
        const sent = perModel ? paramsWithOwn(mine, caps, effective, own) : paramsFor(mine, params)
        const facts = model ? modelFacts(model, provider, sent) : null
        const label = model?.label ?? id
        return (
          <li key={id} className="model-option checked">
            {facts ? (
              <ModelFactsBlock facts={facts} />
            ) : (
              <span className="field-error">
                {id} is not served by {providerFacts[provider].name}: choose another model or switch provider in Settings.
              </span>
            )}
            {remove ? (
              <button type="button" className="btn small mp-remove" aria-label={`Remove ${label}`} onClick={() => remove(id)}>
                Remove
              </button>
            ) : null}
            {perModel && mine && fields.length ? (
              <div className="param-row model-params" role="group" aria-label={`${label} settings`}>
                {fields.map(({ field, options, label: fieldLabel }) => (
                  <Choice
                    key={field}
                    label={fieldLabel}
                    field={`paramsByModel.${id}.${field}`}
                    options={mine[options]}
                    value={sent[field]}
                    onChange={(v) => perModel.onChange(id, { ...own, [field]: v })}
                    error={error}
                    auto={field === 'aspectRatio' ? 'As input' : 'Default'}
                  />
                ))}
              </div>
            ) : null}
          </li>
        )
      })}
    </ul>
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

export function ModelPicker({ models, provider, value, onChange, params, onParams, multiple, error, onAddCustom, perModel }: Props) {
  const available = modelsForProvider(models, provider)
  const caps = sharedCapabilities(value.map((id) => capsOf(models, id, provider)).filter((c): c is Capabilities => Boolean(c)))
  const effective = paramsFor(caps, params)

  const choose = (id: string) => {
    if (!multiple) return onChange([id])
    if (value.includes(id)) onChange(value.filter((v) => v !== id))
    else if (value.length < multiple.max) onChange([...value, id])
  }
  const blocked = (id: string) => (multiple && !value.includes(id) && value.length >= multiple.max ? `At most ${multiple.max} models: remove one first` : null)
  const combobox = (
    <ModelCombobox
      models={models}
      available={available}
      provider={provider}
      selected={value}
      multiple={Boolean(multiple)}
      blocked={blocked}
      params={effective}
      label={multiple ? 'Add a model' : 'Model'}
      invalid={fieldInvalid(error, 'models')}
      onChoose={choose}
      onAddCustom={onAddCustom}
    />
  )
  const chosen = <ChosenModels models={models} provider={provider} value={value} params={params} error={error} perModel={perModel} caps={caps} effective={effective} remove={multiple ? (id) => onChange(value.filter((v) => v !== id)) : undefined} />

  return (
    <div className="model-picker">
      {multiple ? (
        <fieldset className="model-list" aria-invalid={fieldInvalid(error, 'models') || undefined}>
          <legend className="field-label">
            Models{' '}
            <span className="muted">
              ({value.length} chosen, {multiple.min}–{multiple.max})
            </span>
          </legend>
          {chosen}
          {combobox}
        </fieldset>
      ) : (
        <div className="field">
          {combobox}
          {chosen}
        </div>
      )}
      <FieldError error={error} field="models" />
      {!available.length ? <p className="hint">No model in the catalog is served by {providerFacts[provider].name}. Type a model id above or switch provider in Settings.</p> : null}

      {caps ? <SharedParams caps={caps} effective={effective} params={params} onParams={onParams} error={error} /> : null}
    </div>
  )
}
