import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type DragEvent, type KeyboardEvent, type MouseEvent, type RefObject } from 'react'
import type { AssetView } from '@shared/views'
import { formatBytes } from '../lib/format'
import { MiddleTruncate } from './MiddleTruncate'
import { Thumbnail } from './Thumbnail'

const TILE = 168
const GAP = 12
const CAPTION = 44

interface Props {
  assets: AssetView[]
  selected: ReadonlySet<string>
  focusedId: string | null
  label: string
  onSelect(ids: string[], focused: string): void
  onOpen(asset: AssetView): void
  /** Tile width in px (168 by default). */
  tileSize?: number
  /** Crop pictures to fill their square instead of showing them whole. */
  fill?: boolean
  /** Makes tiles draggable: fills the drag's data for the tile the drag started on. */
  onDragTile?(asset: AssetView, data: DataTransfer): void
}

/** The element's content width, kept current as it resizes. */
function useContentWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0)
  useLayoutEffect(() => {
    const el = ref.current
    if (!el) return
    const observer = new ResizeObserver(([entry]) => setWidth(entry?.contentRect.width ?? 0))
    observer.observe(el)
    setWidth(el.clientWidth)
    return () => observer.disconnect()
  }, [ref])
  return width
}

/** Where an arrow, Home or End key moves the focus in a grid of `columns`; null for any other key. */
function arrowTarget(key: string, current: number, columns: number, count: number): number | null {
  const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns, Home: -current, End: count - 1 - current }
  const move = moves[key]
  return move === undefined ? null : Math.min(count - 1, Math.max(0, current + move))
}

/**
 * Virtualised rows of fixed-size tiles: only the visible rows exist in the DOM, so ten thousand images
 * scroll like ten. Focus stays on the grid itself (aria-activedescendant), which survives rows being
 * recycled as they scroll out.
 */
export function ThumbnailGrid({ assets, selected, focusedId, label, onSelect, onOpen, tileSize = TILE, fill = false, onDragTile }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null)
  const width = useContentWidth(scrollRef)
  const anchor = useRef<number | null>(null)

  const columns = Math.max(1, Math.floor((width - GAP + GAP) / (tileSize + GAP)))
  const rows = Math.ceil(assets.length / columns)
  // TanStack's virtualizer returns functions React Compiler must not memoise; it is used as documented.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => tileSize + CAPTION + GAP,
    overscan: 4
  })
  // Row heights follow the tile size: measured again when it changes, so rows never overlap.
  useEffect(() => virtualizer.measure(), [tileSize, virtualizer])

  const focusIndex = focusedId ? assets.findIndex((a) => a.id === focusedId) : -1

  useEffect(() => {
    if (focusIndex >= 0) virtualizer.scrollToIndex(Math.floor(focusIndex / columns), { align: 'auto' })
  }, [focusIndex, columns, virtualizer])

  const choose = useCallback(
    (index: number, event: { shiftKey: boolean; metaKey: boolean; ctrlKey: boolean }) => {
      const asset = assets[index]
      if (!asset) return
      if (event.shiftKey && anchor.current !== null) {
        const [a, b] = [Math.min(anchor.current, index), Math.max(anchor.current, index)]
        onSelect(assets.slice(a, b + 1).map((x) => x.id), asset.id)
        return
      }
      anchor.current = index
      if (event.metaKey || event.ctrlKey) {
        const next = new Set(selected)
        if (next.has(asset.id)) next.delete(asset.id)
        else next.add(asset.id)
        onSelect([...next], asset.id)
      } else onSelect([asset.id], asset.id)
    },
    [assets, onSelect, selected]
  )

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!assets.length) return
    const current = focusIndex < 0 ? 0 : focusIndex
    const next = arrowTarget(event.key, current, columns, assets.length)
    if (next !== null) {
      event.preventDefault()
      choose(next, { shiftKey: event.shiftKey, metaKey: false, ctrlKey: false })
      return
    }
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'a') {
      event.preventDefault()
      onSelect(
        assets.map((a) => a.id),
        assets[current]!.id
      )
    } else if (event.key === ' ') {
      event.preventDefault()
      choose(current, { shiftKey: false, metaKey: true, ctrlKey: true })
    } else if (event.key === 'Enter' && assets[current]) {
      event.preventDefault()
      onOpen(assets[current])
    }
  }

  return (
    <div
      ref={scrollRef}
      className={`thumb-grid${fill ? ' fill' : ''}`}
      role="listbox"
      aria-label={label}
      aria-multiselectable="true"
      tabIndex={0}
      aria-activedescendant={focusedId ? `asset-${focusedId}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div key={row.key} className="thumb-row" style={{ transform: `translateY(${row.start}px)`, gap: GAP }}>
            {assets.slice(row.index * columns, row.index * columns + columns).map((asset, i) => (
              <Tile
                key={asset.id}
                asset={asset}
                index={row.index * columns + i}
                width={tileSize}
                selected={selected.has(asset.id)}
                focused={asset.id === focusedId}
                onChoose={choose}
                onOpen={onOpen}
                onDragTile={onDragTile}
              />
            ))}
          </div>
        ))}
      </div>
    </div>
  )
}

const Tile = memo(function Tile({
  asset,
  index,
  width,
  selected,
  focused,
  onChoose,
  onOpen,
  onDragTile
}: {
  asset: AssetView
  index: number
  width: number
  selected: boolean
  focused: boolean
  onChoose(index: number, event: MouseEvent): void
  onOpen(asset: AssetView): void
  onDragTile?(asset: AssetView, data: DataTransfer): void
}) {
  const onDragStart = (e: DragEvent) => {
    // Only what the grid's owner puts in: not the picture's own URL or file, which the window would import.
    e.dataTransfer.clearData()
    onDragTile?.(asset, e.dataTransfer)
  }
  const detail = asset.ok === false ? (asset.error?.message ?? 'Cannot be used') : asset.width && asset.height ? `${asset.width}×${asset.height} · ${formatBytes(asset.bytes)}` : asset.ok === null ? 'Inspecting…' : formatBytes(asset.bytes)
  return (
    <div
      id={`asset-${asset.id}`}
      role="option"
      aria-selected={selected}
      className={`tile${selected ? ' selected' : ''}${focused ? ' focused' : ''}${asset.ok === false ? ' problem' : ''}`}
      style={{ width }}
      onClick={(e) => onChoose(index, e)}
      onDoubleClick={() => onOpen(asset)}
      title={asset.ok === false && asset.error ? `${asset.relPath}\n${asset.error.message}` : asset.relPath}
      data-testid="asset-tile"
      draggable={onDragTile ? true : undefined}
      onDragStart={onDragTile ? onDragStart : undefined}
    >
      <Thumbnail url={asset.thumbUrl} alt={asset.name} problem={asset.ok === false} pending={asset.ok === null} alpha={asset.alpha} />
      <div className="tile-caption">
        <MiddleTruncate className="tile-name" text={asset.name} focusable={false} />
        <span className={`tile-detail${asset.ok === false ? ' problem-text' : ''}`}>{detail}</span>
      </div>
    </div>
  )
})
