import type { ReactNode } from 'react'
import type { AppErrorData } from '@shared/errors'
import { ErrorNotice } from './ErrorNotice'

/**
 * A view's title bar: its name, a live count (read out when it changes), and its toolbar, labelled
 * with the view's name unless told otherwise.
 */
export function ViewHeader({ title, status, toolbarLabel, statusTestId, children }: { title: string; status: ReactNode; toolbarLabel?: string; statusTestId?: string; children?: ReactNode }) {
  return (
    <header className="view-header">
      <h1>{title}</h1>
      <span className="muted" role="status" data-testid={statusTestId}>
        {status}
      </span>
      <span className="spacer" />
      {children ? (
        <div className="toolbar" role="toolbar" aria-label={toolbarLabel ?? title}>
          {children}
        </div>
      ) : null}
    </header>
  )
}

/**
 * What a collection view has to say under its title: the last action's outcome, and its error unless
 * a form below shows that error beside its fields.
 */
export function ViewMessages({ notice, error, errorInForm }: { notice: string | null; error: AppErrorData | null; errorInForm?: boolean }) {
  return (
    <>
      {notice ? (
        <p className="ok-text pad" role="status">
          {notice}
        </p>
      ) : null}
      {errorInForm ? null : (
        <div className="pad">
          <ErrorNotice error={error} compact />
        </div>
      )}
    </>
  )
}
