import { Icon } from '../components/Icon'
import { useSettings } from '../features/settings/store'
import { modKey } from '../lib/format'
import { useSpringLoadedNav } from './springNav'
import { useUi } from './uiStore'
import { shortcutLabel, views } from './views'

export function Sidebar() {
  const view = useUi((s) => s.view)
  const info = useUi((s) => s.info)
  const sandbox = useSettings((s) => s.settings?.provider.sandbox ?? false)
  const springLoaded = useSpringLoadedNav()
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark" aria-hidden>
          P
        </span>
        <span className="brand-name">Pixdesk</span>
      </div>
      <ul>
        {views.map((n) => (
          <li key={n.id}>
            <button type="button" className={`nav-item${view === n.id ? ' on' : ''}`} aria-current={view === n.id ? 'page' : undefined} onClick={() => useUi.getState().navigate(n.id)} title={`${n.label} (${shortcutLabel(n, modKey)})`} {...springLoaded(n.id)}>
              <Icon name={n.icon} size={18} />
              <span className="nav-label">{n.label}</span>
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-foot">
        {sandbox ? (
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
  )
}
