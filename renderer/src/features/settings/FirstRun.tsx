import { useState } from 'react'
import type { AppErrorData } from '@shared/errors'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Icon } from '../../components/Icon'
import { useSettings } from './store'
import { KeyRow } from './KeyRow'

/** Before any key exists: what Pixdesk needs, and a way to try everything without one. */
export function FirstRun({ onSkip }: { onSkip(): void }) {
  const update = useSettings((s) => s.update)
  const [error, setError] = useState<AppErrorData | null>(null)
  const [busy, setBusy] = useState(false)

  const trySandbox = async () => {
    setBusy(true)
    setError(null)
    try {
      await update({ provider: { sandbox: true } })
    } catch (err) {
      setError(err as AppErrorData)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="first-run" data-testid="first-run">
      <div className="first-run-card">
        <div className="brand-mark large" aria-hidden>
          P
        </div>
        <h1>Welcome to Pixdesk</h1>
        <p className="lead">Edit product photos with Gemini and GPT image models, compare them side by side with cost and latency, and run batches you can trust.</p>
        <div className="first-run-options">
          <div className="option">
            <h2>
              <Icon name="key" /> Use your API key
            </h2>
            <p className="muted">A Pixapi key reaches both Gemini and GPT image models. It is stored in your system keychain, never in a file, and never shown again after saving.</p>
            <KeyRow provider="pixapi" />
          </div>
          <div className="option">
            <h2>
              <Icon name="sandbox" /> Try it in the Sandbox
            </h2>
            <p className="muted">No key and no credits: requests go to a built-in simulator that behaves like the real API, so you can import, edit, compare and batch right away.</p>
            <button type="button" className="btn primary" disabled={busy} onClick={() => void trySandbox()}>
              Start in Sandbox mode
            </button>
            <ErrorNotice error={error} compact />
          </div>
        </div>
        <button type="button" className="link-btn" onClick={onSkip}>
          Set up later
        </button>
      </div>
    </div>
  )
}
