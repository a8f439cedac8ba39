import { useState } from 'react'
import type { AppErrorData } from '@shared/errors'
import type { ProviderId } from '@shared/records'
import { Icon } from '../../components/Icon'
import { providerFacts } from '@shared/providers'
import { useKeys } from './keysStore'

/** One provider's key: its state, and saving, testing and deleting it. Also offered on the welcome screen. */
export function KeyRow({ provider }: { provider: ProviderId }) {
  const status = useKeys((s) => s.statuses.find((k) => k.provider === provider))
  const test = useKeys((s) => s.tests[provider])
  const { save, remove, test: runTest } = useKeys.getState()
  const [value, setValue] = useState('')
  const [error, setError] = useState<AppErrorData | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      await save(provider, value)
      // The key leaves the renderer with this call; the field is cleared so it is not kept in the page.
      setValue('')
    } catch (err) {
      setError(err as AppErrorData)
    } finally {
      setBusy(false)
    }
  }
  const onDelete = async () => {
    setBusy(true)
    setError(null)
    try {
      await remove(provider)
    } catch (err) {
      setError(err as AppErrorData)
    } finally {
      setBusy(false)
    }
  }

  const state = !status ? 'Unknown' : status.set ? (status.source === 'environment' ? 'From environment' : `Set · …${status.last4 ?? ''}`) : 'Not set'
  return (
    <div className="key-row" data-testid={`key-${provider}`}>
      <div className="key-head">
        <Icon name="key" />
        <strong>{providerFacts[provider].label}</strong>
        <span className={`pill ${status?.set ? 'good' : 'muted'}`} data-testid={`key-status-${provider}`}>
          {state}
        </span>
        {status?.problem ? <span className="field-error">{status.problem.message}</span> : null}
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <input
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          placeholder={status?.set ? 'Paste a new key to replace it' : 'Paste your API key'}
          aria-label={`${providerFacts[provider].label} API key`}
          aria-invalid={error?.field === 'key' || undefined}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" className="btn primary small" disabled={busy || !value.trim()}>
          {status?.set ? 'Replace' : 'Save'}
        </button>
        <button type="button" className="btn small" disabled={busy || !status?.set} onClick={() => void runTest(provider)}>
          Test
        </button>
        <button type="button" className="btn small danger" disabled={busy || !status?.set || status.source === 'environment'} onClick={() => void onDelete()}>
          Delete
        </button>
      </form>
      {error ? (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      ) : null}
      {test ? (
        'pending' in test ? (
          <span className="hint" role="status">
            Checking the key…
          </span>
        ) : (
          <span className={test.ok ? 'ok-text' : test.checked ? 'field-error' : 'hint'} role="status">
            {test.message}
          </span>
        )
      ) : null}
    </div>
  )
}
