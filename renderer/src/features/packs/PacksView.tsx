import { useEffect, useId, useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Pack } from '@shared/packs'
import { Icon } from '../../components/Icon'
import { ViewHeader, ViewMessages } from '../../components/ViewHeader'
import { Thumbnail } from '../../components/Thumbnail'
import { plural } from '../../lib/format'
import { modelsForProvider } from '../../lib/models'
import { useJobs } from '../batches/jobsStore'
import { useLibrary } from '../library/store'
import { useCatalog } from '../settings/catalogStore'
import { useProvider } from '../settings/selectors'
import { useSettings } from '../settings/store'
import { ContactSheet, PlanGrid } from './PackResults'
import { usePacks } from './store'
import './packs.css'

/** How many library images the chooser lists at once; the library's own selection covers the rest. */
const LISTED_IMAGES = 120

const targetLine = (pack: Pack) => pack.targets.map((t) => `${t.name} ${t.width && t.height ? `${t.width}×${t.height}` : `${t.aspectRatio} largest`}`).join(' · ')

function ImageChooser() {
  const { assets, order, selected } = useLibrary(useShallow((s) => ({ assets: s.assets, order: s.order, selected: s.selected })))
  const assetIds = usePacks((s) => s.assetIds)
  const chosen = useMemo(() => new Set(assetIds), [assetIds])
  const usable = useMemo(() => order.filter((id) => assets[id]?.ok).slice(0, LISTED_IMAGES), [order, assets])
  const toggle = (id: string, on: boolean) => usePacks.getState().set({ assetIds: on ? [...assetIds, id] : assetIds.filter((a) => a !== id) })
  return (
    <fieldset className="pack-images">
      <legend className="field-label">
        Images <span className="muted">{plural(assetIds.length, 'chosen', 'chosen')}</span>
      </legend>
      <div className="pack-image-actions">
        <button type="button" className="btn small" disabled={!selected.length} onClick={() => usePacks.getState().set({ assetIds: [...selected] })}>
          Use library selection ({selected.length})
        </button>
        <button type="button" className="btn small" disabled={!assetIds.length} onClick={() => usePacks.getState().set({ assetIds: [] })}>
          Clear
        </button>
      </div>
      {usable.length ? (
        <ul className="pack-image-list">
          {usable.map((id) => {
            const a = assets[id]!
            return (
              <li key={id}>
                <label className={`pack-image${chosen.has(id) ? ' on' : ''}`}>
                  <input type="checkbox" checked={chosen.has(id)} onChange={(e) => toggle(id, e.target.checked)} />
                  <Thumbnail url={a.thumbUrl} alt="" alpha={a.alpha} />
                  <span className="ellipsis" title={a.relPath}>
                    {a.name}
                  </span>
                </label>
              </li>
            )
          })}
        </ul>
      ) : (
        <p className="hint">Import a folder in the Library first; its images are listed here.</p>
      )}
    </fieldset>
  )
}

function PackEditor() {
  const editing = usePacks((s) => s.editing)
  const textId = useId()
  if (!editing) return null
  const store = usePacks.getState()
  return (
    <section className="pack-editor" aria-label={editing.id ? 'Edit pack' : 'New pack'}>
      <label className="field-label" htmlFor={textId}>
        {editing.id ? `Pack ${editing.id} (JSON)` : 'New pack (JSON)'}
      </label>
      <p className="hint">Each target: name, width and height (or aspectRatio for the model&apos;s largest size), format jpeg|png|webp, quality, maxBytes, background keep|white|transparent, method recompose|crop|pad.</p>
      <textarea id={textId} className="pack-json" spellCheck={false} rows={16} value={editing.text} onChange={(e) => store.setEditText(e.target.value)} />
      <div className="tpl-actions">
        <button type="button" className="btn small primary" onClick={() => void store.saveEdit()}>
          Save pack
        </button>
        <button type="button" className="btn small" onClick={() => store.cancelEdit()}>
          Cancel
        </button>
      </div>
    </section>
  )
}

