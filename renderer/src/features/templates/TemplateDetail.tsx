import { useState } from 'react'
import type { TemplateView } from '@shared/templates'
import { useUi } from '../../app/uiStore'
import { Icon } from '../../components/Icon'
import { formatDateTime, plural } from '../../lib/format'
import { useBatchForm } from '../batches/formStore'
import { useEditor } from '../editor/store'
import { useTemplates } from './store'

/** Starts a draft with the template and its defaults (and its aspect ratio, where it has one). */
function draftWith(t: TemplateView, params: { n: number; aspectRatio?: string }) {
  const variables = Object.fromEntries(t.variables.flatMap((v) => (v.default !== undefined ? [[v.name, v.default]] : [])))
  return { templateId: t.id, variables, prompt: '', ...(t.params?.aspectRatio ? { params: { ...params, aspectRatio: t.params.aspectRatio } } : {}) }
}

export function usageLine(t: TemplateView): string {
  return t.usage.count ? `Used ${plural(t.usage.count, 'time')}, last ${formatDateTime(t.usage.lastUsedAt ?? undefined)}` : 'Not used yet'
}

/** One template in full, with what can be done with it: use it, copy it, and change or delete it if it is the user's. */
export function TemplateDetail({ template: t }: { template: TemplateView }) {
  const [confirming, setConfirming] = useState(false)
  const store = useTemplates.getState()
  const use = (target: 'editor' | 'batches') => {
    if (target === 'editor') useEditor.getState().setDraft(draftWith(t, useEditor.getState().draft.params))
    else {
      useBatchForm.getState().setDraft(draftWith(t, useBatchForm.getState().draft.params))
      useBatchForm.getState().setOpen(true)
    }
    useUi.getState().navigate(target)
  }
  return (
    <article className="tpl-detail" aria-labelledby="tpl-detail-name">
      <header className="tpl-detail-head">
        <h2 id="tpl-detail-name">{t.name}</h2>
        <span className={`pill${t.builtIn ? '' : ' good'}`}>{t.builtIn ? 'Built-in' : 'Yours'}</span>
      </header>
      <p className="muted">
        {t.category} · <code>{t.id}</code> · {usageLine(t)}
      </p>
      {t.description ? <p>{t.description}</p> : null}
      <div className="toolbar tpl-actions" role="toolbar" aria-label="Template actions">
        <button type="button" className="btn small primary" onClick={() => use('editor')}>
          <Icon name="edit" /> Use in Edit
        </button>
        <button type="button" className="btn small" onClick={() => use('batches')}>
          <Icon name="batches" /> Use in a batch
        </button>
        <button type="button" className="btn small" onClick={() => void store.duplicate(t.id)}>
          <Icon name="plus" /> Duplicate
        </button>
        {t.builtIn ? null : (
          <>
            <button type="button" className="btn small" onClick={() => store.startEdit(t.id)}>
              <Icon name="edit" /> Edit
            </button>
            <button type="button" className="btn small" onClick={() => setConfirming(true)} aria-expanded={confirming}>
              <Icon name="trash" /> Delete
            </button>
          </>
        )}
        <button type="button" className="btn small" onClick={() => void store.exportTemplates([t.id])}>
          <Icon name="download" /> Export…
        </button>
      </div>
      {confirming ? (
        <div className="tpl-confirm" role="group" aria-label="Confirm deletion">
          <span>Delete “{t.name}”? Past results keep their prompt; the template itself cannot be brought back.</span>
          <button type="button" className="btn small danger" onClick={() => void store.remove(t.id)}>
            Delete template
          </button>
          <button type="button" className="btn small" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : null}
      <h3>Prompt</h3>
      <p className="tpl-prompt">{t.prompt}</p>
      {t.negativePrompt ? (
        <>
          <h3>Avoid</h3>
          <p className="tpl-prompt">{t.negativePrompt}</p>
        </>
      ) : null}
      {t.params?.aspectRatio ? <p className="muted">Aspect ratio {t.params.aspectRatio}, for models that take one.</p> : null}
      {t.prompt.includes('{prompt}') ? <p className="muted">{'{prompt}'} is filled with the text typed beside the template.</p> : null}
      {t.variables.length ? (
        <>
          <h3>Variables</h3>
          <table className="mini-table tpl-vars">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Label</th>
                <th scope="col">Default</th>
                <th scope="col">Values</th>
              </tr>
            </thead>
            <tbody>
              {t.variables.map((v) => (
                <tr key={v.name}>
                  <td>
                    <code>{`{${v.name}}`}</code>
                  </td>
                  <td>
                    {v.label}
                    {v.required ? '' : ' (optional)'}
                    {v.description ? <span className="hint block">{v.description}</span> : null}
                  </td>
                  <td>{v.default ?? '—'}</td>
                  <td>{v.options?.length ? `${v.options.join(' · ')}${v.strict ? ' (only these)' : ''}` : 'any'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </article>
  )
}
