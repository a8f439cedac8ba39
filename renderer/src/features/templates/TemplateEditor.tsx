import { useId } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { formProblems, withPrompt, type TemplateForm, type VariableForm } from './form'
import { useTemplates } from './store'

const ASPECTS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9']

function Problem({ problems, field }: { problems: Map<string, string>; field: string }) {
  const message = problems.get(field)
  return message ? (
    <span className="field-error" role="alert">
      {message}
    </span>
  ) : null
}

function TextField({ label, value, onChange, field, problems, multiline, hint, placeholder }: { label: string; value: string; onChange(v: string): void; field: string; problems: Map<string, string>; multiline?: number; hint?: string; placeholder?: string }) {
  const id = useId()
  const hintId = useId()
  const invalid = problems.has(field) || undefined
  const described = hint ? hintId : undefined
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {multiline ? (
        <textarea id={id} rows={multiline} value={value} placeholder={placeholder} aria-invalid={invalid} aria-describedby={described} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input id={id} type="text" value={value} placeholder={placeholder} aria-invalid={invalid} aria-describedby={described} onChange={(e) => onChange(e.target.value)} />
      )}
      {hint ? (
        <span id={hintId} className="hint">
          {hint}
        </span>
      ) : null}
      <Problem problems={problems} field={field} />
    </div>
  )
}

function VariableRow({ variable, index, problems, onChange, onRemove }: { variable: VariableForm; index: number; problems: Map<string, string>; onChange(v: VariableForm): void; onRemove(): void }) {
  const at = (key: string) => `variables.${index}.${key}`
  const strictId = useId()
  const requiredId = useId()
  return (
    <fieldset className="tpl-variable" aria-label={`Variable {${variable.name}}`}>
      <legend>
        <code>{`{${variable.name || '…'}}`}</code>
      </legend>
      <div className="tpl-variable-grid">
        <TextField label="Name in the prompt" value={variable.name} field={at('name')} problems={problems} onChange={(name) => onChange({ ...variable, name })} />
        <TextField label="Label" value={variable.label} field={at('label')} problems={problems} onChange={(label) => onChange({ ...variable, label })} />
        <TextField label="Default" value={variable.default} field={at('default')} problems={problems} placeholder="No default" onChange={(d) => onChange({ ...variable, default: d })} />
        <TextField label="Description" value={variable.description} field={at('description')} problems={problems} placeholder="Shown under the field" onChange={(description) => onChange({ ...variable, description })} />
      </div>
      <TextField label="Suggested values (one per line)" value={variable.options} field={at('options')} problems={problems} multiline={2} onChange={(options) => onChange({ ...variable, options })} />
      <div className="tpl-variable-flags">
        <label className="radio" htmlFor={requiredId}>
          <input id={requiredId} type="checkbox" checked={variable.required} onChange={(e) => onChange({ ...variable, required: e.target.checked })} /> Required (a run without a value is refused)
        </label>
        <label className="radio" htmlFor={strictId}>
          <input id={strictId} type="checkbox" checked={variable.strict} onChange={(e) => onChange({ ...variable, strict: e.target.checked })} /> Only the suggested values
        </label>
        <span className="spacer" />
        <button type="button" className="btn small" onClick={onRemove} aria-label={`Remove variable ${variable.name || index + 1}`}>
          <Icon name="trash" /> Remove
        </button>
      </div>
    </fieldset>
  )
}

/** Makes or changes a template the user owns; the same rules as the main process, checked as they type. */
export function TemplateEditor() {
  const { editing, saving, error } = useTemplates(useShallow((s) => ({ editing: s.editing, saving: s.saving, error: s.error })))
  const aspectId = useId()
  if (!editing) return null
  const t = useTemplates.getState()
  const { form } = editing
  const problems = editing.submitted ? formProblems(form) : new Map<string, string>()
  const set = (patch: Partial<TemplateForm>) => t.setForm(patch)
  const setVariable = (i: number, v: VariableForm) => set({ variables: form.variables.map((x, j) => (j === i ? v : x)) })
  return (
    <form
      className="tpl-editor"
      aria-label={editing.id ? `Edit template ${form.name}` : 'New template'}
      onSubmit={(e) => {
        e.preventDefault()
        void t.save()
      }}
    >
      <h2>{editing.id ? 'Edit template' : 'New template'}</h2>
      <div className="tpl-row">
        <TextField label="Name" value={form.name} field="name" problems={problems} onChange={(name) => set({ name })} />
        <TextField label="Category" value={form.category} field="category" problems={problems} onChange={(category) => set({ category })} />
      </div>
      <TextField label="Description" value={form.description} field="description" problems={problems} onChange={(description) => set({ description })} />
      <TextField
        label="Prompt"
        value={form.prompt}
        field="prompt"
        problems={problems}
        multiline={5}
        hint="Write {name} for a value filled in per run (a field appears below), {prompt} for the text typed beside the template, {{ and }} for literal braces."
        onChange={(prompt) => set(withPrompt(form, prompt))}
      />
      <TextField
        label="Avoid (negative prompt)"
        value={form.negativePrompt}
        field="negativePrompt"
        problems={problems}
        multiline={2}
        hint='Sent at the end of the prompt as "Avoid: …"; the image APIs have no separate negative prompt.'
        onChange={(negativePrompt) => set({ negativePrompt })}
      />
      <div className="field compact">
        <label className="field-label" htmlFor={aspectId}>
          Aspect ratio
        </label>
        <select id={aspectId} value={form.aspectRatio} onChange={(e) => set({ aspectRatio: e.target.value })}>
          <option value="">As the input</option>
          {ASPECTS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
        <span className="hint">Applied when the template is picked, for models that take an aspect ratio.</span>
      </div>
      <div className="tpl-variables">
        <h3>Variables</h3>
        {form.variables.length ? null : <p className="hint">None yet: write {'{name}'} in the prompt to add one.</p>}
        {form.variables.map((v, i) => (
          <VariableRow key={i} variable={v} index={i} problems={problems} onChange={(next) => setVariable(i, next)} onRemove={() => set({ variables: form.variables.filter((_, j) => j !== i) })} />
        ))}
      </div>
      <ErrorNotice error={error} compact />
      {problems.size && !error ? (
        <p className="field-error" role="alert">
          {problems.size === 1 ? 'One thing to fix before saving.' : `${problems.size} things to fix before saving.`}
        </p>
      ) : null}
      <div className="tpl-actions">
        <button type="submit" className="btn primary" disabled={saving}>
          <Icon name="check" /> {saving ? 'Saving…' : 'Save template'}
        </button>
        <button type="button" className="btn" onClick={() => t.cancelEdit()}>
          Cancel
        </button>
      </div>
    </form>
  )
}
