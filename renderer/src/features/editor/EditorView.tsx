import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ModelEntry } from '@shared/catalog'
import type { ItemView, LineageView, LineageVersionView, OutputView } from '@shared/views'
import { useUi } from '../../app/uiStore'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { ItemMeta, ItemPlaceholder } from '../../components/ItemStatus'
import { RevealButton } from '../../components/RevealButton'
import { Thumbnail } from '../../components/Thumbnail'
import { ImageViewer, type ViewerMode, type ViewerPane } from '../../components/viewer/ImageViewer'
import { draftProblem } from '../../lib/draft'
import { useRunShortcut } from '../../lib/keyboard'
import { modelLabel } from '../../lib/models'
import { useJobs } from '../batches/jobsStore'
import { useLibrary } from '../library/store'
import { useCatalog } from '../settings/catalogStore'
import { useProvider } from '../settings/selectors'
import { useSettings } from '../settings/store'
import { EditorForm } from './EditorForm'
import { beforePicture, editRunning, shownResult } from './selectors'
import { useEditor, type EditBase } from './store'
import { VersionStrip, versionName } from './VersionStrip'
import { MaskCanvas } from './mask/MaskCanvas'
import { maskKeyOf, useMask, type MaskTarget } from './mask/maskStore'
import { MaskButton, MaskTools } from './mask/MaskTools'
import { leakSentence } from '../../lib/maskLeak'
import { referenceLimit, referencesProblem } from '../../lib/referenceLimits'
import { referenceCount, useKits } from '../kits/store'
import { useEditorReferences } from './referencesStore'

const noItems: ItemView[] = []

/** One chip per image of a multi-image run; picking one puts its result on the stage. */
function ResultStrip({ items, shownId, onPick }: { items: ItemView[]; shownId: string | undefined; onPick(id: string): void }) {
  return (
    <div className="result-strip" role="listbox" aria-label="Results">
      {items.map((item) => (
        <button key={item.id} type="button" role="option" aria-selected={item.id === shownId} className={`result-chip${item.id === shownId ? ' on' : ''}`} onClick={() => onPick(item.id)}>
          <Thumbnail url={item.outputs[0]?.url ?? item.sourceUrl} alt={item.sourceName} problem={item.state === 'failed'} pending={!item.outputs.length && item.state !== 'failed'} />
          <span className="chip-caption" title={item.sourceName}>
            {item.sourceName}
          </span>
        </button>
      ))}
    </div>
  )
}

function baseOf(recordId: string, output: OutputView): EditBase {
  return { recordId, outputIndex: output.index, url: output.url, name: output.name, width: output.width, height: output.height }
}

const modeLabels: Record<ViewerMode, string> = { slider: 'Slider', 'side-by-side': 'Side by side', hold: 'Hold to compare' }

function ModeSwitch({ mode, onMode }: { mode: ViewerMode; onMode(mode: ViewerMode): void }) {
  return (
    <div className="segmented small" role="radiogroup" aria-label="Comparison mode">
      {(['slider', 'side-by-side', 'hold'] as const).map((m) => (
        <button key={m} type="button" role="radio" aria-checked={mode === m} className={mode === m ? 'on' : ''} onClick={() => onMode(m)}>
          {modeLabels[m]}
        </button>
      ))}
    </div>
  )
}

function StageToolbar({ mode, onMode, shown, outputIndex, onOutput }: { mode: ViewerMode; onMode(mode: ViewerMode): void; shown: ItemView | undefined; outputIndex: number; onOutput(index: number): void }) {
  const recordId = shown?.recordId
  const outputs = shown?.outputs ?? []
  const output = outputs[outputIndex]
  return (
    <>
      <ModeSwitch mode={mode} onMode={onMode} />
      {outputs.length > 1 ? (
        <div className="segmented small" role="radiogroup" aria-label="Output">
          {outputs.map((o, i) => (
            <button key={o.index} type="button" role="radio" aria-checked={output === o} className={output === o ? 'on' : ''} onClick={() => onOutput(i)} title={o.name}>
              {i + 1}
            </button>
          ))}
        </div>
      ) : null}
      {output && !output.missing ? <RevealButton key={`${shown?.recordId}-${output.index}`} recordId={shown?.recordId} index={output.index} name={output.name} /> : null}
      {output && !output.missing && recordId && shown?.state === 'done' ? (
        <button type="button" className="btn small" title="Edit this result: it becomes the image to edit, and the chain of versions keeps where it came from" onClick={() => useEditor.getState().continueFrom(baseOf(recordId, output), shown.model)}>
          <Icon name="edit" /> Continue from this
        </button>
      ) : null}
    </>
  )
}

