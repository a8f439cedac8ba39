import { useState } from 'react'
import type { AppErrorData } from '@shared/errors'
import { useHistory } from '../features/history/store'
import { Icon } from './Icon'

/** A failed reveal in a few words (the message starts with a path that would fill a narrow place); the full text goes on hover. */
export function revealProblem(error: AppErrorData): string {
  return error.code === 'not_found_file' ? 'No longer on disk: moved or deleted outside Pixdesk' : error.message
}

/**
 * "Show in folder" for one output. The file may have been moved or deleted since the view was drawn:
 * the main process then says so, and the reason is shown right here (or handed to `onError`).
 */
export function RevealButton({ recordId, index, name, text, compact, onError }: { recordId: string | undefined; index: number; name: string; text?: string; compact?: boolean; onError?: (error: AppErrorData | null) => void }) {
  const [error, setError] = useState<AppErrorData | null>(null)
  const [busy, setBusy] = useState(false)
  if (!recordId) return null
  const report = (e: AppErrorData | null) => (onError ? onError(e) : setError(e))
  const reveal = () => {
    setBusy(true)
    useHistory
      .getState()
      .revealOutput(recordId, index)
      .then(
        () => {
          setBusy(false)
          report(null)
        },
        (err: AppErrorData) => {
          setBusy(false)
          report(err)
        }
      )
  }
  const label = `Show ${name} in folder`
  return (
    <span className="reveal">
      {compact ? (
        <button type="button" className="icon-btn" aria-label={label} title={label} disabled={busy} onClick={reveal}>
          <Icon name="folder" />
        </button>
      ) : (
        // The file name is spoken but not shown: the visible words stay part of the accessible name.
        <button type="button" className="btn small" title={label} disabled={busy} onClick={reveal}>
          <Icon name="folder" />{' '}
          {/* One flex item, so the button's gap does not open up where the hidden name sits. */}
          {text ? (
            <span>
              {text}
              <span className="sr-only"> ({name})</span>
            </span>
          ) : (
            <span>
              Show <span className="sr-only">{name} </span>in folder
            </span>
          )}
        </button>
      )}
      {error ? (
        <span className="field-error reveal-error" role="alert" title={error.message}>
          {revealProblem(error)}
        </span>
      ) : null}
    </span>
  )
}
