import type { AppErrorData } from '@shared/errors'
import { Icon } from './Icon'

/** Shows an error's message where it happened, with its request id when there is one to quote. */
export function ErrorNotice({ error, onRetry, onDismiss, compact }: { error: AppErrorData | null | undefined; onRetry?: () => void; onDismiss?: () => void; compact?: boolean }) {
  if (!error) return null
  return (
    <div className={`error-notice${compact ? ' compact' : ''}`} role="alert">
      <Icon name="warning" />
      <div className="error-body">
        <span className="error-message">{error.message}</span>
        {error.requestId ? <span className="error-meta">Request id {error.requestId}</span> : null}
      </div>
      {onRetry ? (
        <button type="button" className="btn small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
      {onDismiss ? (
        <button type="button" className="icon-btn" aria-label="Dismiss" onClick={onDismiss}>
          <Icon name="close" />
        </button>
      ) : null}
    </div>
  )
}

/** Field-level hint: the same error, but only when it names this field. */
export function FieldError({ error, field }: { error: AppErrorData | null | undefined; field: string }) {
  if (!error || !error.field || !(error.field === field || error.field.startsWith(`${field}.`) || error.field.endsWith(`.${field}`))) return null
  return (
    <span className="field-error" role="alert">
      {error.message}
    </span>
  )
}

export function fieldInvalid(error: AppErrorData | null | undefined, field: string): boolean {
  return Boolean(error?.field && (error.field === field || error.field.startsWith(`${field}.`) || error.field.endsWith(`.${field}`)))
}
