import { Component, type ErrorInfo, type ReactNode } from 'react'
import { asError } from '../lib/format'
import { ErrorNotice } from './ErrorNotice'

interface State {
  error: Error | null
}

/**
 * A fault in one view must not take the window with it: the view is replaced by what went wrong and a
 * way back, while navigation and every other view keep working.
 */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, State> {
  override state: State = { error: null }

  static getDerivedStateFromError(error: Error): State {
    return { error }
  }

  override componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null })
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('View failed', error, info.componentStack)
  }

  override render() {
    if (!this.state.error) return this.props.children
    return (
      <div className="view">
        <div className="empty-state">
          <h2>This view ran into a problem</h2>
          <ErrorNotice error={asError(this.state.error)} onRetry={() => this.setState({ error: null })} />
          <p className="muted">Your files and history are not affected. Other views keep working.</p>
        </div>
      </div>
    )
  }
}
