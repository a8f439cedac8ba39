import { create } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import { api } from '../lib/api'
import { asError } from '../lib/format'
import { useUi } from './uiStore'

/**
 * Copying goes through the main process: the sandboxed window is denied the clipboard permission, the
 * same reason Help → Copy Diagnostics is written there. What was copied last is kept for a moment so
 * the button that did it can say so.
 */
interface ClipboardState {
  /** The text copied last and when, for "Copied" feedback on the button that copied it. */
  last: { text: string; at: number } | null
  /** Copies `text`; `what` names it in the confirmation ("Request id"). Resolves false (and says why) on failure. */
  copy(text: string, what: string): Promise<boolean>
}

export const useClipboard = create<ClipboardState>()((set) => ({
  last: null,
  async copy(text, what) {
    try {
      await api.invoke('clipboard.write', { text })
      set({ last: { text, at: Date.now() } })
      useUi.getState().toast('info', `${what} copied to the clipboard.`)
      return true
    } catch (err) {
      const error: AppErrorData = asError(err)
      useUi.getState().toast('error', `${what} could not be copied: ${error.message}`)
      return false
    }
  }
}))

/** Rows and panels that stand for one request carry its id here, for the copy shortcut. */
const REQUEST_ID_ATTRIBUTE = 'data-copy-request-id'

/**
 * The request id the copy shortcut means: the one of the row or panel holding the keyboard focus, else
 * of the selected one (History's open entry).
 */
export function requestIdInFocus(doc: Document = document): string | null {
  const focused = doc.activeElement?.closest(`[${REQUEST_ID_ATTRIBUTE}]`)
  const holder = focused ?? doc.querySelector(`[${REQUEST_ID_ATTRIBUTE}][data-selected="true"]`)
  return holder?.getAttribute(REQUEST_ID_ATTRIBUTE) || null
}

/** Ctrl/Cmd+Shift+C: copies the request id of the focused or selected request, or says there is none. */
export function copyRequestIdInFocus(): void {
  const id = requestIdInFocus()
  if (id) void useClipboard.getState().copy(id, `Request id ${id}`)
  else useUi.getState().toast('warning', 'No request id here: focus or select a request that has one, then press the shortcut again.')
}
