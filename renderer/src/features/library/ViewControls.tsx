import { useLibrary } from './store'
import { librarySorts, type LibrarySort, type ThumbSize } from './viewPrefs'

const sortLabels: Record<LibrarySort, string> = {
  name: 'Name',
  date: 'Date modified (newest first)',
  size: 'File size (largest first)',
  problems: 'Problems first'
}

/** Sort order, thumbnail size and framing for the grid; each choice is remembered for next time. */
export function ViewControls() {
  const prefs = useLibrary((s) => s.prefs)
  const lib = useLibrary.getState()
  return (
    <div className="view-controls">
      <label className="sort-field">
        <span className="muted">Sort</span>
        <select aria-label="Sort images by" className="filter-select" value={prefs.sort} onChange={(e) => lib.setPrefs({ sort: e.target.value as LibrarySort })}>
          {librarySorts.map((s) => (
            <option key={s} value={s}>
              {sortLabels[s]}
            </option>
          ))}
        </select>
      </label>
      <div className="segmented small" role="radiogroup" aria-label="Thumbnail size">
        {(['S', 'M', 'L'] as ThumbSize[]).map((size) => (
          <button key={size} type="button" role="radio" aria-checked={prefs.thumbSize === size} className={prefs.thumbSize === size ? 'on' : ''} title={{ S: 'Small thumbnails', M: 'Medium thumbnails', L: 'Large thumbnails' }[size]} onClick={() => lib.setPrefs({ thumbSize: size })}>
            {size}
          </button>
        ))}
      </div>
      <div className="segmented small" role="radiogroup" aria-label="Thumbnail framing">
        <button type="button" role="radio" aria-checked={prefs.fit === 'fit'} className={prefs.fit === 'fit' ? 'on' : ''} title="Show each picture whole" onClick={() => lib.setPrefs({ fit: 'fit' })}>
          Fit
        </button>
        <button type="button" role="radio" aria-checked={prefs.fit === 'fill'} className={prefs.fit === 'fill' ? 'on' : ''} title="Crop each picture to fill its square" onClick={() => lib.setPrefs({ fit: 'fill' })}>
          Fill
        </button>
      </div>
    </div>
  )
}
