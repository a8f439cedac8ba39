import { useEffect, useId, useState, type DragEvent } from 'react'
import type { KitView } from '@shared/kits'
import { SUGGESTED_REFERENCE_ROLES } from '@shared/references'
import type { AssetView } from '@shared/views'
import { limitLine, referencesProblem, type ReferenceLimit } from '../../lib/referenceLimits'
import { Icon } from '../Icon'
import { MiddleTruncate } from '../MiddleTruncate'
import { Thumbnail } from '../Thumbnail'
import { ASSET_DRAG_TYPE, draggedAssetIds, type ReferencesStore } from './referencesStore'
import './references.css'

interface Props {
  store: ReferencesStore
  assets: Record<string, AssetView>
  kits: readonly KitView[]
  /** The kits have been listed: a chosen kit missing from them was deleted or renamed. */
  kitsLoaded: boolean
  kitsError: string | null
  /** The tightest limit among the chosen models; the tray says it and flags going over it. */
  limit: ReferenceLimit | null
  /** Library images dropped on the tray, after they were added (the editor takes them out of the images edited). */
  onAdded?(assetIds: string[]): void
  hint?: string
}

/** A chosen kit's images (sent first, as image 2, 3, …) and the snippets added after the prompt. */
function KitContents({ kit }: { kit: KitView }) {
  return (
    <div className="kit-contents" data-testid="kit-contents">
      {kit.references.length ? (
        <ol className="reference-list" aria-label={`Images of ${kit.name}`}>
          {kit.references.map((ref, i) => (
            <li key={ref.sha256} className="reference-row" data-testid="kit-reference">
              <div className="source-chip" title={ref.file}>
                <Thumbnail url={ref.url ?? null} alt={ref.file} />
              </div>
              <span className="reference-number">Image {i + 2}</span>
              <MiddleTruncate className="reference-name" text={ref.role ? `${ref.role} · ${ref.file}` : ref.file} />
            </li>
          ))}
        </ol>
      ) : (
        <span className="hint">This kit has no images.</span>
      )}
      {kit.snippets.length ? (
        <ul className="kit-snippets" aria-label={`Snippets ${kit.name} adds`}>
          {kit.snippets.map((snippet) => (
            <li key={snippet} data-testid="kit-snippet">
              {snippet}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  )
}

/**
 * Reference images for an edit or a batch: drop library images here (tiles, a whole selection, or the
 * editor's image chips) and they are sent after the image edited, as image 2, 3, … in this order, with
 * the role typed beside each. A brand kit's images go before these and its snippets after the prompt.
 */
export function ReferencesTray({ store, assets, kits, kitsLoaded, kitsError, limit, onAdded, hint }: Props) {
  const picks = store((s) => s.picks)
  const kitId = store((s) => s.kitId)
  const references = store.getState()
  const [over, setOver] = useState(false)
  const labelId = useId()
  const rolesId = useId()
  const kit = kits.find((k) => k.id === kitId)
  const offset = kit ? kit.references.length : 0
  const problem = referencesProblem(limit, offset + picks.length)
  // A kit deleted or renamed since it was chosen is no longer sent (the main process would refuse it).
  useEffect(() => {
    if (kitsLoaded && kitId && !kit) store.getState().setKit(null)
  }, [kitsLoaded, kitId, kit, store])
  const limitText = limitLine(limit)

  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    // Handled here: the window's own drop handler would take the images for files to import.
    e.stopPropagation()
    setOver(false)
    const ids = draggedAssetIds(e.dataTransfer).filter((id) => assets[id])
    if (!ids.length) return
    references.add(ids)
    onAdded?.(ids)
  }

  return (
    <div className="field references-tray" data-testid="references-tray">
      <span className="field-label" id={labelId}>
        Reference images
      </span>
      <label className="reference-kit">
        <span>Brand kit</span>
        <select value={kitId ?? ''} onChange={(e) => references.setKit(e.target.value || null)} data-testid="brand-kit">
          <option value="">None</option>
          {kits.map((k) => (
            <option key={k.id} value={k.id}>
              {k.name} ({k.references.length} image{k.references.length === 1 ? '' : 's'}
              {k.snippets.length ? `, ${k.snippets.length} snippet${k.snippets.length === 1 ? '' : 's'}` : ''})
            </option>
          ))}
        </select>
      </label>
      {kit ? <KitContents kit={kit} /> : null}
      <div
        className={`reference-drop${over ? ' over' : ''}`}
        role="group"
        aria-labelledby={labelId}
        data-testid="references-drop"
        onDragOver={(e) => {
          if (![...e.dataTransfer.types].includes(ASSET_DRAG_TYPE)) return
          e.preventDefault()
          e.dataTransfer.dropEffect = 'copy'
          setOver(true)
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        {picks.length ? (
          <ol className="reference-list">
            {picks.map((pick, i) => {
              const asset = assets[pick.assetId]
              const name = asset?.name ?? 'image no longer in the library'
              return (
                <li key={pick.assetId} className="reference-row" data-testid="reference-item">
                  <div className="source-chip" title={asset?.relPath ?? name}>
                    <Thumbnail url={asset?.thumbUrl ?? null} alt={name} />
                  </div>
                  <span className="reference-number">Image {i + 2 + offset}</span>
                  <input
                    className="reference-role"
                    aria-label={`Role of ${name}`}
                    placeholder="role (optional)"
                    list={rolesId}
                    maxLength={40}
                    value={pick.role}
                    onChange={(e) => references.setRole(pick.assetId, e.target.value)}
                  />
                  <button type="button" className="icon-btn" aria-label={`Move ${name} earlier`} disabled={i === 0} onClick={() => references.move(pick.assetId, -1)}>
                    <Icon name="up" size={12} />
                  </button>
                  <button type="button" className="icon-btn" aria-label={`Move ${name} later`} disabled={i === picks.length - 1} onClick={() => references.move(pick.assetId, 1)}>
                    <Icon name="down" size={12} />
                  </button>
                  <button type="button" className="icon-btn" aria-label={`Remove reference ${name}`} onClick={() => references.remove(pick.assetId)}>
                    <Icon name="close" size={12} />
                  </button>
                </li>
              )
            })}
          </ol>
        ) : (
          <span className="hint">{hint ?? 'Drag images here from the library to send them as references (style, product, logo, background). The prompt can name them as “image 2”, “image 3”.'}</span>
        )}
        <datalist id={rolesId}>
          {SUGGESTED_REFERENCE_ROLES.map((role) => (
            <option key={role} value={role} />
          ))}
        </datalist>
      </div>
      {kit ? <span className="hint">Kit images go first as image {kit.references.length > 1 ? `2–${kit.references.length + 1}` : '2'}; its snippets are added after the prompt.</span> : null}
      {problem ? (
        <span className="field-error" role="alert" data-testid="references-problem">
          {problem}
        </span>
      ) : limitText ? (
        <span className="hint" data-testid="references-limit">
          {limitText}
        </span>
      ) : null}
      {kitsError ? <span className="hint">{kitsError}</span> : null}
    </div>
  )
}
