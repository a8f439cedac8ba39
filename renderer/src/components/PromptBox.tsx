import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import type { AppErrorData } from '@shared/errors'
import type { TemplateView } from '@shared/views'
import { modKey } from '../lib/format'
import { renderTemplate } from '../lib/models'
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

/** The chosen template: its variables as fields and the prompt they make. */
function TemplateCard({ template, draft, onChange }: { template: TemplateView; draft: Draft; onChange(patch: Partial<Draft>): void }) {
  const preview = renderTemplate(template, { ...draft.variables, prompt: draft.prompt })
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
      {template.variables
        .filter((v) => v.name !== 'prompt')
        .map((v) => (
          <label className="field compact" key={v.name}>
            <span className="field-label">{v.label}</span>
            {v.options?.length ? (
              <select value={draft.variables[v.name] ?? v.default ?? ''} onChange={(e) => onChange({ variables: { ...draft.variables, [v.name]: e.target.value } })}>
                {v.options.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            ) : (
              <input type="text" value={draft.variables[v.name] ?? ''} placeholder={v.default} onChange={(e) => onChange({ variables: { ...draft.variables, [v.name]: e.target.value } })} />
            )}
          </label>
        ))}
      {preview ? <p className="template-preview">{preview}</p> : null}
    </div>
  )
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
    onChange({ templateId: t.id, variables, prompt: '' })
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
      {template ? <TemplateCard template={template} draft={draft} onChange={onChange} /> : null}
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
          {templates.slice(0, 4).map((t) => (
            <button type="button" key={t.id} className="chip" onClick={() => choose(t)}>
              {t.name}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  )
}
