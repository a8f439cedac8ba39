import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { KitView } from '@shared/kits'
import { useUi } from '../../app/uiStore'
import { Icon } from '../../components/Icon'
import { ViewHeader, ViewMessages } from '../../components/ViewHeader'
import { MiddleTruncate } from '../../components/MiddleTruncate'
import { Thumbnail } from '../../components/Thumbnail'
import { formatBytes, plural } from '../../lib/format'
import { useBatchForm, useBatchReferences } from '../batches/formStore'
import { useEditorReferences } from '../editor/referencesStore'
import { KitEditor } from './KitEditor'
import { useKits } from './store'
import '../../components/references/references.css'
import './kits.css'

function KitList() {
  const { kits, selectedId, editingId } = useKits(useShallow((s) => ({ kits: s.kits, selectedId: s.selectedId, editingId: s.editing?.id })))
  const store = useKits.getState()
  return (
    <section className="kit-list" aria-label="Brand kit list">
      {kits.length ? (
        <ul>
          {kits.map((k) => (
            <li key={k.id}>
              <button type="button" className={`kit-item${k.id === (editingId ?? selectedId) ? ' on' : ''}`} aria-current={k.id === selectedId ? 'true' : undefined} onClick={() => store.select(k.id)}>
                <span className="kit-item-name">{k.name}</span>
                <span className="kit-item-meta">
                  {plural(k.references.length, 'image')} · {plural(k.snippets.length, 'snippet')}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint">No brand kits yet.</p>
      )}
    </section>
  )
}

/** One kit in full, with what can be done with it. */
function KitDetail({ kit }: { kit: KitView }) {
  const [confirming, setConfirming] = useState(false)
  const store = useKits.getState()
  const use = (target: 'editor' | 'batches') => {
    if (target === 'editor') useEditorReferences.getState().setKit(kit.id)
    else {
      useBatchReferences.getState().setKit(kit.id)
      useBatchForm.getState().setOpen(true)
    }
    useUi.getState().navigate(target)
  }
  return (
    <article className="kit-detail" aria-labelledby="kit-detail-name">
      <h2 id="kit-detail-name">{kit.name}</h2>
      <p className="muted">
        <code>{kit.id}</code>
        {kit.description ? ` · ${kit.description}` : ''}
      </p>
      <div className="toolbar kit-actions" role="toolbar" aria-label="Brand kit actions">
        <button type="button" className="btn small primary" onClick={() => use('editor')}>
          <Icon name="edit" /> Use in Edit
        </button>
        <button type="button" className="btn small" onClick={() => use('batches')}>
          <Icon name="batches" /> Use in a batch
        </button>
        <button type="button" className="btn small" onClick={() => store.startEdit(kit.id)}>
          <Icon name="edit" /> Edit
        </button>
        <button type="button" className="btn small" onClick={() => void store.duplicate(kit.id)}>
          <Icon name="plus" /> Duplicate
        </button>
        <button type="button" className="btn small" onClick={() => void store.exportKit(kit.id, 'folder')} title="A folder with kit.json beside the images (what pixdesk kits import reads)">
          <Icon name="download" /> Export folder…
        </button>
        <button type="button" className="btn small" onClick={() => void store.exportKit(kit.id, 'json')} title="One JSON file with the images inside">
          <Icon name="download" /> Export JSON…
        </button>
        <button type="button" className="btn small" onClick={() => setConfirming(true)} aria-expanded={confirming}>
          <Icon name="trash" /> Delete
        </button>
      </div>
      {confirming ? (
        <div className="kit-confirm" role="group" aria-label="Confirm deletion">
          <span>Delete “{kit.name}” and its copies of the images? Past results keep their references in History.</span>
          <button type="button" className="btn small danger" onClick={() => void store.remove(kit.id)}>
            Delete kit
          </button>
          <button type="button" className="btn small" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : null}
      <h3>Reference images</h3>
      {kit.references.length ? (
        <ol className="reference-list">
          {kit.references.map((ref, i) => (
            <li key={ref.sha256} className="reference-row" data-testid="kit-detail-image">
              <div className="source-chip" title={ref.file}>
                <Thumbnail url={ref.url ?? null} alt={ref.file} />
              </div>
              <span className="reference-number">Image {i + 2}</span>
              <MiddleTruncate className="reference-name" text={ref.file} />
              <span className="muted">{ref.role ?? 'no role'}</span>
              <span className="muted nowrap">{formatBytes(ref.bytes)}</span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="hint">No images: the kit adds only its snippets.</p>
      )}
      <h3>Prompt snippets</h3>
      {kit.snippets.length ? (
        <ul className="kit-snippets">
          {kit.snippets.map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      ) : (
        <p className="hint">None.</p>
      )}
    </article>
  )
}

/** Brand kits: reference images with roles and prompt snippets, reused in edits and batches. */
export function KitsView() {
  const s = useKits(useShallow((st) => ({ kits: st.kits, selectedId: st.selectedId, editing: st.editing, error: st.error, notice: st.notice, loaded: st.loaded, loadError: st.loadError })))
  const store = useKits.getState()
  useEffect(() => {
    void useKits.getState().load()
  }, [])
  const selected = s.kits.find((k) => k.id === s.selectedId)
  return (
    <div className="view kits-view" data-testid="kits-view">
      <ViewHeader title="Brand kits" status={s.loaded ? plural(s.kits.length, 'kit') : 'Loading…'}>
        <button type="button" className="btn small primary" onClick={() => store.startNew()}>
          <Icon name="plus" /> New kit
        </button>
        <button type="button" className="btn small" onClick={() => void store.importKit('folder')} title="A kit folder: kit.json beside its images">
          <Icon name="folder" /> Import folder…
        </button>
        <button type="button" className="btn small" onClick={() => void store.importKit('json')} title="A kit JSON file with the images inside">
          <Icon name="file" /> Import JSON…
        </button>
      </ViewHeader>
      <ViewMessages notice={s.notice} error={s.error} errorInForm={Boolean(s.editing)} />
      {s.loadError ? <p className="warn-text pad">{s.loadError}</p> : null}
      <div className="kit-layout">
        <KitList />
        <section className="kit-main" aria-label="Brand kit">
          {s.editing ? (
            <KitEditor />
          ) : selected ? (
            <KitDetail key={selected.id} kit={selected} />
          ) : (
            <div className="kit-empty">
              <p>A brand kit is a named set of reference images (product, style, logo, background) and prompt snippets, reused across edits and batches.</p>
              <p className="muted">Make one from images selected in the Library, or import a kit folder or JSON file (the forms pixdesk kits export writes). Kits live in the data folder.</p>
            </div>
          )}
        </section>
      </div>
    </div>
  )
}
