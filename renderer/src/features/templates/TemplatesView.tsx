import { useEffect, useId, useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { TemplateView } from '@shared/templates'
import { Icon } from '../../components/Icon'
import { ViewHeader, ViewMessages } from '../../components/ViewHeader'
import { plural } from '../../lib/format'
import { TemplateDetail, usageLine } from './TemplateDetail'
import { TemplateEditor } from './TemplateEditor'
import { useTemplates } from './store'
import './templates.css'

/** Templates whose name, category, description, id or prompt hold every word of the query, by category. */
function grouped(templates: TemplateView[], query: string): Array<[string, TemplateView[]]> {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  const groups = new Map<string, TemplateView[]>()
  for (const t of templates) {
    const hay = `${t.name} ${t.category} ${t.description ?? ''} ${t.id} ${t.prompt}`.toLowerCase()
    if (!words.every((w) => hay.includes(w))) continue
    const list = groups.get(t.category) ?? []
    list.push(t)
    groups.set(t.category, list)
  }
  return [...groups.entries()]
}

function TemplateList() {
  const { templates, query, selectedId, editingId } = useTemplates(useShallow((s) => ({ templates: s.templates, query: s.query, selectedId: s.selectedId, editingId: s.editing?.id })))
  const searchId = useId()
  const groups = useMemo(() => grouped(templates, query), [templates, query])
  const store = useTemplates.getState()
  return (
    <section className="tpl-list" aria-label="Template list">
      <label className="field-label" htmlFor={searchId}>
        Search templates
      </label>
      <input id={searchId} type="search" value={query} placeholder="Name, category or words in the prompt" onChange={(e) => store.setQuery(e.target.value)} />
      <div className="tpl-list-scroll">
        {groups.map(([category, list]) => (
          <div key={category} role="group" aria-label={category}>
            <h3 className="tpl-category">{category}</h3>
            <ul>
              {list.map((t) => (
                <li key={t.id}>
                  <button type="button" className={`tpl-item${t.id === (editingId ?? selectedId) ? ' on' : ''}`} aria-current={t.id === selectedId ? 'true' : undefined} onClick={() => store.select(t.id)}>
                    <span className="tpl-item-name">{t.name}</span>
                    <span className="tpl-item-meta">
                      {t.builtIn ? 'Built-in' : 'Yours'} · {usageLine(t)}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ))}
        {!groups.length ? <p className="hint">{templates.length ? 'No template matches.' : 'No templates yet.'}</p> : null}
      </div>
    </section>
  )
}

/** The template library: built-in templates to use or copy, the user's own to make, change, share and delete. */
export function TemplatesView() {
  const s = useTemplates(useShallow((st) => ({ templates: st.templates, selectedId: st.selectedId, editing: st.editing, error: st.error, warnings: st.warnings, notice: st.notice, loaded: st.loaded })))
  const store = useTemplates.getState()
  useEffect(() => {
    void useTemplates.getState().load()
  }, [])
  const selected = s.templates.find((t) => t.id === s.selectedId)
  const mine = s.templates.filter((t) => !t.builtIn).length
  return (
    <div className="view templates-view" data-testid="templates-view">
      <ViewHeader title="Templates" status={s.loaded ? `${plural(s.templates.length, 'template')}, ${mine} yours` : 'Loading…'}>
        <button type="button" className="btn small primary" onClick={() => store.startNew()}>
          <Icon name="plus" /> New template
        </button>
        <button type="button" className="btn small" onClick={() => void store.importFile()} title="A Pixdesk export (.json) or InvokeAI style presets (.csv: name, prompt, negative_prompt)">
          <Icon name="file" /> Import…
        </button>
        <button type="button" className="btn small" disabled={!mine} onClick={() => void store.exportTemplates()}>
          <Icon name="download" /> Export yours…
        </button>
      </ViewHeader>
      <ViewMessages notice={s.notice} error={s.error} errorInForm={Boolean(s.editing)} />
      {s.warnings.length ? (
        <div className="pad" role="group" aria-label="Problems with your templates file">
          {s.warnings.map((w) => (
            <p key={w} className="warn-text">
              {w}
            </p>
          ))}
        </div>
      ) : null}
      <div className="tpl-layout">
        <TemplateList />
        <section className="tpl-main" aria-label="Template">
          {s.editing ? (
            <TemplateEditor />
          ) : selected ? (
            <TemplateDetail key={selected.id} template={selected} />
          ) : (
            <div className="tpl-empty">
              <p>Pick a template to see its prompt and variables, use it, or duplicate it to make your own.</p>
              <p className="muted">
                Built-in templates cover background replacement, product variants, resizing for channels, style transfer and cleanup. Your own live in templates.json in the data folder; import InvokeAI style presets or a Pixdesk export to share them.
              </p>
            </div>
          )}
        </section>
      </div>
    </div>
  )
}