/** Channel packs: choose images, a pack and a model, see the planned grid, run, review the contact sheet. */
export function PacksView() {
  const s = usePacks(
    useShallow((st) => ({
      packs: st.packs,
      packId: st.packId,
      model: st.model,
      assetIds: st.assetIds,
      extraPrompt: st.extraPrompt,
      allowUpscale: st.allowUpscale,
      plan: st.plan,
      planKey: st.planKey,
      planning: st.planning,
      running: st.running,
      batchId: st.batchId,
      error: st.error,
      notice: st.notice,
      loaded: st.loaded
    }))
  )
  const store = usePacks.getState()
  const provider = useProvider()
  const settings = useSettings((st) => st.settings)
  const models = useCatalog((st) => st.models)
  const available = useMemo(() => modelsForProvider(models, provider), [models, provider])
  const items = useJobs((st) => (s.batchId ? st.items[s.batchId] : undefined))
  const [packFieldId, modelFieldId, promptFieldId] = [useId(), useId(), useId()]
  const pack = s.packs.find((p) => p.id === s.packId)
  const key = store.requestKey()
  const fresh = s.plan !== null && s.planKey === key
  const blockedByUpscale = Boolean(s.plan?.needsUpscale.length) && !s.allowUpscale

  useEffect(() => {
    void usePacks.getState().load()
  }, [])
  useEffect(() => {
    if (!s.model && settings) usePacks.getState().set({ model: settings.generation.defaultModel[provider] })
  }, [s.model, settings, provider])
  // The plan follows the form, asked a moment after the last change: it is always shown before Run.
  useEffect(() => {
    if (!s.packId || !s.model || !s.assetIds.length) return
    const timer = setTimeout(() => void usePacks.getState().planNow(), 300)
    return () => clearTimeout(timer)
  }, [key, s.packId, s.model, s.assetIds.length])

  return (
    <div className="view packs-view" data-testid="packs-view">
      <ViewHeader title="Packs" status={s.loaded ? plural(s.packs.length, 'pack') : 'Loading…'}>
        <button type="button" className="btn small" onClick={() => store.startEdit()}>
          <Icon name="plus" /> New pack
        </button>
        <button type="button" className="btn small" onClick={() => void store.importFile()}>
          <Icon name="file" /> Import…
        </button>
        <button type="button" className="btn small" disabled={!s.packs.some((p) => !p.builtIn)} onClick={() => void store.exportOwn()}>
          <Icon name="download" /> Export yours…
        </button>
      </ViewHeader>
      <ViewMessages notice={s.notice} error={s.error} />
      <div className="pack-layout">
        <section className="pack-form" aria-label="Run a pack">
          <label className="field-label" htmlFor={packFieldId}>
            Pack
          </label>
          <select id={packFieldId} value={s.packId} onChange={(e) => store.set({ packId: e.target.value })}>
            {s.packs.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
                {p.builtIn ? '' : ' (yours)'}
              </option>
            ))}
          </select>
          {pack ? (
            <p className="hint" data-testid="pack-targets">
              {pack.description ? `${pack.description} ` : ''}
              {targetLine(pack)}
            </p>
          ) : null}
          {pack && !pack.builtIn ? (
            <div className="tpl-actions">
              <button type="button" className="btn small" onClick={() => store.startEdit(pack)}>
                Edit {pack.name}
              </button>
              <button type="button" className="btn small" onClick={() => void store.remove(pack.id)}>
                <Icon name="trash" /> Delete {pack.name}
              </button>
            </div>
          ) : null}
          <label className="field-label" htmlFor={modelFieldId}>
            Model
          </label>
          <select id={modelFieldId} value={s.model} onChange={(e) => store.set({ model: e.target.value })}>
            {available.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
          <label className="field-label" htmlFor={promptFieldId}>
            Further instructions <span className="muted">optional, for every target</span>
          </label>
          <textarea id={promptFieldId} rows={2} value={s.extraPrompt} onChange={(e) => store.set({ extraPrompt: e.target.value })} />
          <label className="pack-check">
            <input type="checkbox" checked={s.allowUpscale} onChange={(e) => store.set({ allowUpscale: e.target.checked })} /> Upscale with sharp where the model cannot reach a target&apos;s size (flagged on each output)
          </label>
          <ImageChooser />
        </section>
        {/* Focusable: the plan can be longer than the pane while Run is still disabled, and must scroll by keyboard. */}
        <section className="pack-main" aria-label="Plan and results" tabIndex={0}>
          <PackEditor />
          {s.plan ? <PlanGrid plan={s.plan} /> : <p className="hint">{s.assetIds.length ? (s.planning ? 'Planning…' : 'Choose a pack and a model.') : 'Choose images to see the plan: per target the model size, the finishing and the price.'}</p>}
          {s.plan?.problems.length ? <p className="warn-text">{plural(s.plan.problems.length, 'chosen image')} cannot be sent and will be skipped: {s.plan.problems.map((p) => p.error.message).join(' ')}</p> : null}
          {blockedByUpscale ? <p className="warn-text">Some targets are larger than this model makes: tick “Upscale with sharp” to run them anyway, or choose another model.</p> : null}
          <div className="tpl-actions">
            <button type="button" className="btn primary" data-testid="run-pack" disabled={!fresh || s.running || s.planning || blockedByUpscale} onClick={() => void store.run()}>
              <Icon name="play" /> {s.running ? 'Starting…' : 'Run pack'}
            </button>
          </div>
          {items ? <ContactSheet items={items} /> : null}
        </section>
      </div>
    </div>
  )
}
