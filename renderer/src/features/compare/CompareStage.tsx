import { useShallow } from 'zustand/react/shallow'
import type { AssetView, ItemView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { ItemMeta, ItemPlaceholder } from '../../components/ItemStatus'
import { displayCopyAt } from '../../components/viewer/displayCopy'
import { ImageViewer, type ViewerPane } from '../../components/viewer/ImageViewer'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { useSettings } from '../settings/store'
import { compareModes, letters, stagePairOf, swappedPair } from './selectors'
import { useCompare, type CompareMode } from './store'

const modeLabels: Record<CompareMode, string> = { 'side-by-side': 'Side by side', slider: 'Slider', hold: 'Hold to compare' }

/** The original as it is compared: its display copy, at the largest result's long edge. */
export function originalPane(asset: AssetView, resultLongEdge?: number): ViewerPane {
  return {
    key: 'original',
    kind: 'before',
    url: displayCopyAt(asset.displayUrl ?? asset.originalUrl ?? null, resultLongEdge),
    size: asset.width && asset.height ? { width: asset.width, height: asset.height } : null,
    title: 'Original',
    meta: <span className="muted">{asset.name}</span>
  }
}

function resultPanes(ordered: readonly ItemView[], asset: AssetView | undefined, models: Parameters<typeof modelLabel>[0]): ViewerPane[] {
  const panes: ViewerPane[] = ordered.map((item, i) => {
    const output = item.outputs.find((o) => o.url && !o.missing)
    return {
      key: item.id,
      kind: 'after',
      url: output?.url ?? null,
      size: output ? { width: output.width, height: output.height } : null,
      title: `${letters[i]} · ${modelLabel(models, item.model)}`,
      meta: <ItemMeta item={item} />,
      placeholder: <ItemPlaceholder item={item} />
    }
  })
  const longEdge = Math.max(0, ...ordered.flatMap((item) => item.outputs.map((o) => Math.max(o.width, o.height))))
  if (asset && panes.length) panes.unshift(originalPane(asset, longEdge || undefined))
  return panes
}

/** The slider's two sides: the original or any result on either. */
function PairPicker({ panes, pair }: { panes: ViewerPane[]; pair: [string, string] }) {
  const pick = (side: 0 | 1, key: string) => {
    const other = pair[side === 0 ? 1 : 0]
    // Picking what the other side shows swaps the two rather than showing it twice.
    const next: [string, string] = side === 0 ? [key, other === key ? pair[0] : other] : [other === key ? pair[1] : other, key]
    useCompare.getState().setStagePair(next)
  }
  return (
    <span className="pair-pick">
      {([0, 1] as const).map((side) => (
        <select key={side} aria-label={side === 0 ? 'Left of the slider' : 'Right of the slider'} value={pair[side]} onChange={(e) => pick(side, e.target.value)}>
          {panes.map((pane) => (
            <option key={pane.key} value={pane.key}>
              {pane.title}
            </option>
          ))}
        </select>
      ))}
    </span>
  )
}

/** C swaps A and B, and the slider's sides with them. */
export function swapCompared(ordered: readonly ItemView[]) {
  const st = useCompare.getState()
  st.setPair(swappedPair(ordered))
  if (st.stagePair) st.setStagePair([st.stagePair[1], st.stagePair[0]])
}

/** The results and the original side by side, under a slider or held over each other, zoom kept in step. */
export function CompareStage({ ordered, asset, keyboard = true }: { ordered: ItemView[]; asset: AssetView | undefined; keyboard?: boolean }) {
  const { mode, focused, stagePair } = useCompare(useShallow((st) => ({ mode: st.mode, focused: st.focused, stagePair: st.stagePair })))
  const cmp = useCompare.getState()
  const models = useCatalog((st) => st.models)
  const syncZoom = useSettings((st) => st.settings?.compare.syncZoom ?? true)
  const panes = resultPanes(ordered, asset, models)
  const keys = panes.map((p) => p.key)
  const pair = stagePairOf(stagePair, ordered, keys)
  const pairIndex: [number, number] | undefined = pair ? [keys.indexOf(pair[0]), keys.indexOf(pair[1])] : undefined
  return (
    <ImageViewer
      panes={panes}
      mode={mode}
      pair={pairIndex}
      sync={syncZoom}
      keyboard={keyboard}
      toolbar={
        <>
          <div className="segmented small" role="radiogroup" aria-label="Compare mode">
            {compareModes.map((m) => (
              <button key={m} type="button" role="radio" aria-checked={mode === m} className={mode === m ? 'on' : ''} onClick={() => cmp.setMode(m)} title="Cycle with M">
                {modeLabels[m]}
              </button>
            ))}
          </div>
          {mode !== 'side-by-side' && pair ? <PairPicker panes={panes} pair={pair} /> : null}
          <button type="button" className="btn small" onClick={() => swapCompared(ordered)} title="Swap A and B (C)" disabled={ordered.length < 2}>
            <Icon name="swap" /> Swap <kbd>C</kbd>
          </button>
          <button type="button" className="btn small" onClick={() => cmp.setFocused(!focused)} title="Full window (F); Esc exits">
            <Icon name="fit" /> {focused ? 'Exit full view' : 'Full view'} {focused ? <kbd>Esc</kbd> : <kbd>F</kbd>}
          </button>
        </>
      }
    />
  )
}