/** The two versions ticked in the strip, as viewer panes: the older one on the left. */
function versionPanes(lineage: LineageView, comparing: readonly string[], models: ModelEntry[]): ViewerPane[] | null {
  const chosen = lineage.versions.filter((v) => comparing.includes(v.recordId))
  if (chosen.length !== 2) return null
  return chosen.map((version, i) => {
    const output = version.outputs[0]
    return {
      key: `version-${version.recordId}`,
      kind: i === 0 ? 'before' : 'after',
      url: output && !output.missing ? output.url : null,
      size: output ? { width: output.width, height: output.height } : null,
      title: `${versionName(lineage, version.recordId)} · ${modelLabel(models, version.model)}`,
      meta: version.prompt,
      placeholder: <span className="muted">file missing</span>
    }
  })
}

/** The picture a mask is drawn over, at its full upright size; null while that size is not known. */
function maskTargetOf(key: string | null, picture: { width: number | null; height: number | null } | undefined): MaskTarget | null {
  if (!key || !picture?.width || !picture.height) return null
  return { key, size: { width: picture.width, height: picture.height } }
}

/** The result's pane: a placeholder says what the run is doing until its picture is there. */
function afterPane(shown: ItemView | undefined, output: OutputView | undefined, models: ModelEntry[]): ViewerPane {
  return {
    key: 'after',
    kind: 'after',
    url: output && output.url && !output.missing ? output.url : null,
    size: output ? { width: output.width, height: output.height } : null,
    title: shown ? `After · ${modelLabel(models, shown.model)}` : 'After',
    meta: shown ? <ItemMeta item={shown} /> : null,
    placeholder: shown ? <ItemPlaceholder item={shown} brief={Boolean(shown.error)} /> : <span className="muted">Run the edit to see the result here.</span>
  }
}

function ResultNotes({ shown, maskDrawing }: { shown: ItemView | undefined; maskDrawing: boolean }) {
  return (
    <>
      {shown?.mask && shown.mask.leak !== undefined && !maskDrawing ? (
        <p className="hint pad mask-leak" data-testid="mask-leak">
          Masked edit: {leakSentence(shown.mask.leak)}
        </p>
      ) : null}
      {shown?.error ? <ErrorNotice error={shown.error} /> : null}
      {shown?.requestId ? <p className="hint pad">Request id {shown.requestId}</p> : null}
    </>
  )
}

function NothingToEdit() {
  return (
    <div className="empty-state">
      <Icon name="edit" size={40} />
      <h2>Nothing to edit yet</h2>
      <p className="muted">Choose one or more images in the Library, then Edit. The original stays untouched; results are written beside it.</p>
      <button type="button" className="btn primary" onClick={() => useUi.getState().navigate('library')}>
        Open the Library
      </button>
    </div>
  )
}

