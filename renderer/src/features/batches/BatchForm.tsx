import { useEffect } from 'react'
import type { AppErrorData } from '@shared/errors'
import type { AssetView, BatchEstimateView } from '@shared/views'
import { useShallow } from 'zustand/react/shallow'
import { useUi } from '../../app/uiStore'
import { CostBadge } from '../../components/CostBadge'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { LibraryHint } from '../../components/LibraryHint'
import { ModelPicker } from '../../components/ModelPicker'
import { PromptBox } from '../../components/PromptBox'
import { Thumbnail } from '../../components/Thumbnail'
import { draftProblem } from '../../lib/draft'
import { unplaced } from '../../lib/fieldErrors'
import { formatCredits, plural } from '../../lib/format'
import { useRunShortcut } from '../../lib/keyboard'
import { modelLabel } from '../../lib/models'
import { useLibrary } from '../library/store'
import { useCatalog } from '../settings/catalogStore'
import { useProvider } from '../settings/selectors'
import { useSettings } from '../settings/store'
import { ReferencesTray } from '../../components/references/ReferencesTray'
import { referenceLimit, referencesProblem } from '../../lib/referenceLimits'
import { referenceCount, useKitChoices } from '../kits/store'
import { useBatchForm, useBatchReferences } from './formStore'
import { estimateStatus, unusableSources } from './selectors'

/**
 * Images the estimate left out, each with its reason: Start runs the rest and the batch lists these as
 * skipped (report, history, counts). One click takes them out of the batch instead.
 */
function SkippedList({ problems }: { problems: Array<{ assetId: string; error: AppErrorData }> }) {
  const assets = useLibrary((s) => s.assets)
  const drop = () => {
    const gone = new Set(problems.map((p) => p.assetId))
    const form = useBatchForm.getState()
    form.setAssets(form.assetIds.filter((id) => !gone.has(id)))
  }
  return (
    <div className="problems" role="group" aria-label="Images that will be skipped" data-testid="batch-problems">
      <div className="problems-head">
        <Icon name="warning" />
        <span>
          {problems.length === 1 ? 'One image cannot be used: it is skipped (nothing sent, no credits) and listed in the report.' : `${problems.length} images cannot be used: they are skipped (nothing sent, no credits) and listed in the report.`}
        </span>
        <button type="button" className="btn small" onClick={drop}>
          {problems.length === 1 ? 'Remove it from the batch' : 'Remove them from the batch'}
        </button>
      </div>
      <ul>
        {problems.map((p) => {
          const name = assets[p.assetId]?.name ?? 'An image no longer in the library'
          return (
            <li key={p.assetId}>
              <strong className="ellipsis" title={assets[p.assetId]?.relPath ?? name}>
                {name}
              </strong>
              <span className="problem-reason">skipped: {p.error.message}</span>
            </li>
          )
        })}
      </ul>
    </div>
  )
}

function SourcesField({ sources, estimate }: { sources: AssetView[]; estimate: BatchEstimateView | null }) {
  const unusable = unusableSources(sources, estimate)
  return (
    <div className="field">
      <span className="field-label">Images</span>
      {sources.length ? (
        <div className="source-strip">
          {sources.slice(0, 12).map((a) => (
            <div key={a.id} className="source-chip" title={unusable.has(a.id) ? `${a.relPath}: ${unusable.get(a.id)}` : a.relPath}>
              <Thumbnail url={a.thumbUrl} alt={a.name} problem={unusable.has(a.id)} />
            </div>
          ))}
          {sources.length > 12 ? <span className="more">+{sources.length - 12}</span> : null}
        </div>
      ) : (
        <LibraryHint pick="Select images" action="Batch" onOpenLibrary={() => useUi.getState().navigate('library')} />
      )}
      <span className="hint">
        {plural(sources.length, 'image')}
        {unusable.size ? ` · ${unusable.size} will be skipped (cannot be used)` : ''}
      </span>
    </div>
  )
}

