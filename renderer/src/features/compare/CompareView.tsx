import { useEffect, useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ItemView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { ImageViewer } from '../../components/viewer/ImageViewer'
import { draftProblem } from '../../lib/draft'
import { typingIn, useRunShortcut } from '../../lib/keyboard'
import { useJobs } from '../batches/jobsStore'
import { useLibrary } from '../library/store'
import { useCatalog } from '../settings/catalogStore'
import { useProvider } from '../settings/selectors'
import { useSettings } from '../settings/store'
import { CompareForm } from './CompareForm'
import { CompareStage, originalPane, swapCompared } from './CompareStage'
import { ResultsTable } from './ResultsTable'
import { compareModes, comparisonFinished, defaultComparisonModels, orderedResults } from './selectors'
import { useCompare } from './store'
import { VerdictBar } from './VerdictBar'

const noItems: ItemView[] = []

/** C swaps A and B, M cycles the mode, F toggles the full view and Esc leaves it; never while typing. */
function useCompareKeys(ordered: ItemView[]) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingIn(e.target) || e.metaKey || e.ctrlKey || e.altKey) return
      const st = useCompare.getState()
      if (e.key === 'Escape' && st.focused) {
        e.preventDefault()
        st.setFocused(false)
      } else if (!ordered.length) return
      else if (e.key === 'c' || e.key === 'C') swapCompared(ordered)
      else if (e.key === 'm' || e.key === 'M') st.setMode(compareModes[(compareModes.indexOf(st.mode) + 1) % compareModes.length]!)
      else if (e.key === 'f' || e.key === 'F') st.setFocused(!st.focused)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [ordered])
}

export function CompareView() {
  const s = useCompare(useShallow((st) => ({ draft: st.draft, assetId: st.assetId, batchId: st.batchId, starting: st.starting, pair: st.pair, focused: st.focused })))
  const cmp = useCompare.getState()
  const models = useCatalog((st) => st.models)
  const asset = useLibrary((st) => (s.assetId ? st.assets[s.assetId] : undefined))
  const provider = useProvider()
  const settings = useSettings((st) => st.settings)
  const items = useJobs((st) => (s.batchId ? (st.items[s.batchId] ?? noItems) : noItems))
  const batch = useJobs((st) => (s.batchId ? st.batches[s.batchId] : undefined))

  // Gemini vs GPT is the comparison people come for: start from one of each.
  useEffect(() => {
    if (s.draft.models.length || !settings || !models.length) return
    const picks = defaultComparisonModels(models, provider)
    if (picks.length) cmp.setDraft({ models: picks })
  }, [s.draft.models.length, settings, models, provider, cmp])

  const template = useCatalog((st) => st.templates.find((t) => t.id === s.draft.templateId))
  const problem = draftProblem(s.draft, { minModels: 2, needAssets: 1, assets: asset?.ok ? 1 : 0, template })
  const run = () => {
    if (!problem && !s.starting) void cmp.run(provider)
  }
  useRunShortcut(run)

  const ordered = useMemo(() => orderedResults(items, s.pair), [items, s.pair])
  useCompareKeys(ordered)
  const group = batch?.compareGroup
  const verdictBar = group && comparisonFinished(items) && ordered.length >= 2 ? <VerdictBar group={group} ordered={ordered} /> : null

  return (
    <div className="view editor compare" data-testid="compare-view">
      <CompareForm asset={asset} problem={problem} run={run} />
      <section className="stage-area" aria-label="Comparison">
        {items.length ? (
          <>
            <CompareStage ordered={ordered} asset={asset} keyboard={!s.focused} />
            {verdictBar}
            <ResultsTable ordered={ordered} />
          </>
        ) : asset?.ok ? (
          <>
            <ImageViewer panes={[originalPane(asset)]} mode="side-by-side" />
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
          <CompareStage ordered={ordered} asset={asset} />
          {verdictBar}
        </div>
      ) : null}
    </div>
  )
}
