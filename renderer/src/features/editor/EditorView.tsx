import { useEffect, useMemo, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ItemView } from '@shared/views'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { ImageStage, type StageMode } from '../../components/ImageStage'
import { ModelPicker } from '../../components/ModelPicker'
import { PromptBox } from '../../components/PromptBox'
import { Thumbnail } from '../../components/Thumbnail'
import { LibraryHint } from '../../components/LibraryHint'
import { modKey } from '../../lib/format'
import { modelLabel, requestPrice } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { draftProblem, sharedParams } from '../../lib/draft'
import { useEditor } from './store'
import { activeItemStates, useJobs } from '../batches/jobsStore'
import { useLibrary } from '../library/store'
import { useSettings } from '../settings/store'
import { useUi } from '../../app/uiStore'
import { ItemMeta, ItemPlaceholder } from '../../components/ItemStatus'
import { RevealButton } from '../../components/RevealButton'
import { unplaced } from '../../lib/fieldErrors'
import { useRunShortcut } from '../../lib/keyboard'
import { useProvider } from '../settings/selectors'

const noItems: ItemView[] = []

export function EditorView() {
  const { draft, assetIds, batchId, starting, error } = useEditor(useShallow((s) => ({ draft: s.draft, assetIds: s.assetIds, batchId: s.batchId, starting: s.starting, error: s.error })))
  const editor = useEditor.getState()
  const models = useCatalog((s) => s.models)
  const { templates, templatesError } = useCatalog(useShallow((s) => ({ templates: s.templates, templatesError: s.templatesError })))
  const assets = useLibrary((s) => s.assets)
  const provider = useProvider()
  const settings = useSettings((s) => s.settings)
  const items = useJobs((s) => (batchId ? (s.items[batchId] ?? noItems) : noItems))
  const batch = useJobs((s) => (batchId ? s.batches[batchId] : undefined))
  const [mode, setMode] = useState<StageMode>('slider')
  const [current, setCurrent] = useState<string | null>(null)
  const [outputIndex, setOutputIndex] = useState(0)

  // A new editor starts from the user's default model for the active provider.
  useEffect(() => {
    if (!draft.models.length && settings) editor.setDraft({ models: [settings.generation.defaultModel[provider]] })
  }, [draft.models.length, settings, provider, editor])

  const sources = assetIds.map((id) => assets[id]).filter((a) => a !== undefined)
  const params = sharedParams(models, provider, draft)
  const each = draft.models[0] ? requestPrice(models, draft.models[0], params) : null
  const total = each === null ? null : each * Math.max(1, sources.length)
  const problem = draftProblem(draft, { minModels: 1, needAssets: 1, assets: sources.length })
  const running = items.some((i) => activeItemStates.has(i.state) || i.state === 'queued')
  const run = () => {
    if (!problem && !starting) void editor.run(provider)
  }

  useRunShortcut(run)

  const shown = items.find((i) => i.id === current) ?? items.find((i) => i.outputs.length) ?? items[0]
  const before = shown ? (shown.sourceUrl ?? assets[shown.assetId ?? '']?.originalUrl ?? null) : (sources[0]?.originalUrl ?? sources[0]?.thumbUrl ?? null)
  const outputs = shown?.outputs ?? []
  const output = outputs[Math.min(outputIndex, Math.max(0, outputs.length - 1))]
  const after = output && output.url && !output.missing ? output.url : null
  const panes = useMemo(
    () => [
      { key: 'before', url: before, title: 'Before', meta: shown ? shown.sourceName : sources[0]?.name },
      {
        key: 'after',
        url: after,
        title: shown ? `After · ${modelLabel(models, shown.model)}` : 'After',
        meta: shown ? <ItemMeta item={shown} /> : null,
        placeholder: shown ? <ItemPlaceholder item={shown} brief={Boolean(shown.error)} /> : <span className="muted">Run the edit to see the result here.</span>
      }
    ],
    [before, after, shown, sources, models]
  )

  return (
    <div className="view editor" data-testid="editor-view">
      <div className="side-panel">
        <header className="panel-header">
          <h1>Edit</h1>
        </header>
        <div className="panel-scroll">
          <div className="field">
            <span className="field-label">Images</span>
            {sources.length ? (
              <div className="source-strip">
                {sources.map((a) => (
                  <div key={a.id} className="source-chip" title={a.relPath}>
                    <Thumbnail url={a.thumbUrl} alt={a.name} />
                    <button type="button" className="icon-btn chip-remove" aria-label={`Remove ${a.name}`} onClick={() => editor.setAssets(assetIds.filter((id) => id !== a.id))}>
                      <Icon name="close" size={12} />
                    </button>
                  </div>
                ))}
              </div>
            ) : (
              <LibraryHint pick="Pick images" action="Edit" onOpenLibrary={() => useUi.getState().navigate('library')} />
            )}
          </div>
          <PromptBox draft={draft} templates={templates} templatesError={templatesError} onChange={editor.setDraft} onRun={run} error={error} />
          <ModelPicker
            models={models}
            provider={provider}
            value={draft.models}
            onChange={(ids) => editor.setDraft({ models: ids })}
            params={draft.params}
            onParams={(p) => editor.setDraft({ params: p })}
            error={error}
            onAddCustom={async (id) => {
              const entry = await useCatalog.getState().addCustom({ id, provider })
              editor.setDraft({ models: [entry.id] })
            }}
          />
        </div>
        <footer className="panel-footer">
          <ErrorNotice error={unplaced(error)} compact />
          <div className="run-row">
            <span className="cost-line">
              {sources.length > 1 ? `${sources.length} images · ` : ''}
              <CostBadge credits={total} kind="estimate" />
              {settings?.provider.sandbox ? <span className="pill warn">Sandbox</span> : null}
            </span>
            <button type="button" className="btn primary" disabled={Boolean(problem) || starting} title={problem ?? `Run (${modKey}+Enter)`} onClick={run} data-testid="run-edit">
              <Icon name="play" /> {starting ? 'Starting…' : running ? 'Run again' : 'Run edit'}
            </button>
          </div>
          {problem ? <span className="hint">{problem}</span> : <span className="hint">{modKey}+Enter runs</span>}
        </footer>
      </div>
      <section className="stage-area" aria-label="Result">
        {sources.length || items.length ? (
          <>
            <ImageStage
              panes={panes}
              mode={mode}
              toolbar={
                <>
                  <div className="segmented small" role="radiogroup" aria-label="View">
                    {(['slider', 'side-by-side'] as const).map((m) => (
                      <button key={m} type="button" role="radio" aria-checked={mode === m} className={mode === m ? 'on' : ''} onClick={() => setMode(m)}>
                        {m === 'slider' ? 'Slider' : 'Side by side'}
                      </button>
                    ))}
                  </div>
                  {outputs.length > 1 ? (
                    <div className="segmented small" role="radiogroup" aria-label="Output">
                      {outputs.map((o, i) => (
                        <button key={o.index} type="button" role="radio" aria-checked={output === o} className={output === o ? 'on' : ''} onClick={() => setOutputIndex(i)} title={o.name}>
                          {i + 1}
                        </button>
                      ))}
                    </div>
                  ) : null}
                  {output && !output.missing ? <RevealButton key={`${shown?.recordId}-${output.index}`} recordId={shown?.recordId} index={output.index} name={output.name} /> : null}
                </>
              }
            />
            {batch && items.length > 1 ? (
              <div className="result-strip" role="listbox" aria-label="Results">
                {items.map((item) => (
                  <button
                    key={item.id}
                    type="button"
                    role="option"
                    aria-selected={item.id === shown?.id}
                    className={`result-chip${item.id === shown?.id ? ' on' : ''}`}
                    onClick={() => {
                      setCurrent(item.id)
                      setOutputIndex(0)
                    }}
                  >
                    <Thumbnail url={item.outputs[0]?.url ?? item.sourceUrl} alt={item.sourceName} problem={item.state === 'failed'} pending={!item.outputs.length && item.state !== 'failed'} />
                    <span className="chip-caption" title={item.sourceName}>
                      {item.sourceName}
                    </span>
                  </button>
                ))}
              </div>
            ) : null}
            {shown?.error ? <ErrorNotice error={shown.error} /> : null}
            {shown?.requestId ? <p className="hint pad">Request id {shown.requestId}</p> : null}
          </>
        ) : (
          <div className="empty-state">
            <Icon name="edit" size={40} />
            <h2>Nothing to edit yet</h2>
            <p className="muted">Choose one or more images in the Library, then Edit. The original stays untouched; results are written beside it.</p>
            <button type="button" className="btn primary" onClick={() => useUi.getState().navigate('library')}>
              Open the Library
            </button>
          </div>
        )}
      </section>
    </div>
  )
}
