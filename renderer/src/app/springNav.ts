import { useEffect, useRef, type DragEvent } from 'react'
import { ASSET_DRAG_TYPE } from '../components/references/referencesStore'
import { useUi, type ViewId } from './uiStore'

/** How long library images must hover over a sidebar entry before its view opens under them. */
const SPRING_DELAY_MS = 450

/**
 * Spring-loaded navigation: library images dragged over a sidebar entry open that view after a moment,
 * so they can be dropped on its references tray (Edit, Batches) without letting go.
 */
export function useSpringLoadedNav() {
  const pending = useRef<{ view: ViewId; timer: ReturnType<typeof setTimeout> } | null>(null)
  const cancel = () => {
    if (pending.current) clearTimeout(pending.current.timer)
    pending.current = null
  }
  useEffect(() => cancel, [])
  return (view: ViewId) => ({
    onDragEnter(e: DragEvent) {
      if (![...e.dataTransfer.types].includes(ASSET_DRAG_TYPE) || pending.current?.view === view) return
      cancel()
      pending.current = {
        view,
        timer: setTimeout(() => {
          pending.current = null
          useUi.getState().navigate(view)
        }, SPRING_DELAY_MS)
      }
    },
    onDragLeave(e: DragEvent) {
      // Moving onto the entry's own icon or label is not leaving it; and the next entry's enter comes
      // before this leave, so only this entry's own wait is cancelled.
      if (e.relatedTarget instanceof Node && e.currentTarget.contains(e.relatedTarget)) return
      if (pending.current?.view === view) cancel()
    }
  })
}
