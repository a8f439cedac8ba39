import { useEffect, useMemo, useState, type DragEvent } from 'react'
import type { AppInfo } from '@shared/contract'
import { api } from './api'
import { CommandPalette, type Command } from './components/CommandPalette'
import { ErrorBoundary } from './components/ErrorBoundary'
import { Icon, type IconName } from './components/Icon'
import { NetworkBanner } from './components/NetworkBanner'
import { Toasts } from './components/Toasts'
import { modKey } from './lib/format'
import { useMenuCommands } from './lib/menuCommands'
import { useBatchForm } from './stores/batchForm'
import { useCatalog } from './stores/catalog'
import { useCompare } from './stores/compare'
import { useEditor } from './stores/editor'
import { useJobs } from './stores/jobs'
import { anyKeySet, useKeys } from './stores/keys'
import { useLibrary } from './stores/library'
import { useSettings } from './stores/settings'
import { useUi, type ViewId } from './stores/ui'
import { BatchesView } from './views/Batches'
import { CompareView } from './views/Compare'
import { EditorView } from './views/Editor'
import { FirstRun } from './views/FirstRun'
import { HistoryView } from './views/History'
import { LibraryView } from './views/Library'
import { SettingsView } from './views/Settings'

const nav: Array<{ id: ViewId; label: string; icon: IconName }> = [
  { id: 'library', label: 'Library', icon: 'library' },
  { id: 'editor', label: 'Edit', icon: 'edit' },
  { id: 'compare', label: 'Compare', icon: 'compare' },
  { id: 'batches', label: 'Batches', icon: 'batches' },
  { id: 'history', label: 'History', icon: 'history' },
  { id: 'settings', label: 'Settings', icon: 'settings' }
]

