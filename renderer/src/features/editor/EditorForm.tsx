import { useShallow } from 'zustand/react/shallow'
import type { AssetView } from '@shared/views'
import { useUi } from '../../app/uiStore'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { LibraryHint } from '../../components/LibraryHint'
import { ModelPicker } from '../../components/ModelPicker'
import { PromptBox } from '../../components/PromptBox'
import { Thumbnail } from '../../components/Thumbnail'
import { unplaced } from '../../lib/fieldErrors'
import { modKey } from '../../lib/format'
import { useCatalog } from '../settings/catalogStore'
import { useProvider } from '../settings/selectors'
import { useSettings } from '../settings/store'
import { editPrice } from './selectors'
import { useEditor } from './store'
import { ReferencesTray } from '../../components/references/ReferencesTray'
import { ASSET_DRAG_TYPE } from '../../components/references/referencesStore'
import { referenceLimit } from '../../lib/referenceLimits'
import { useLibrary } from '../library/store'
import { useKitChoices } from '../kits/store'
import { useEditorReferences } from './referencesStore'

/** The edit's side panel: the images, the prompt, the model and what the run will cost. */
export function EditorForm({ sources, problem, running, run }: { sources: AssetView[]; problem: string | null; running: boolean; run(): void }) {
  const { draft, assetIds, base, starting, error } = useEditor(useShallow((s) => ({ draft: s.draft, assetIds: s.assetIds, base: s.base, starting: s.starting, error: s.error })))
  const editor = useEditor.getState()
  const models = useCatalog((s) => s.models)
  const { templates, templatesError } = useCatalog(useShallow((s) => ({ templates: s.templates, templatesError: s.templatesError })))
  const provider = useProvider()
  const sandbox = useSettings((s) => s.settings?.provider.sandbox ?? false)
  const total = editPrice(models, provider, draft, base ? 1 : sources.length)
  const assets = useLibrary((s) => s.assets)
  const { kits, loaded: kitsLoaded, loadError } = useKitChoices()
  /** An image made a reference is no longer one of the images edited. */
  const dropFromEdited = (ids: string[]) => {
    if (assetIds.some((id) => ids.includes(id))) editor.setAssets(assetIds.filter((id) => !ids.includes(id)))
  }
  return (
    <div className="side-panel">
      <header className="panel-header">
        <h1>Edit</h1>
      </header>
      <div className="panel-scroll">
        <div className="field">
          <span className="field-label">Images</span>
          {base ? (
            <div className="source-strip">
              <div className="source-chip" title={`Continuing from ${base.name}`} data-testid="edit-base">
                <Thumbnail url={base.url} alt={base.name} />
                <button type="button" className="icon-btn chip-remove" aria-label={`Stop continuing from ${base.name}`} onClick={() => editor.setAssets([])}>
                  <Icon name="close" size={12} />
                </button>
              </div>
              <span className="hint">Continuing from an earlier result; the new version keeps its place in the chain.</span>
            </div>
          ) : sources.length ? (
            <div className="source-strip">
              {sources.map((a) => (
                <div key={a.id} className="source-chip" title={a.relPath} draggable onDragStart={(e) => e.dataTransfer.setData(ASSET_DRAG_TYPE, a.id)} data-testid="edit-source">
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
        {base ? null : (
          <ReferencesTray
            store={useEditorReferences}
            assets={assets}
            kits={kits}
            kitsLoaded={kitsLoaded}
            kitsError={loadError}
            limit={referenceLimit(models, provider, draft.models.slice(0, 1))}
            onAdded={dropFromEdited}
            hint="Drag images here from the library (or the images above) to send them as references: style, product, logo, background. The prompt can name them as “image 2”, “image 3”."
          />
        )}
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
            {sandbox ? <span className="pill warn">Sandbox</span> : null}
          </span>
          <button type="button" className="btn primary" disabled={Boolean(problem) || starting} title={problem ?? `Run (${modKey}+Enter)`} onClick={run} data-testid="run-edit">
            <Icon name="play" /> {starting ? 'Starting…' : running ? 'Run again' : 'Run edit'}
          </button>
        </div>
        {problem ? <span className="hint">{problem}</span> : <span className="hint">{modKey}+Enter runs</span>}
      </footer>
    </div>
  )
}
