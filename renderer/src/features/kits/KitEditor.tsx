import { useId } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { MAX_REFERENCES, SUGGESTED_REFERENCE_ROLES } from '@shared/references'
import { useUi } from '../../app/uiStore'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { MiddleTruncate } from '../../components/MiddleTruncate'
import { Thumbnail } from '../../components/Thumbnail'
import { plural } from '../../lib/format'
import { useLibrary } from '../library/store'
import { kitFormProblem, useKits, type KitFormImage } from './store'

/** Library images selected now that can be copied into a kit (usable, not in it already). */
function useSelectedForKit(images: readonly KitFormImage[]) {
  const { selected, assets } = useLibrary(useShallow((s) => ({ selected: s.selected, assets: s.assets })))
  const have = new Set(images.map((i) => i.key))
  return selected.flatMap((id) => {
    const asset = assets[id]
    return asset && asset.ok && !have.has(id) ? [{ key: id, source: { assetId: id }, label: asset.name, url: asset.thumbUrl }] : []
  })
}

function ImagesField({ images }: { images: KitFormImage[] }) {
  const store = useKits.getState()
  const rolesId = useId()
  const addable = useSelectedForKit(images)
  const setImages = (next: KitFormImage[]) => store.setForm({ images: next })
  const move = (at: number, by: -1 | 1) => {
    const next = [...images]
    ;[next[at], next[at + by]] = [next[at + by]!, next[at]!]
    setImages(next)
  }
  return (
    <fieldset className="field kit-images">
      <legend className="field-label">Reference images (sent in this order, as image 2, 3, …)</legend>
      {images.length ? (
        <ol className="reference-list">
          {images.map((image, i) => (
            <li key={image.key} className="reference-row" data-testid="kit-form-image">
              <div className="source-chip" title={image.label}>
                <Thumbnail url={image.url} alt={image.label} />
              </div>
              <span className="reference-number">Image {i + 2}</span>
              <MiddleTruncate className="reference-name kit-image-name" text={image.label} />
              <input
                className="reference-role"
                aria-label={`Role of ${image.label}`}
                placeholder="role (optional)"
                list={rolesId}
                maxLength={40}
                value={image.role}
                onChange={(e) => setImages(images.map((other) => (other.key === image.key ? { ...other, role: e.target.value } : other)))}
              />
              <button type="button" className="icon-btn" aria-label={`Move ${image.label} earlier`} disabled={i === 0} onClick={() => move(i, -1)}>
                <Icon name="up" size={12} />
              </button>
              <button type="button" className="icon-btn" aria-label={`Move ${image.label} later`} disabled={i === images.length - 1} onClick={() => move(i, 1)}>
                <Icon name="down" size={12} />
              </button>
              <button type="button" className="icon-btn" aria-label={`Remove ${image.label} from the kit`} onClick={() => setImages(images.filter((other) => other.key !== image.key))}>
                <Icon name="close" size={12} />
              </button>
            </li>
          ))}
        </ol>
      ) : (
        <p className="hint">No images yet.</p>
      )}
      <datalist id={rolesId}>
        {SUGGESTED_REFERENCE_ROLES.map((role) => (
          <option key={role} value={role} />
        ))}
      </datalist>
      <div className="kit-add-row">
        <button type="button" className="btn small" disabled={!addable.length || images.length + addable.length > MAX_REFERENCES} onClick={() => store.addImages(addable)}>
          <Icon name="plus" /> {addable.length ? `Add ${plural(addable.length, 'image')} selected in the library` : 'Add images selected in the library'}
        </button>
        <button type="button" className="btn small" onClick={() => useUi.getState().navigate('library')}>
          Open the library
        </button>
      </div>
      <span className="hint">Select images in the Library, come back here and add them; they are copied into the kit when it is saved. At most {MAX_REFERENCES}.</span>
    </fieldset>
  )
}

function SnippetsField({ snippets }: { snippets: string[] }) {
  const store = useKits.getState()
  return (
    <fieldset className="field kit-snippets-field">
      <legend className="field-label">Prompt snippets (added after the prompt)</legend>
      {snippets.map((snippet, i) => (
        <div key={i} className="kit-snippet-row">
          <textarea aria-label={`Snippet ${i + 1}`} rows={2} maxLength={4000} value={snippet} onChange={(e) => store.setForm({ snippets: snippets.map((s, j) => (j === i ? e.target.value : s)) })} />
          <button type="button" className="icon-btn" aria-label={`Remove snippet ${i + 1}`} onClick={() => store.setForm({ snippets: snippets.filter((_, j) => j !== i) })}>
            <Icon name="close" size={12} />
          </button>
        </div>
      ))}
      <div>
        <button type="button" className="btn small" disabled={snippets.length >= 20} onClick={() => store.setForm({ snippets: [...snippets, ''] })}>
          <Icon name="plus" /> Add a snippet
        </button>
      </div>
      <span className="hint">e.g. “Use Acme red (#cc2222) for accents.” Each snippet is a line added after the prompt of every edit that uses the kit.</span>
    </fieldset>
  )
}

/** A new kit or one being changed: its name, images with roles, and snippets. */
export function KitEditor() {
  const { editing, saving, error } = useKits(useShallow((s) => ({ editing: s.editing, saving: s.saving, error: s.error })))
  const nameId = useId()
  const descriptionId = useId()
  if (!editing) return null
  const { form } = editing
  const store = useKits.getState()
  const problem = kitFormProblem(form)
  return (
    <form
      className="kit-editor"
      aria-label={editing.id ? 'Edit brand kit' : 'New brand kit'}
      onSubmit={(e) => {
        e.preventDefault()
        void store.save()
      }}
    >
      <h2>{editing.id ? 'Edit brand kit' : 'New brand kit'}</h2>
      <label className="field" htmlFor={nameId}>
        <span className="field-label">Name</span>
        <input id={nameId} type="text" maxLength={80} value={form.name} placeholder="e.g. Acme Spring" aria-invalid={error?.field === 'kit' || undefined} onChange={(e) => store.setForm({ name: e.target.value })} />
      </label>
      <label className="field" htmlFor={descriptionId}>
        <span className="field-label">Description (optional)</span>
        <input id={descriptionId} type="text" maxLength={1000} value={form.description} onChange={(e) => store.setForm({ description: e.target.value })} />
      </label>
      <ImagesField images={form.images} />
      <SnippetsField snippets={form.snippets} />
      <ErrorNotice error={error} compact />
      <div className="toolbar kit-actions">
        <button type="submit" className="btn small primary" disabled={Boolean(problem) || saving} title={problem ?? undefined}>
          <Icon name="check" /> {saving ? 'Saving…' : 'Save kit'}
        </button>
        <button type="button" className="btn small" onClick={() => store.cancelEdit()}>
          Cancel
        </button>
        {problem && form.name ? <span className="hint">{problem}</span> : null}
      </div>
    </form>
  )
}