function DuplicatesField() {
  const duplicates = useBatchForm((s) => s.duplicates)
  const { setField } = useBatchForm.getState()
  return (
    <fieldset className="field">
      <legend className="field-label">Images already done with the same prompt and model</legend>
      <label className="radio">
        <input type="radio" name="dups" checked={duplicates === 'skip'} onChange={() => setField({ duplicates: 'skip' })} /> Skip them (no credits spent twice)
      </label>
      <label className="radio">
        <input type="radio" name="dups" checked={duplicates === 'run'} onChange={() => setField({ duplicates: 'run' })} /> Run them again
      </label>
      <label className="radio">
        <input type="radio" name="dups" checked={duplicates === 'ask'} onChange={() => setField({ duplicates: 'ask' })} /> Hold them and ask me
      </label>
    </fieldset>
  )
}

/** The estimate, kept in step with the form, and the Start button it guards. */
function EstimateCard({ problem, specKey, onStart }: { problem: string | null; specKey: string; onStart(): void }) {
  const f = useBatchForm(useShallow((s) => ({ estimate: s.estimate, estimating: s.estimating, estimateKey: s.estimateKey, budget: s.budget, duplicates: s.duplicates, starting: s.starting, error: s.error })))
  const models = useCatalog((s) => s.models)
  const sandbox = useSettings((s) => s.settings?.provider.sandbox ?? false)
  const { fresh, nothingToRun, overBudget, duplicates: dupCount } = estimateStatus(f.estimate, f.estimateKey, specKey, f.budget)
  return (
    <div className="estimate-card" aria-live="polite" data-testid="batch-estimate">
      <h2>Estimate</h2>
      {problem ? (
        <p className="hint">{problem}</p>
      ) : !f.estimate ? (
        <p className="muted">{f.estimating ? 'Estimating…' : 'The estimate appears here before you start.'}</p>
      ) : (
        <div className={`estimate-body${fresh ? '' : ' stale'}`} aria-busy={!fresh}>
          {!fresh ? <p className="hint">Updating for your changes…</p> : null}
          {f.estimate.items === 0 ? (
            <p className="field-error">None of the selected images can be sent: nothing would run.</p>
          ) : (
            <>
              <table className="mini-table">
                <tbody>
                  {f.estimate.perModel.map((m) => (
                    <tr key={m.model}>
                      <td className="ellipsis" title={modelLabel(models, m.model)}>
                        {modelLabel(models, m.model)}
                      </td>
                      <td className="num nowrap">{m.perItem === null ? `${m.items} × price unknown` : `${m.items} × ${formatCredits(m.perItem)}`}</td>
                      <td className="num nowrap">{formatCredits(m.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="estimate-total">
                Total <CostBadge credits={f.estimate.total} kind="estimate" /> for {plural(f.estimate.items, 'request')}
              </p>
            </>
          )}
          {f.estimate.unpriced.length ? <p className="hint">Not included (no known price): {f.estimate.unpriced.join(', ')}</p> : null}
          {dupCount ? (
            <p className="hint">
              {plural(dupCount, 'request')} already succeeded before: {f.duplicates === 'skip' ? 'they will be skipped' : f.duplicates === 'run' ? 'they will run again' : 'they will wait for your decision'}.
            </p>
          ) : null}
          {f.estimate.problems.length ? <SkippedList problems={f.estimate.problems} /> : null}
          {overBudget ? <p className="field-error">The estimate is over the batch budget: it will stop when the budget is reached.</p> : null}
        </div>
      )}
      <ErrorNotice error={unplaced(f.error)} compact />
      <div className="run-row">
        {sandbox ? <span className="pill warn">Sandbox</span> : <span />}
        <button type="button" className="btn primary" disabled={Boolean(problem) || !fresh || f.starting || nothingToRun} title={nothingToRun ? 'None of the selected images can be sent' : undefined} onClick={onStart} data-testid="start-batch">
          <Icon name="play" /> {f.starting ? 'Starting…' : 'Start batch'}
        </button>
      </div>
    </div>
  )
}

export function BatchForm() {
  // Every field the spec key is made of is read here, so a change to any of them re-asks the estimate.
  const f = useBatchForm(useShallow((s) => ({ draft: s.draft, assetIds: s.assetIds, name: s.name, budget: s.budget, duplicates: s.duplicates, estimate: s.estimate, estimateKey: s.estimateKey, error: s.error })))
  const form = useBatchForm.getState()
  const models = useCatalog((s) => s.models)
  const { templates, templatesError } = useCatalog(useShallow((s) => ({ templates: s.templates, templatesError: s.templatesError })))
  const assets = useLibrary((s) => s.assets)
  const provider = useProvider()
  const settings = useSettings((s) => s.settings)
  const sources = f.assetIds.map((id) => assets[id]).filter((a) => a !== undefined)
  const template = templates.find((t) => t.id === f.draft.templateId)
  // Read here so a change to the references re-asks the estimate, as any field of the spec does.
  const references = useBatchReferences(useShallow((s) => ({ picks: s.picks, kitId: s.kitId })))
  const { kits, loaded: kitsLoaded, loadError: kitsError } = useKitChoices()
  const limit = referenceLimit(models, provider, f.draft.models)
  const problem = draftProblem(f.draft, { minModels: 1, needAssets: 1, assets: sources.length, template }) ?? referencesProblem(limit, referenceCount(kits, references.kitId, references.picks.length))
  const key = form.specKey(provider)
  const { fresh, nothingToRun } = estimateStatus(f.estimate, f.estimateKey, key, f.budget)

  useEffect(() => {
    if (!f.draft.models.length && settings) form.setDraft({ models: [settings.generation.defaultModel[provider]] })
  }, [f.draft.models.length, settings, provider, form])

  // The estimate follows the form: re-asked a moment after the last change, so it is always shown before Start.
  useEffect(() => {
    if (problem) return
    const timer = setTimeout(() => void useBatchForm.getState().runEstimate(provider), 350)
    return () => clearTimeout(timer)
  }, [key, problem, provider])

  useRunShortcut(() => {
    if (fresh && !problem && !nothingToRun && !useBatchForm.getState().starting) void form.start(provider)
  })

  return (
    <div className="batch-form" data-testid="batch-form">
      <header className="view-header">
        <h1>New batch</h1>
      </header>
      <div className="batch-form-grid">
        <div className="form-col">
          <SourcesField sources={sources} estimate={f.estimate} />
          <label className="field">
            <span className="field-label">Name</span>
            <input type="text" value={f.name} placeholder="e.g. Spring catalogue, white background" onChange={(e) => form.setField({ name: e.target.value })} />
          </label>
          <PromptBox
            draft={f.draft}
            templates={templates}
            templatesError={templatesError}
            onChange={form.setDraft}
            onRun={() => {
              if (fresh && !problem && !nothingToRun) void form.start(provider)
            }}
            error={f.error}
          />
          <ReferencesTray
            store={useBatchReferences}
            assets={assets}
            kits={kits}
            kitsLoaded={kitsLoaded}
            kitsError={kitsError}
            limit={limit}
            hint="Drag images here from the library: every image of the batch is sent with these references, in this order, as image 2, 3, …"
          />
        </div>
        <div className="form-col">
          <ModelPicker
            models={models}
            provider={provider}
            value={f.draft.models}
            onChange={(ids) => form.setDraft({ models: ids })}
            params={f.draft.params}
            onParams={(p) => form.setDraft({ params: p })}
            multiple={{ min: 1, max: 8 }}
            error={f.error}
            onAddCustom={async (id) => {
              const entry = await useCatalog.getState().addCustom({ id, provider })
              const current = useBatchForm.getState().draft.models
              if (!current.includes(entry.id) && current.length < 8) form.setDraft({ models: [...current, entry.id] })
            }}
          />
          <label className="field">
            <span className="field-label">Budget for this batch (credits)</span>
            <input type="number" min={0} value={f.budget} placeholder="No limit" aria-invalid={f.error?.field === 'budgetCredits' || undefined} onChange={(e) => form.setField({ budget: e.target.value })} />
            <span className="hint">The batch pauses before a request would go over it.</span>
          </label>
          <DuplicatesField />
          <EstimateCard problem={problem} specKey={key} onStart={() => void form.start(provider)} />
        </div>
      </div>
    </div>
  )
}
