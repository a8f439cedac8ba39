import { useEffect } from 'react'
import { ErrorNotice } from '../../components/ErrorNotice'
import { Toggle, useSave } from './fields'
import { useSettings } from './store'

export function SandboxToggle() {
  const settings = useSettings((s) => s.settings)
  const { save, errors } = useSave()
  const status = useSettings((s) => s.sandbox)
  const on = settings?.provider.sandbox ?? false
  useEffect(() => {
    void useSettings.getState().refreshSandbox()
  }, [on])
  if (!settings) return null
  return (
    <div>
      <Toggle
        label="Sandbox mode"
        testId="sandbox-toggle"
        checked={on}
        onChange={(v) => void save('sandbox', { provider: { sandbox: v } })}
        description="Requests go to a built-in local server that simulates the Pixapi API: no key, no credits, real files and history. Outputs are simulated edits, marked as sandbox in the history."
      />
      {on && status ? <span className="hint">{status.running ? `Sandbox server running${status.url ? ` at ${status.url}` : ''}` : 'Sandbox server starts with the first request'}</span> : null}
      <ErrorNotice error={errors.sandbox} compact />
    </div>
  )
}