/** Dropped or pasted files go to the library; folders need the desktop app, which knows their paths. */
function importDropped(files: FileList | null | undefined) {
  if (!files?.length) return
  useUi.getState().navigate('library')
  void useLibrary
    .getState()
    .importFiles([...files])
    .then(({ added, refused }) => {
      for (const reason of refused) useUi.getState().toast('error', reason)
      if (added) useUi.getState().toast('info', `${added === 1 ? 'One image' : `${added} images`} added to the library.`)
    })
}

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null)
  const view = useUi((s) => s.view)
  const paletteOpen = useUi((s) => s.paletteOpen)
  const settings = useSettings((s) => s.settings)
  const keys = useKeys((s) => s.statuses)
  const keysLoaded = useKeys((s) => s.loaded)
  const keysError = useKeys((s) => s.error)
  // Decided once, when settings and keys are first known: deleting a key later must not throw the user
  // out of Settings into the welcome screen.
  const [welcome, setWelcome] = useState<boolean | null>(null)
  const [dragging, setDragging] = useState(false)
  useMenuCommands()

  useEffect(() => {
    void api.invoke('app.info', {}).then(setInfo, () => undefined)
    void useSettings.getState().load()
    void useKeys.getState().load()
    void useCatalog.getState().load()
    void useLibrary.getState().load()
    void useJobs.getState().load()
    void useUi.getState().refreshNetwork()
  }, [])

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.metaKey || e.ctrlKey
      if (mod && e.key.toLowerCase() === 'k') {
        e.preventDefault()
        useUi.getState().setPalette(!useUi.getState().paletteOpen)
      } else if (mod && /^[1-6]$/.test(e.key)) {
        e.preventDefault()
        useUi.getState().navigate(nav[Number(e.key) - 1]!.id)
      }
    }
    const onPaste = (e: ClipboardEvent) => {
      if (e.clipboardData?.files.length) {
        e.preventDefault()
        importDropped(e.clipboardData.files)
      }
    }
    window.addEventListener('keydown', onKey)
    window.addEventListener('paste', onPaste)
    return () => {
      window.removeEventListener('keydown', onKey)
      window.removeEventListener('paste', onPaste)
    }
  }, [])

  const commands = useMemo<Command[]>(() => {
    const go = nav.map((n, i) => ({ id: `go-${n.id}`, title: `Go to ${n.label}`, hint: `${modKey}+${i + 1}`, run: () => useUi.getState().navigate(n.id) }))
    const provider = settings?.provider.active ?? 'pixapi'
    return [
      ...go,
      { id: 'add-folder', title: 'Add folder to library', run: () => void useLibrary.getState().pick('folders') },
      { id: 'add-files', title: 'Add files to library', run: () => void useLibrary.getState().pick('files') },
      { id: 'run-edit', title: 'Run edit', hint: `${modKey}+Enter`, run: () => void useEditor.getState().run(provider) },
      { id: 'run-compare', title: 'Run comparison', run: () => void useCompare.getState().run(provider) },
      {
        id: 'new-batch',
        title: 'New batch from selection',
        run: () => {
          useBatchForm.getState().setAssets(useLibrary.getState().selected)
          useBatchForm.getState().setOpen(true)
          useUi.getState().navigate('batches')
        }
      },
      {
        id: 'sandbox',
        title: settings?.provider.sandbox ? 'Turn Sandbox mode off' : 'Turn Sandbox mode on',
        run: () => void useSettings.getState().update({ provider: { sandbox: !settings?.provider.sandbox } }).catch((err: { message: string }) => useUi.getState().toast('error', err.message))
      }
    ]
  }, [settings])

  const ready = settings !== null && keysLoaded
  if (welcome === null && ready) setWelcome(!keysError && !anyKeySet(keys) && !settings.provider.sandbox)
  if (welcome === true && ready && (anyKeySet(keys) || settings.provider.sandbox)) setWelcome(false)
  const needsWelcome = welcome === true

  const onDragOver = (e: DragEvent) => {
    if ([...e.dataTransfer.types].includes('Files')) {
      e.preventDefault()
      setDragging(true)
    }
  }
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    importDropped(e.dataTransfer.files)
  }

  return (
    <div className="app-shell" data-testid="app-shell" onDragOver={onDragOver} onDragLeave={(e) => e.currentTarget === e.target && setDragging(false)} onDrop={onDrop}>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden>
            P
          </span>
          <span className="brand-name">Pixdesk</span>
        </div>
        <ul>
          {nav.map((n, i) => (
            <li key={n.id}>
              <button type="button" className={`nav-item${view === n.id ? ' on' : ''}`} aria-current={view === n.id ? 'page' : undefined} onClick={() => useUi.getState().navigate(n.id)} title={`${n.label} (${modKey}+${i + 1})`}>
                <Icon name={n.icon} size={18} />
                <span className="nav-label">{n.label}</span>
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          {settings?.provider.sandbox ? (
            <button type="button" className="pill warn sandbox-pill" onClick={() => useUi.getState().navigate('settings')} title="Sandbox mode: requests go to the built-in simulator">
              <Icon name="sandbox" size={14} />
              <span className="sandbox-label">Sandbox</span>
            </button>
          ) : null}
          <button type="button" className="palette-hint" title={`Commands (${modKey} K)`} onClick={() => useUi.getState().setPalette(true)}>
            <Icon name="search" /> <span className="palette-label">Commands</span> <kbd>{modKey} K</kbd>
          </button>
          <span className="version">{info ? `v${info.version}` : ''}</span>
        </div>
      </nav>
      <main className="main">
        <NetworkBanner />
        <ErrorBoundary resetKey={view}>
          {needsWelcome ? (
            <FirstRun onSkip={() => setWelcome(false)} />
          ) : view === 'library' ? (
            <LibraryView />
          ) : view === 'editor' ? (
            <EditorView />
          ) : view === 'compare' ? (
            <CompareView />
          ) : view === 'batches' ? (
            <BatchesView />
          ) : view === 'history' ? (
            <HistoryView />
          ) : (
            <SettingsView />
          )}
        </ErrorBoundary>
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
