import { useEffect, useRef } from 'react'
import { typingIn } from '../../lib/keyboard'

interface ViewerKeyActions {
  hold(on: boolean): void
  toggleLens(): void
  zoomBy(factor: number): void
  fit(): void
  actualPixels(): void
  /** Arrow keys on the picture: pan it, or move the lens when it is on. */
  nudge(dx: number, dy: number): void
}

/** Controls where Space means "press me": the viewer leaves Space to them. */
const SPACE_CONTROLS = 'button, a[href], summary, [role="button"], [role="radio"], [role="checkbox"], [role="option"], [role="switch"], [role="tab"], [role="menuitem"]'

/**
 * The viewer's keys, from anywhere in the view but never while typing: hold Space for the before,
 * L the magnifier, + − zoom, 0 fit, 1 100%; arrows pan the picture (or move the lens) when it has
 * the focus or nothing else has.
 */
export function useViewerKeys(enabled: boolean, actions: ViewerKeyActions) {
  const latest = useRef(actions)
  useEffect(() => {
    latest.current = actions
  })
  useEffect(() => {
    if (!enabled) return
    const onDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey || typingIn(e.target)) return
      const target = e.target instanceof Element ? e.target : null
      const onPicture = Boolean(target?.closest('.viewer-surface'))
      const a = latest.current
      if (e.key === ' ') {
        if (!onPicture && target?.closest(SPACE_CONTROLS)) return
        e.preventDefault()
        if (!e.repeat) a.hold(true)
        return
      }
      const arrows: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }
      const arrow = arrows[e.key]
      if (arrow) {
        // Arrows belong to whatever control has the focus; with none (the page itself), to the picture.
        if (!onPicture && target !== document.body && target !== null) return
        const step = e.shiftKey ? 120 : 30
        a.nudge(arrow[0] * step, arrow[1] * step)
      } else if (e.key === 'l' || e.key === 'L') a.toggleLens()
      else if (e.key === '+' || e.key === '=') a.zoomBy(1.5)
      else if (e.key === '-' || e.key === '_') a.zoomBy(1 / 1.5)
      else if (e.key === '0') a.fit()
      else if (e.key === '1') a.actualPixels()
      else return
      e.preventDefault()
    }
    const onUp = (e: KeyboardEvent) => {
      if (e.key === ' ') latest.current.hold(false)
    }
    // A key released while the window was in the background never sends its keyup.
    const onBlur = () => latest.current.hold(false)
    window.addEventListener('keydown', onDown)
    window.addEventListener('keyup', onUp)
    window.addEventListener('blur', onBlur)
    return () => {
      window.removeEventListener('keydown', onDown)
      window.removeEventListener('keyup', onUp)
      window.removeEventListener('blur', onBlur)
    }
  }, [enabled])
}
