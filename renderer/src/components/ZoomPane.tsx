import { useEffect, useRef, type ReactNode } from 'react'
import { TransformComponent, TransformWrapper, type ReactZoomPanPinchRef } from 'react-zoom-pan-pinch'

type Transform = { positionX: number; positionY: number; scale: number }

/** Panes registered in one group move together: zooming into a detail on one shows it on all. */
export class ZoomGroup {
  private panes = new Set<ReactZoomPanPinchRef>()
  private applying = false
  private enabled = true
  setEnabled(on: boolean) {
    this.enabled = on
  }
  add(pane: ReactZoomPanPinchRef) {
    this.panes.add(pane)
    return () => {
      this.panes.delete(pane)
    }
  }
  broadcast(from: ReactZoomPanPinchRef, t: Transform) {
    // setTransform on the others fires their own onTransform: the flag stops the echo.
    if (this.applying || !this.enabled) return
    this.applying = true
    for (const pane of this.panes) if (pane !== from) pane.setTransform(t.positionX, t.positionY, t.scale, 0)
    this.applying = false
  }
  /** Zoom buttons act on one pane and let the group follow; acting on all would fight the sync. */
  drive(fn: (pane: ReactZoomPanPinchRef) => void) {
    if (this.enabled) {
      const first = this.panes.values().next().value
      if (first) fn(first)
    } else for (const pane of this.panes) fn(pane)
  }
}

export function ZoomPane({ group, children, label }: { group?: ZoomGroup; children: ReactNode; label: string }) {
  const ref = useRef<ReactZoomPanPinchRef | null>(null)
  useEffect(() => {
    const pane = ref.current
    if (!group || !pane) return
    return group.add(pane)
  }, [group])
  return (
    <TransformWrapper
      ref={ref}
      minScale={1}
      maxScale={16}
      centerOnInit
      doubleClick={{ mode: 'toggle', step: 1.5 }}
      wheel={{ step: 0.15 }}
      onTransform={(instance, state) => group?.broadcast(instance, state)}
    >
      <TransformComponent wrapperClass="zoom-wrapper" contentClass="zoom-content" wrapperProps={{ 'aria-label': `${label}: scroll to zoom, drag to pan`, role: 'group' }}>
        {children}
      </TransformComponent>
    </TransformWrapper>
  )
}
