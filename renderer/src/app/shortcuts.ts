import { useEffect } from 'react'
import { copyRequestIdInFocus } from './clipboard'
import { useUi } from './uiStore'
import { viewForShortcut } from './views'

/**
 * Ctrl/Cmd+K toggles the palette; Ctrl/Cmd plus a view's shortcut key opens that view; Ctrl/Cmd+Shift+C
 * copies the request id of the focused or selected request.
 */
export function useGlobalShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.metaKey || e.ctrlKey)) return
      if (e.shiftKey && e.key.toLowerCase() === 'c') {
        e.preventDefault()
        copyRequestIdInFocus()
        return
      }
      if (e.key.toLowerCase() === 'k') {
        e.preventDefault()
        useUi.getState().setPalette(!useUi.getState().paletteOpen)
        return
      }
      const view = viewForShortcut(e.key, e.shiftKey)
      if (view) {
        e.preventDefault()
        useUi.getState().navigate(view)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
