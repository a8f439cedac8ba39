import { useEffect, useState } from 'react'
import type { AppInfo } from '@shared/contract'
import { api } from './api'

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null)
  useEffect(() => {
    void api.invoke('app.info', {}).then(setInfo)
  }, [])
  return (
    <div className="app-shell" data-testid="app-shell">
      <header className="titlebar">Pixdesk {info ? <span className="version">v{info.version}</span> : null}</header>
    </div>
  )
}
