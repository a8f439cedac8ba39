import { useEffect, useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { Verdict } from '@shared/records'
import type { ItemView } from '@shared/views'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { ImageStage, type StagePane } from '../../components/ImageStage'
import { ModelPicker } from '../../components/ModelPicker'
import { PromptBox } from '../../components/PromptBox'
import { StatusPill } from '../../components/StatusPill'
import { Thumbnail } from '../../components/Thumbnail'
import { LibraryHint } from '../../components/LibraryHint'
import { formatMs, modKey } from '../../lib/format'
import { modelLabel, requestPrice } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { useCompare } from './store'
import { draftProblem, modelParams } from '../../lib/draft'
import { activeItemStates, useJobs } from '../batches/jobsStore'
import { useLibrary } from '../library/store'
import { useSettings } from '../settings/store'
import { useUi } from '../../app/uiStore'
import { ItemCost, ItemMeta, ItemPlaceholder } from '../../components/ItemStatus'
import { RevealButton } from '../../components/RevealButton'
import { unplaced } from '../../lib/fieldErrors'
import { typingIn, useRunShortcut } from '../../lib/keyboard'
import { useProvider } from '../settings/selectors'

const noItems: ItemView[] = []

const verdicts: Array<{ value: Exclude<Verdict, 'pick'>; label: string; key: string }> = [
  { value: 'a_better', label: 'A is better', key: '1' },
  { value: 'b_better', label: 'B is better', key: '2' },
  { value: 'tie', label: 'Tie', key: '3' },
  { value: 'both_bad', label: 'Both bad', key: '4' }
]

export function CompareView() {
  const s = useCompare(
    useShallow((st) => ({ draft: st.draft, assetId: st.assetId, batchId: st.batchId, starting: st.starting, error: st.error, mode: st.mode, pair: st.pair, focused: st.focused, verdict: st.verdict, verdictSaving: st.verdictSaving, verdictError: st.verdictError }))
  )
  const cmp = useCompare.getState()
  const models = useCatalog((st) => st.models)
  const { templates, templatesError } = useCatalog(useShallow((st) => ({ templates: st.templates, templatesError: st.templatesError })))
  const asset = useLibrary((st) => (s.assetId ? st.assets[s.assetId] : undefined))
  const provider = useProvider()
  const settings = useSettings((st) => st.settings)
  const items = useJobs((st) => (s.batchId ? (st.items[s.batchId] ?? noItems) : noItems))
  const batch = useJobs((st) => (s.batchId ? st.batches[s.batchId] : undefined))

  // Gemini vs GPT is the comparison people come for: start from one of each.
  useEffect(() => {
    if (s.draft.models.length || !settings || !models.length) return
    const gemini = models.find((m) => m.family === 'gemini' && m.routes[provider])
    const gpt = models.find((m) => m.family === 'gpt' && m.routes[provider])
    const picks = [gemini?.id, gpt?.id].filter((id): id is string => Boolean(id))
    if (picks.length) cmp.setDraft({ models: picks })
  }, [s.draft.models.length, settings, models, provider, cmp])

  const total = s.draft.models.reduce<number | null>((sum, id) => {
    const p = requestPrice(models, id, modelParams(models, provider, s.draft, id))
    return sum === null || p === null ? null : sum + p
  }, 0)
  const problem = draftProblem(s.draft, { minModels: 2, needAssets: 1, assets: asset?.ok ? 1 : 0 })
  const run = () => {
    if (!problem && !s.starting) void cmp.run(provider)
  }

  useRunShortcut(run)

  const ordered = useMemo(() => {
    const [a, b] = s.pair
    const first = items.find((i) => i.id === a)
    const second = items.find((i) => i.id === b)
    const rest = items.filter((i) => i !== first && i !== second)
    return [first ?? rest.shift(), second ?? rest.shift(), ...rest].filter((i): i is ItemView => Boolean(i))
  }, [items, s.pair])
  const group = batch?.compareGroup
  const finished = items.length > 0 && items.every((i) => !activeItemStates.has(i.state) && i.state !== 'queued')
  const letters = ['A', 'B', 'C', 'D']

  const panes: StagePane[] = ordered.map((item, i) => ({
    key: item.id,
    url: item.outputs.find((o) => o.url && !o.missing)?.url ?? null,
    title: `${letters[i]} · ${modelLabel(models, item.model)}`,
    meta: <ItemMeta item={item} />,
    placeholder: <ItemPlaceholder item={item} />
  }))
  if (asset && panes.length) panes.unshift({ key: 'original', url: asset.originalUrl ?? asset.thumbUrl, title: 'Original', meta: <span className="muted">{asset.name}</span> })

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingIn(e.target) || e.metaKey || e.ctrlKey || e.altKey) return
      const st = useCompare.getState()
      if (e.key === 'Escape' && st.focused) {
        e.preventDefault()
        st.setFocused(false)
      } else if (!ordered.length) return
      else if (e.key === 'c' || e.key === 'C') {
        const ids = ordered.map((i) => i.id)
        st.setPair([ids[1] ?? null, ids[0] ?? null])
      } else if (e.key === 'm' || e.key === 'M') st.setMode(st.mode === 'slider' ? 'side-by-side' : 'slider')
      else if (e.key === 'f' || e.key === 'F') st.setFocused(!st.focused)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [ordered])

  const verdictBar = group && finished && ordered.length >= 2 ? (
    <div className="verdict-bar" role="group" aria-label="Verdict">
      <span className="muted">Which is better?</span>
      {verdicts.map((v) => (
        <button key={v.value} type="button" className={`btn small${s.verdict?.value === v.value ? ' primary' : ''}`} aria-pressed={s.verdict?.value === v.value} disabled={s.verdictSaving} onClick={() => void cmp.saveVerdict(group, v.value)}>
          {v.label}
        </button>
      ))}
      {ordered.map((item, i) =>
        item.recordId ? (
          <button key={item.id} type="button" className={`btn small${s.verdict?.value === 'pick' && s.verdict.pickedRecordId === item.recordId ? ' primary' : ''}`} disabled={s.verdictSaving} onClick={() => void cmp.saveVerdict(group, 'pick', item.recordId)}>
            Keep {letters[i]}
          </button>
        ) : null
      )}
      {s.verdict ? (
        <span className="ok-text" role="status">
          <Icon name="check" /> Verdict saved
        </span>
      ) : null}
      <ErrorNotice error={s.verdictError} compact />
    </div>
  ) : null

  const stage = (
    <ImageStage
      panes={s.mode === 'slider' ? panes.filter((p) => p.key !== 'original') : panes}
      mode={s.mode}
      pair={[0, 1]}
      sync={settings?.compare.syncZoom ?? true}
      toolbar={
        <>
          <div className="segmented small" role="radiogroup" aria-label="Compare mode">
            {(['side-by-side', 'slider'] as const).map((m) => (
              <button key={m} type="button" role="radio" aria-checked={s.mode === m} className={s.mode === m ? 'on' : ''} onClick={() => cmp.setMode(m)} title="Cycle with M">
                {m === 'slider' ? 'Slider' : 'Side by side'}
              </button>
            ))}
          </div>
          {s.mode === 'slider' && ordered.length > 2 ? (
            <span className="pair-pick">
              {([0, 1] as const).map((side) => (
                <select
                  key={side}
                  aria-label={side === 0 ? 'Left of the slider' : 'Right of the slider'}
                  value={ordered[side]?.id ?? ''}
                  onChange={(e) => {
                    const other = ordered[side === 0 ? 1 : 0]?.id ?? null
                    const picked = e.target.value
                    // Picking the model already on the other side swaps the two rather than showing it twice.
                    const next: [string | null, string | null] = side === 0 ? [picked, other === picked ? (ordered[0]?.id ?? null) : other] : [other === picked ? (ordered[1]?.id ?? null) : other, picked]
                    cmp.setPair(next)
                  }}
                >
                  {items.map((item) => (
                    <option key={item.id} value={item.id}>
                      {modelLabel(models, item.model)}
                    </option>
                  ))}
                </select>
              ))}
            </span>
          ) : null}
          <button type="button" className="btn small" onClick={() => cmp.setPair([ordered[1]?.id ?? null, ordered[0]?.id ?? null])} title="Swap A and B (C)" disabled={ordered.length < 2}>
            <Icon name="swap" /> Swap <kbd>C</kbd>
          </button>
          <button type="button" className="btn small" onClick={() => cmp.setFocused(!s.focused)} title="Full window (F); Esc exits">
            <Icon name="fit" /> {s.focused ? 'Exit full view' : 'Full view'} {s.focused ? <kbd>Esc</kbd> : <kbd>F</kbd>}
          </button>
        </>
      }
    />
  )

  return (
    <div className="view editor compare" data-testid="compare-view">
      <div className="side-panel">
        <header className="panel-header">
          <h1>Compare</h1>
        </header>
        <div className="panel-scroll">
          <div className="field">
            <span className="field-label">Image</span>
            {asset ? (
              <div className="source-one">
                <Thumbnail url={asset.thumbUrl} alt={asset.name} problem={asset.ok === false} />
                <span>
                  {asset.name}
                  {asset.ok === false ? <span className="field-error block">{asset.error?.message}</span> : null}
                </span>
              </div>
            ) : (
              <LibraryHint pick="Select one image" action="Compare" onOpenLibrary={() => useUi.getState().navigate('library')} />
            )}
          </div>
          <PromptBox draft={s.draft} templates={templates} templatesError={templatesError} onChange={cmp.setDraft} onRun={run} error={s.error} />
          <ModelPicker models={models} provider={provider} value={s.draft.models} onChange={(ids) => cmp.setDraft({ models: ids })} params={s.draft.params} onParams={(p) => cmp.setDraft({ params: p })} multiple={{ min: 2, max: 4 }} error={s.error} perModel={{ value: s.draft.paramsByModel ?? {}, onChange: (id, choice) => cmp.setDraft({ paramsByModel: { ...s.draft.paramsByModel, [id]: choice } }) }} />
        </div>
        <footer className="panel-footer">
          <ErrorNotice error={unplaced(s.error)} compact />
          <div className="run-row">
            <span className="cost-line">
              <CostBadge credits={total} kind="estimate" />
              {settings?.provider.sandbox ? <span className="pill warn">Sandbox</span> : null}
            </span>
            <button type="button" className="btn primary" disabled={Boolean(problem) || s.starting} title={problem ?? `Run (${modKey}+Enter)`} onClick={run} data-testid="run-compare">
              <Icon name="compare" /> {s.starting ? 'Starting…' : 'Compare'}
            </button>
          </div>
          <span className="hint">{problem ?? `${modKey}+Enter runs · same image, same prompt, every model`}</span>
        </footer>
      </div>
      <section className="stage-area" aria-label="Comparison">
        {items.length ? (
          <>
            {stage}
            {verdictBar}
            <table className="compare-table">
              <thead>
                <tr>
                  <th scope="col"></th>
                  <th scope="col">Model</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Latency
                  </th>
                  <th scope="col" className="num">
                    Credits
                  </th>
                  <th scope="col">Request id</th>
                  <th scope="col">
                    <span className="sr-only">Output</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {ordered.map((item, i) => (
                  <tr key={item.id}>
                    <td>{letters[i]}</td>
                    <td className="ellipsis cell-model" title={modelLabel(models, item.model)}>
                      {modelLabel(models, item.model)}
                    </td>
                    <td>{item.error ? <span className="field-error">{item.error.message}</span> : <StatusPill state={item.state} />}</td>
                    <td className="num nowrap">{formatMs(item.latencyMs)}</td>
                    <td className="num">
                      <ItemCost item={item} />
                    </td>
                    <td className="mono selectable ellipsis cell-request" title={item.requestId}>
                      {item.requestId ?? '—'}
                    </td>
                    <td className="cell-reveal">
                      {item.outputs[0] && !item.outputs[0].missing ? <RevealButton compact recordId={item.recordId} index={item.outputs[0].index} name={`${letters[i]} (${item.outputs[0].name})`} /> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : asset?.ok ? (
          <>
            <ImageStage panes={[{ key: 'original', url: asset.originalUrl ?? asset.thumbUrl, title: 'Original', meta: <span className="muted">{asset.name}</span> }]} mode="side-by-side" />
            <p className="hint pad">Results appear next to the original with their latency and cost; zoom and pan move every picture together.</p>
          </>
        ) : (
          <div className="empty-state">
            <Icon name="compare" size={40} />
            <h2>Same image, several models</h2>
            <p className="muted">Pick an image, write one prompt and choose 2–4 models. Results appear side by side with their latency and cost; zoom and pan move them together.</p>
          </div>
        )}
      </section>
      {s.focused && items.length ? (
        <div className="focus-overlay" role="dialog" aria-modal="true" aria-label="Comparison, full view">
          {stage}
          {verdictBar}
        </div>
      ) : null}
    </div>
  )
}
