import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { toAppErrorData, type AppErrorData } from '@shared/errors'
import { renderTemplate } from '@shared/templates'
import type { TemplateView } from '@shared/views'
import { modKey } from '../lib/format'
import type { Draft } from '../lib/draft'
import { FieldError, fieldInvalid } from './ErrorNotice'
import { Icon } from './Icon'

interface Props {
  draft: Draft
  templates: TemplateView[]
  onChange(patch: Partial<Draft>): void
  onRun?(): void
  error?: AppErrorData | null
  templatesError?: AppErrorData | null
}

/** The prompt a template makes from the draft, or why it cannot be made yet (the same rules the main process applies). */
function templateOutcome(template: TemplateView, draft: Pick<Draft, 'variables' | 'prompt'>): { prompt: string; problem: null } | { prompt: null; problem: AppErrorData } {
  const declared = new Set(template.variables.map((v) => v.name))
  const values = Object.fromEntries(Object.entries(draft.variables).filter(([name]) => declared.has(name)))
  try {
    return { prompt: renderTemplate(template, values, draft.prompt), problem: null }
  } catch (err) {
    return { prompt: null, problem: toAppErrorData(err) }
  }
}

function VariableField({ variable, value, invalid, error, onValue }: { variable: TemplateView['variables'][number]; value: string; invalid: boolean; error?: AppErrorData | null; onValue(v: string): void }) {
  const id = useId()
  const hintId = useId()
  const listId = useId()
  const field = `variables.${variable.name}`
  return (
    <div className="field compact">
      <label className="field-label" htmlFor={id}>
        {variable.label} <span className="muted">{variable.required ? (variable.default ? '' : '(required)') : '(optional)'}</span>
      </label>
      {variable.strict && variable.options?.length ? (
        <select id={id} value={value} aria-describedby={variable.description ? hintId : undefined} aria-invalid={invalid || undefined} onChange={(e) => onValue(e.target.value)}>
          {!variable.required ? <option value="">None</option> : null}
          {variable.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <>
          <input
            id={id}
            type="text"
            value={value}
            placeholder={variable.default ?? (variable.required ? 'Required' : 'Optional')}
            list={variable.options?.length ? listId : undefined}
            aria-required={variable.required && !variable.default ? true : undefined}
            aria-describedby={variable.description ? hintId : undefined}
            aria-invalid={invalid || undefined}
            onChange={(e) => onValue(e.target.value)}
          />
          {variable.options?.length ? (
            <datalist id={listId}>
              {variable.options.map((o) => (
                <option key={o} value={o} />
              ))}
            </datalist>
          ) : null}
        </>
      )}
      {variable.description ? (
        <span id={hintId} className="hint">
          {variable.description}
        </span>
      ) : null}
      <FieldError error={error} field={field} />
    </div>
  )
}

/** The chosen template: its variables as fields and the prompt they make, or what is missing. */
function TemplateCard({ template, draft, onChange, error }: { template: TemplateView; draft: Draft; onChange(patch: Partial<Draft>): void; error?: AppErrorData | null }) {
  const outcome = templateOutcome(template, draft)
  // A problem found here is shown at its field; one from the main process (an earlier run) too.
  const shown = outcome.problem ?? error
  return (
    <div className="template-card">
      <div className="template-head">
        <Icon name="sparkle" />
        <span>
          <strong>{template.name}</strong> <span className="muted">· {template.category}</span>
        </span>
        <button type="button" className="icon-btn" aria-label="Remove template" onClick={() => onChange({ templateId: null, variables: {} })}>
          <Icon name="close" />
        </button>
      </div>
      {template.variables.map((v) => (
        <VariableField
          key={v.name}
          variable={v}
          value={draft.variables[v.name] ?? ''}
          invalid={fieldInvalid(shown, `variables.${v.name}`)}
          error={outcome.problem ?? error}
          onValue={(value) => onChange({ variables: { ...draft.variables, [v.name]: value } })}
        />
      ))}
      {outcome.prompt ? (
        <p className="template-preview" aria-label="Prompt to be sent">
          {outcome.prompt}
        </p>
      ) : outcome.problem && !outcome.problem.field?.startsWith('variables.') && outcome.problem.field !== 'prompt' ? (
        <span className="field-error" role="alert">
          {outcome.problem.message}
        </span>
      ) : null}
    </div>
  )
}

/** Most recently used first, then the rest in library order: what a studio reaches for again. */
function suggested(templates: TemplateView[]): TemplateView[] {
  const used = templates.filter((t) => t.usage.lastUsedAt).sort((a, b) => (b.usage.lastUsedAt ?? '').localeCompare(a.usage.lastUsedAt ?? ''))
  return [...used, ...templates.filter((t) => !t.usage.lastUsedAt)].slice(0, 4)
}

/**
 * The prompt, or a template with its variables. Typing "/" in an empty prompt searches the template
 * library; {prompt} in a template takes the text typed here.
 */
export function PromptBox({ draft, templates, onChange, onRun, error, templatesError }: Props) {
  const id = useId()
  const listId = useId()
  const textRef = useRef<HTMLTextAreaElement>(null)
  const [query, setQuery] = useState<string | null>(null)
  const [active, setActive] = useState(0)
  const template = templates.find((t) => t.id === draft.templateId) ?? null

  const matches = useMemo(() => {
    if (query === null) return []
    const q = query.toLowerCase()
    return templates.filter((t) => `${t.name} ${t.category} ${t.description ?? ''}`.toLowerCase().includes(q)).slice(0, 8)
  }, [query, templates])

  const choose = (t: TemplateView) => {
    const variables: Record<string, string> = {}
    for (const v of t.variables) if (v.default !== undefined) variables[v.name] = v.default
    // A channel resize brings its aspect ratio; the picker sends it only to models that take it.
    const aspect = t.params?.aspectRatio
    onChange({ templateId: t.id, variables, prompt: '', ...(aspect ? { params: { ...draft.params, aspectRatio: aspect } } : {}) })
    setQuery(null)
    textRef.current?.focus()
  }

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if ((e.metaKey || e.ctrlKey) && e.key === 'Enter') {
      e.preventDefault()
      onRun?.()
      return
    }
    if (query !== null && matches.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault()
        setActive((i) => (i + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length)
        return
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault()
        choose(matches[Math.min(active, matches.length - 1)]!)
        return
      }
    }
    if (e.key === 'Escape' && query !== null) {
      e.preventDefault()
      e.stopPropagation()
      setQuery(null)
      onChange({ prompt: '' })
    }
  }

  const onText = (text: string) => {
    if (text.startsWith('/') && !text.includes('\n')) {
      setQuery(text.slice(1))
      setActive(0)
    } else setQuery(null)
    onChange({ prompt: text })
  }

  const usesPrompt = template ? template.prompt.includes('{prompt}') : true

  return (
    <div className="prompt-box">
      {template ? <TemplateCard template={template} draft={draft} onChange={onChange} error={error} /> : null}
      {usesPrompt ? (
        <label className="field" htmlFor={id}>
          <span className="field-label">{template ? 'Text for {prompt}' : 'Prompt'}</span>
          <div className="combo">
            <textarea
              id={id}
              ref={textRef}
              rows={template ? 2 : 5}
              value={draft.prompt}
              placeholder={template ? 'Fills the template’s {prompt}' : `Describe the edit, or type / to search templates. ${modKey}+Enter runs.`}
              aria-invalid={fieldInvalid(error, 'prompt') || undefined}
              aria-autocomplete="list"
              aria-controls={query !== null && matches.length ? listId : undefined}
              aria-activedescendant={query !== null && matches[active] ? `${listId}-${active}` : undefined}
              onChange={(e) => onText(e.target.value)}
              onKeyDown={onKeyDown}
              onBlur={() => setTimeout(() => setQuery(null), 150)}
            />
            {query !== null && !matches.length ? (
              <p className="popover empty" role="status">
                {templatesError ? templatesError.message : templates.length ? 'No template matches' : 'No templates available'}
              </p>
            ) : null}
            {query !== null && matches.length ? (
              <ul className="popover" role="listbox" id={listId} aria-label="Templates">
                {matches.map((t, i) => (
                  <li
                    key={t.id}
                    id={`${listId}-${i}`}
                    role="option"
                    aria-selected={i === active}
                    className={i === active ? 'active' : ''}
                    onMouseDown={(e) => {
                      e.preventDefault()
                      choose(t)
                    }}
                  >
                    <strong>{t.name}</strong> <span className="muted">{t.category}</span>
                    {t.description ? <small>{t.description}</small> : null}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
          <FieldError error={error} field="prompt" />
        </label>
      ) : null}
      {!template && templates.length ? (
        <div className="template-chips" aria-label="Suggested templates">
          {suggested(templates).map((t) => (
            <button type="button" key={t.id} className="chip" onClick={() => choose(t)}>
              {t.name}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  )
}
