import { useEffect, useState, type DragEvent } from 'react'
import { useShallow } from 'zustand/react/shallow'
import '../../components/references.css'
import { SUGGESTED_REFERENCE_ROLES } from '@shared/references'
import { Icon } from '../../components/Icon'
import { Thumbnail } from '../../components/Thumbnail'
import { useLibrary } from '../library/store'
import { ASSET_DRAG_TYPE, useReferences } from './referencesStore'
import { useEditor } from './store'

/**
 * Reference images for the edit: drop an image chip here (an image picked in the library) and it is
 * sent after the image edited, as image 2, 3, … in this order, with the role typed beside it. A brand
 * kit's references go before these and its snippets after the prompt.
 */
export function ReferencesTray() {
  const { picks, kitId, kits, kitsLoaded } = useReferences(useShallow((s) => ({ picks: s.picks, kitId: s.kitId, kits: s.kits, kitsLoaded: s.kitsLoaded })))
  const references = useReferences.getState()
  const assets = useLibrary((s) => s.assets)
  const [over, setOver] = useState(false)
  const [kitsError, setKitsError] = useState<string | null>(null)
  const kit = kits.find((k) => k.id === kitId)
  const offset = kit ? kit.references.length : 0

  useEffect(() => {
    if (!kitsLoaded) references.loadKits().catch((err: unknown) => setKitsError(err instanceof Error ? err.message : 'Brand kits could not be read.'))
  }, [kitsLoaded, references])

  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    const assetId = e.dataTransfer.getData(ASSET_DRAG_TYPE)
    if (!assetId || !assets[assetId]) return
    references.add([assetId])
    // An image made a reference is no longer one of the images edited.
    const editor = useEditor.getState()
    if (editor.assetIds.includes(assetId)) editor.setAssets(editor.assetIds.filter((id) => id !== assetId))
  }

  return (
    <div className="field references-tray" data-testid="references-tray">
      <span className="field-label" id="references-label">
        Reference images
      </span>
      <div
        className={`reference-drop${over ? ' over' : ''}`}
        role="group"
        aria-labelledby="references-label"
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
                    list="reference-roles"
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
          <span className="hint">Drag an image here to send it as a reference (style, product, logo, background). The prompt can name it as “image 2”.</span>
        )}
        <datalist id="reference-roles">
          {SUGGESTED_REFERENCE_ROLES.map((role) => (
            <option key={role} value={role} />
          ))}
        </datalist>
      </div>
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
      {kit ? <span className="hint">Kit images go first as image {kit.references.length > 1 ? `2–${kit.references.length + 1}` : '2'}; its snippets are added after the prompt.</span> : null}
      {kitsError ? <span className="hint">{kitsError}</span> : null}
    </div>
  )
}
