import { useShallow } from 'zustand/react/shallow'
import type { AssetView, ItemView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { ImageStage, type StagePane } from '../../components/ImageStage'
import { ItemMeta, ItemPlaceholder } from '../../components/ItemStatus'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import { useSettings } from '../settings/store'
import { letters, pairAfterPick, swappedPair } from './selectors'
import { useCompare } from './store'

function resultPanes(ordered: readonly ItemView[], asset: AssetView | undefined, models: Parameters<typeof modelLabel>[0]): StagePane[] {
  const panes: StagePane[] = ordered.map((item, i) => ({
    key: item.id,
    url: item.outputs.find((o) => o.url && !o.missing)?.url ?? null,
    title: `${letters[i]} · ${modelLabel(models, item.model)}`,
    meta: <ItemMeta item={item} />,
    placeholder: <ItemPlaceholder item={item} />
  }))
  if (asset && panes.length) panes.unshift({ key: 'original', url: asset.originalUrl ?? asset.thumbUrl, title: 'Original', meta: <span className="muted">{asset.name}</span> })
  return panes
}

/** With more than two results, the slider's two sides are chosen here. */
function PairPicker({ ordered, items }: { ordered: ItemView[]; items: ItemView[] }) {
  const models = useCatalog((st) => st.models)
  return (
    <span className="pair-pick">
      {([0, 1] as const).map((side) => (
        <select key={side} aria-label={side === 0 ? 'Left of the slider' : 'Right of the slider'} value={ordered[side]?.id ?? ''} onChange={(e) => useCompare.getState().setPair(pairAfterPick(ordered, side, e.target.value))}>
          {items.map((item) => (
            <option key={item.id} value={item.id}>
              {modelLabel(models, item.model)}
            </option>
          ))}
        </select>
      ))}
    </span>
  )
}

/** The results side by side or under a slider, with the original beside them and zoom kept in step. */
export function CompareStage({ ordered, items, asset }: { ordered: ItemView[]; items: ItemView[]; asset: AssetView | undefined }) {
  const { mode, focused } = useCompare(useShallow((st) => ({ mode: st.mode, focused: st.focused })))
  const cmp = useCompare.getState()
  const models = useCatalog((st) => st.models)
  const syncZoom = useSettings((st) => st.settings?.compare.syncZoom ?? true)
  const panes = resultPanes(ordered, asset, models)
  return (
    <ImageStage
      panes={mode === 'slider' ? panes.filter((p) => p.key !== 'original') : panes}
      mode={mode}
      pair={[0, 1]}
      sync={syncZoom}
      toolbar={
        <>
          <div className="segmented small" role="radiogroup" aria-label="Compare mode">
            {(['side-by-side', 'slider'] as const).map((m) => (
              <button key={m} type="button" role="radio" aria-checked={mode === m} className={mode === m ? 'on' : ''} onClick={() => cmp.setMode(m)} title="Cycle with M">
                {m === 'slider' ? 'Slider' : 'Side by side'}
              </button>
            ))}
          </div>
          {mode === 'slider' && ordered.length > 2 ? <PairPicker ordered={ordered} items={items} /> : null}
          <button type="button" className="btn small" onClick={() => cmp.setPair(swappedPair(ordered))} title="Swap A and B (C)" disabled={ordered.length < 2}>
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
