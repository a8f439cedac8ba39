import { useCallback, useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { AssetView, RootView } from '@shared/views'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { Thumbnail } from '../../components/Thumbnail'
import { ASSET_DRAG_TYPE } from '../../components/references/referencesStore'
import { ThumbnailGrid } from '../../components/ThumbnailGrid'
import { formatBytes, formatDateTime, plural } from '../../lib/format'
import { folderLabel } from './folderTree'
import { openInBatch, openInCompare, openInEditor } from './openIn'
import { importProgress, problemCount, usableSelection } from './selectors'
import { SourcesNav } from './SourcesNav'
import { useLibrary, visibleAssets, type AssetFilter } from './store'
import { ViewControls } from './ViewControls'
import { thumbSizes } from './viewPrefs'
import './library.css'

function Inspector({ asset, root }: { asset: AssetView | undefined; root: RootView | undefined }) {
  if (!asset) {
    return (
      <aside id="library-details" className="inspector empty-inspector" aria-label="Image details">
        Select an image to see its details.
      </aside>
    )
  }
  return (
    <aside id="library-details" className="inspector" aria-label="Image details">
      <div className="inspector-preview">
        <Thumbnail key={asset.id} url={asset.thumbUrl} alt={asset.name} problem={asset.ok === false} pending={asset.ok === null} alpha={asset.alpha} />
      </div>
      <h2 className="inspector-title" title={asset.relPath}>
        {asset.name}
      </h2>
      {asset.ok === false ? (
        <div className="problem-box" role="note">
          <Icon name="warning" />
          <span>{asset.error?.message ?? 'This file cannot be used.'}</span>
        </div>
      ) : null}
      <dl className="meta-list">
        <dt>Folder</dt>
        <dd data-testid="details-folder">{folderLabel(asset, root)}</dd>
        <dt>Format</dt>
        <dd>{asset.format?.toUpperCase() ?? '—'}</dd>
        <dt>Size</dt>
        <dd>{asset.width && asset.height ? `${asset.width} × ${asset.height}` : '—'}</dd>
        <dt>File</dt>
        <dd>{formatBytes(asset.bytes)}</dd>
        <dt>Modified</dt>
        <dd>{formatDateTime(asset.modifiedAt)}</dd>
      </dl>
      {asset.ok ? (
        <div className="inspector-actions">
          <button type="button" className="btn primary" onClick={() => openInEditor([asset.id])}>
            <Icon name="edit" /> Edit
          </button>
          <button type="button" className="btn" onClick={() => openInCompare(asset.id)}>
            <Icon name="compare" /> Compare models
          </button>
        </div>
      ) : null}
    </aside>
  )
}

/** Show all, ready or problem images, filter by name, and act on the selection. */
function LibraryFilters() {
  const { roots, filter, search, selected, progress } = useLibrary(useShallow((s) => ({ roots: s.roots, filter: s.filter, search: s.search, selected: s.selected, progress: s.progress })))
  const assetsMap = useLibrary((s) => s.assets)
  const lib = useLibrary.getState()
  const usable = usableSelection(selected, assetsMap)
  const importing = importProgress(progress)
  const problems = problemCount(roots)
  return (
    <div className="library-filters">
      <div className="segmented small" role="radiogroup" aria-label="Show">
        {(
          [
            ['all', 'All'],
            ['ok', 'Ready'],
            ['problems', `Problems${problems ? ` (${problems})` : ''}`]
          ] as Array<[AssetFilter, string]>
        ).map(([value, label]) => (
          <button key={value} type="button" role="radio" aria-checked={filter === value} className={filter === value ? 'on' : ''} onClick={() => lib.setFilter(value)}>
            {label}
          </button>
        ))}
      </div>
      <label className="search">
        <Icon name="search" />
        <input type="search" placeholder="Filter by name" aria-label="Filter images by name" value={search} onChange={(e) => lib.setSearch(e.target.value)} />
      </label>
      <span className="spacer" />
      {importing.running ? (
        <span className="import-progress" role="status">
          <span className="thumb-spinner small" /> Importing… {importing.inspected} of {importing.scanned} checked
        </span>
      ) : null}
      {selected.length ? (
        <div className="selection-actions" role="toolbar" aria-label="Selection">
          <span className="muted">{plural(selected.length, 'selected', 'selected')}</span>
          <button type="button" className="btn small primary" disabled={!usable.length} onClick={() => openInEditor(usable.slice(0, 16))}>
            Edit
          </button>
          <button type="button" className="btn small" disabled={usable.length !== 1} onClick={() => openInCompare(usable[0]!)}>
            Compare
          </button>
          {/* The whole selection: the batch form says which images will be skipped and why, rather than dropping them unseen. */}
          <button type="button" className="btn small" disabled={!usable.length} onClick={() => openInBatch(selected)}>
            Batch…
          </button>
        </div>
      ) : null}
    </div>
  )
}

function EmptyLibrary() {
  const loaded = useLibrary((s) => s.loaded)
  const empty = useLibrary((s) => s.order.length === 0)
  const lib = useLibrary.getState()
  return (
    <div className="empty-state">
      {!loaded ? (
        <p className="muted">Loading the library…</p>
      ) : empty ? (
        <>
          <Icon name="library" size={40} />
          <h2>Add your photos</h2>
          <p className="muted">Add a folder (subfolders included) or a few files, or drop or paste images anywhere in the window. Pixdesk checks each image and tells you if one cannot be sent to a model, and why.</p>
          <div className="toolbar">
            <button type="button" className="btn primary" onClick={() => void lib.pick('folders')}>
              <Icon name="folder" /> Add folder
            </button>
            <button type="button" className="btn" onClick={() => void lib.pick('files')}>
              Add files
            </button>
          </div>
        </>
      ) : (
        <p className="muted">No image matches this view.</p>
      )}
    </div>
  )
}

export function LibraryView() {
  const { rootId, folder, filter, search, selected, focused, busy, error, prefs, roots } = useLibrary(
    useShallow((s) => ({ rootId: s.rootId, folder: s.folder, filter: s.filter, search: s.search, selected: s.selected, focused: s.focused, busy: s.busy, error: s.error, prefs: s.prefs, roots: s.roots }))
  )
  const assetsMap = useLibrary((s) => s.assets)
  const order = useLibrary((s) => s.order)
  const lib = useLibrary.getState()
  const sort = prefs.sort
  const visible = useMemo(() => visibleAssets({ assets: assetsMap, order, rootId, folder, filter, search, sort }), [assetsMap, order, rootId, folder, filter, search, sort])
  const focusedAsset = focused ? assetsMap[focused] : undefined
  const selectedSet = useMemo(() => new Set(selected), [selected])

  const onSelect = useCallback((ids: string[], focusId: string) => {
    useLibrary.setState({ selected: ids, focused: focusId })
  }, [])
  const onOpen = useCallback((asset: AssetView) => {
    if (asset.ok) openInEditor([asset.id])
  }, [])
  /** A tile of the selection carries the whole selection (its usable images, in order); any other tile itself. */
  const dragAssets = useCallback((asset: AssetView, data: DataTransfer) => {
    const { selected: chosen, assets } = useLibrary.getState()
    const ids = chosen.includes(asset.id) ? usableSelection(chosen, assets) : asset.ok ? [asset.id] : []
    if (!ids.length) return
    data.setData(ASSET_DRAG_TYPE, ids.join('\n'))
    data.effectAllowed = 'copy'
  }, [])

  return (
    <div className="view library" data-testid="library-view">
      <header className="view-header">
        <h1>Library</h1>
        <ViewControls />
        <button
          type="button"
          className={`btn details-toggle${prefs.detailsOpen ? ' on' : ''}`}
          aria-expanded={prefs.detailsOpen}
          aria-controls={prefs.detailsOpen ? 'library-details' : undefined}
          title={prefs.detailsOpen ? 'Hide the details panel' : 'Show the details panel'}
          onClick={() => lib.setPrefs({ detailsOpen: !prefs.detailsOpen })}
        >
          Details
        </button>
        <div className="toolbar" role="toolbar" aria-label="Import">
          <button type="button" className="btn" disabled={busy} onClick={() => void lib.pick('folders')}>
            <Icon name="folder" /> Add folder
          </button>
          <button type="button" className="btn" disabled={busy} onClick={() => void lib.pick('files')}>
            <Icon name="file" /> Add files
          </button>
        </div>
      </header>
      <ErrorNotice error={error} onDismiss={() => useLibrary.setState({ error: null })} />
      <div className={`library-body ${prefs.detailsOpen ? 'with-details' : 'without-details'}`}>
        <SourcesNav />
        <section className="library-main">
          <LibraryFilters />
          {visible.length ? (
            <ThumbnailGrid assets={visible} selected={selectedSet} focusedId={focused} label="Images" onSelect={onSelect} onOpen={onOpen} tileSize={thumbSizes[prefs.thumbSize]} fill={prefs.fit === 'fill'} onDragTile={dragAssets} />
          ) : (
            <EmptyLibrary />
          )}
        </section>
        {prefs.detailsOpen ? <Inspector asset={focusedAsset} root={roots.find((r) => r.id === focusedAsset?.rootId)} /> : null}
      </div>
    </div>
  )
}
