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
import { comparisonPrice } from './selectors'
import { useCompare } from './store'

/** The comparison's side panel: one image, one prompt, 2–4 models, and what it will cost. */
export function CompareForm({ asset, problem, run }: { asset: AssetView | undefined; problem: string | null; run(): void }) {
  const s = useCompare(useShallow((st) => ({ draft: st.draft, starting: st.starting, error: st.error })))
  const cmp = useCompare.getState()
  const models = useCatalog((st) => st.models)
  const { templates, templatesError } = useCatalog(useShallow((st) => ({ templates: st.templates, templatesError: st.templatesError })))
  const provider = useProvider()
  const sandbox = useSettings((st) => st.settings?.provider.sandbox ?? false)
  const total = comparisonPrice(models, provider, s.draft)
  return (
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
        <ModelPicker models={models} provider={provider} value={s.draft.models} onChange={(ids) => cmp.setDraft({ models: ids })} params={s.draft.params} onParams={(p) => cmp.setDraft({ params: p })} multiple={{ min: 2, max: 4 }}
          error={s.error}
          perModel={{ value: s.draft.paramsByModel ?? {}, onChange: (id, choice) => cmp.setDraft({ paramsByModel: { ...s.draft.paramsByModel, [id]: choice } }) }}
          onAddCustom={async (id) => {
            const entry = await useCatalog.getState().addCustom({ id, provider })
            const current = useCompare.getState().draft.models
            if (!current.includes(entry.id) && current.length < 4) cmp.setDraft({ models: [...current, entry.id] })
          }}
        />
      </div>
      <footer className="panel-footer">
        <ErrorNotice error={unplaced(s.error)} compact />
        <div className="run-row">
          <span className="cost-line">
            <CostBadge credits={total} kind="estimate" />
            {sandbox ? <span className="pill warn">Sandbox</span> : null}
          </span>
          <button type="button" className="btn primary" disabled={Boolean(problem) || s.starting} title={problem ?? `Run (${modKey}+Enter)`} onClick={run} data-testid="run-compare">
            <Icon name="compare" /> {s.starting ? 'Starting…' : 'Compare'}
          </button>
        </div>
        <span className="hint">{problem ?? `${modKey}+Enter runs · same image, same prompt, every model`}</span>
      </footer>
    </div>
  )
}