export function EditorView() {
  const { draft, assetIds, base, batchId, starting, lineage, lineageError } = useEditor(
    useShallow((s) => ({ draft: s.draft, assetIds: s.assetIds, base: s.base, batchId: s.batchId, starting: s.starting, lineage: s.lineage, lineageError: s.lineageError }))
  )
  const editor = useEditor.getState()
  const models = useCatalog((s) => s.models)
  const assets = useLibrary((s) => s.assets)
  const provider = useProvider()
  const settings = useSettings((s) => s.settings)
  const items = useJobs((s) => (batchId ? (s.items[batchId] ?? noItems) : noItems))
  const batch = useJobs((s) => (batchId ? s.batches[batchId] : undefined))
  const [mode, setMode] = useState<ViewerMode>('slider')
  const [current, setCurrent] = useState<string | null>(null)
  const [outputIndex, setOutputIndex] = useState(0)
  const [comparing, setComparing] = useState<string[]>([])

  // A new editor starts from the user's default model for the active provider.
  useEffect(() => {
    if (!draft.models.length && settings) editor.setDraft({ models: [settings.generation.defaultModel[provider]] })
  }, [draft.models.length, settings, provider, editor])

  const sources = assetIds.map((id) => assets[id]).filter((a) => a !== undefined)
  const template = useCatalog((st) => st.templates.find((t) => t.id === draft.templateId))
  const referencePicks = useEditorReferences((s) => s.picks.length)
  const referenceKit = useEditorReferences((s) => s.kitId)
  const kits = useKits((s) => s.kits)
  // References go with library images only; continuing from a version sends that version alone.
  const problem =
    draftProblem(draft, { minModels: 1, needAssets: 1, assets: base ? 1 : sources.length, template }) ??
    (base ? null : referencesProblem(referenceLimit(models, provider, draft.models.slice(0, 1)), referenceCount(kits, referenceKit, referencePicks)))
  const run = () => {
    if (!problem && !starting) void editor.run(provider)
  }
  useRunShortcut(run)

  const shown = shownResult(items, current)
  // A finished result is a version: the strip follows it (and its chain) as soon as the history has it.
  const finishedRecord = shown?.state === 'done' && !shown.historyPending ? shown.recordId : undefined
  useEffect(() => {
    if (finishedRecord) void editor.loadLineage(finishedRecord)
  }, [finishedRecord, editor])

  const outputs = shown?.outputs ?? []
  const shownIndex = Math.min(outputIndex, Math.max(0, outputs.length - 1))
  const output = outputs[shownIndex]
  const sourcePicture = beforePicture(shown, assets, sources, output ? Math.max(output.width, output.height) : undefined)
  // An earlier version being edited is not in the library: its own output is the "before".
  const before = base && !sourcePicture.url ? { url: base.url, size: { width: base.width, height: base.height } } : sourcePicture
  const baseName = base && lineage ? `${versionName(lineage, base.recordId)} · ${base.name}` : base?.name
  const maskTarget = maskTargetOf(maskKeyOf(base, assetIds), base ?? sources[0])
  const maskDrawing = useMask((s) => s.drawing && maskTarget !== null && s.target?.key === maskTarget.key)
  const comparePanes = lineage && !maskDrawing ? versionPanes(lineage, comparing, models) : null
  const beforePane: ViewerPane = { key: 'before', kind: 'before', url: before.url, size: before.size, title: 'Before', meta: shown ? (base ? baseName : shown.sourceName) : (baseName ?? sources[0]?.name) }
  const panes: ViewerPane[] = maskDrawing ? [beforePane, { key: 'mask', kind: 'after', url: null, title: 'Mask' }] : (comparePanes ?? [beforePane, afterPane(shown, output, models)])
  const branch = (version: LineageVersionView) => {
    const first = version.outputs[0]
    if (!first || first.missing) return
    setComparing([])
    editor.continueFrom({ recordId: version.recordId, outputIndex: first.index, url: first.url, name: first.name, width: first.width, height: first.height }, version.model)
  }
  const toggleCompare = (version: LineageVersionView) =>
    setComparing((ids) => (ids.includes(version.recordId) ? ids.filter((id) => id !== version.recordId) : [...ids, version.recordId].slice(-2)))

  return (
    <div className="view editor" data-testid="editor-view">
      <EditorForm sources={sources} problem={problem} running={editRunning(items)} run={run} />
      <section className="stage-area" aria-label="Result">
        {sources.length || items.length || base ? (
          <>
            {maskDrawing ? <MaskTools /> : null}
            <ImageViewer
              panes={panes}
              mode={maskDrawing ? 'slider' : mode}
              paint={maskDrawing ? (box) => <MaskCanvas box={box} label={`Mask over ${beforePane.meta ?? 'the picture'}: drag to paint where the edit may happen`} /> : undefined}
              toolbar={
                comparePanes ? (
                  <>
                    <ModeSwitch mode={mode} onMode={setMode} />
                    <button type="button" className="btn small" onClick={() => setComparing([])}>
                      Stop comparing versions
                    </button>
                  </>
                ) : (
                  <>
                    <StageToolbar mode={mode} onMode={setMode} shown={shown} outputIndex={shownIndex} onOutput={setOutputIndex} />
                    <MaskButton target={maskTarget} />
                  </>
                )
              }
            />
            {batch && items.length > 1 ? (
              <ResultStrip
                items={items}
                shownId={shown?.id}
                onPick={(id) => {
                  setCurrent(id)
                  setOutputIndex(0)
                }}
              />
            ) : null}
            {lineageError ? <ErrorNotice error={lineageError} compact /> : null}
            {lineage ? <VersionStrip lineage={lineage} baseRecordId={base?.recordId ?? null} comparing={comparing} onBranch={branch} onToggleCompare={toggleCompare} /> : null}
            <ResultNotes shown={shown} maskDrawing={maskDrawing} />
          </>
        ) : (
          <NothingToEdit />
        )}
      </section>
    </div>
  )
}
