import { useEffect, useMemo } from 'react'
import { CommandPalette } from '../components/CommandPalette'
import { ErrorBoundary } from '../components/ErrorBoundary'
import { Icon } from '../components/Icon'
import { useJobs } from '../features/batches/jobsStore'
import { useLibrary } from '../features/library/store'
import { useCatalog } from '../features/settings/catalogStore'
import { FirstRun } from '../features/settings/FirstRun'
import { useKeys } from '../features/settings/keysStore'
import { useSettings } from '../features/settings/store'
import { useAppliedTheme } from '../features/settings/theme'
import { paletteCommands } from './commands'
import { useFileDrop } from './fileDrop'
import { useMenuCommands } from './menuCommands'
import { NetworkBanner } from './NetworkBanner'
import { useGlobalShortcuts } from './shortcuts'
import { Sidebar } from './Sidebar'
import { Toasts } from './Toasts'
import { useUi } from './uiStore'
import { viewRegistry } from './views'
import { useWelcome } from './welcome'

export function App() {
  const view = useUi((s) => s.view)
  const paletteOpen = useUi((s) => s.paletteOpen)
  const settings = useSettings((s) => s.settings)
  const { needsWelcome, skip } = useWelcome()
  const { dragging, handlers } = useFileDrop()
  useMenuCommands()
  useAppliedTheme()

  useEffect(() => {
    void useUi.getState().loadInfo()
    void useSettings.getState().load()
    void useKeys.getState().load()
    void useCatalog.getState().load()
    void useLibrary.getState().load()
    void useJobs.getState().load()
    void useUi.getState().refreshNetwork()
  }, [])
  useGlobalShortcuts()

  const commands = useMemo(() => paletteCommands(settings), [settings])
  const View = viewRegistry[view].component

  return (
    <div className="app-shell" data-testid="app-shell" {...handlers}>
      <Sidebar />
      <main className="main">
        <NetworkBanner />
        <ErrorBoundary resetKey={view}>{needsWelcome ? <FirstRun onSkip={skip} /> : <View />}</ErrorBoundary>
      </main>
      {paletteOpen ? <CommandPalette commands={commands} onClose={() => useUi.getState().setPalette(false)} /> : null}
      {dragging ? (
        <div className="drop-overlay" aria-hidden>
          <Icon name="folder" size={40} />
          Drop folders or images to add them to the library
        </div>
      ) : null}
      <Toasts />
    </div>
  )
}
