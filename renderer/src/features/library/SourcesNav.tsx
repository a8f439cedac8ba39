import { useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { RootView } from '@shared/views'
import { Icon } from '../../components/Icon'
import { plural } from '../../lib/format'
import { folderTrees, type FolderNode } from './folderTree'
import { useLibrary } from './store'

/** The chevron that shows or hides a folder's subfolders. */
function Disclosure({ open, label, onToggle }: { open: boolean; label: string; onToggle(): void }) {
  return (
    <button type="button" className="icon-btn tree-toggle" aria-expanded={open} aria-label={`${open ? 'Hide' : 'Show'} subfolders of ${label}`} onClick={onToggle}>
      <span className={`chevron${open ? ' open' : ''}`} aria-hidden />
    </button>
  )
}

/** One subfolder row and, when it is open, its own subfolders: clicking shows its images (and theirs). */
function FolderRows({ root, nodes, depth }: { root: RootView; nodes: FolderNode[]; depth: number }) {
  const { rootId, folder, expanded } = useLibrary(useShallow((s) => ({ rootId: s.rootId, folder: s.folder, expanded: s.expanded })))
  const lib = useLibrary.getState()
  return (
    <ul className="folder-tree" role="list">
      {nodes.map((node) => {
        const key = `${root.id}:${node.path}`
        const open = expanded[key] ?? false
        const on = rootId === root.id && folder === node.path
        return (
          <li key={node.path}>
            <div className={`folder-item${on ? ' on' : ''}`} style={{ paddingLeft: depth * 14 }}>
              {node.children.length ? <Disclosure open={open} label={node.name} onToggle={() => lib.toggleExpanded(key, !open)} /> : <span className="tree-spacer" />}
              <button type="button" className="folder-main" aria-current={on || undefined} onClick={() => lib.setRoot(root.id, node.path)} title={`${root.path}/${node.path}`}>
                <Icon name="folder" size={14} />
                <span className="root-name">{node.name}</span>
                {node.problems ? <span className="folder-problems" title={plural(node.problems, 'problem')}>{node.problems}</span> : null}
                <span className="count">{node.count.toLocaleString()}</span>
              </button>
            </div>
            {open && node.children.length ? <FolderRows root={root} nodes={node.children} depth={depth + 1} /> : null}
          </li>
        )
      })}
    </ul>
  )
}

/** "All images" and one entry per added folder or file set, with its subfolders, its counts and a way to remove it. */
export function SourcesNav() {
  const { roots, rootId, folder, loaded, expanded } = useLibrary(useShallow((s) => ({ roots: s.roots, rootId: s.rootId, folder: s.folder, loaded: s.loaded, expanded: s.expanded })))
  const { assets, order } = useLibrary(useShallow((s) => ({ assets: s.assets, order: s.order })))
  const trees = useMemo(() => folderTrees(assets, order), [assets, order])
  const lib = useLibrary.getState()
  return (
    <nav className="roots" aria-label="Sources">
      <div className={`root-item${rootId === null ? ' on' : ''}`}>
        <button type="button" className="root-main" onClick={() => lib.setRoot(null)} aria-current={rootId === null || undefined}>
          <Icon name="library" />
          <span className="root-name">All images</span>
          <span className="count">{order.length.toLocaleString()}</span>
        </button>
      </div>
      {roots.map((r) => {
        const subfolders = trees.get(r.id) ?? []
        // A root's first level of subfolders shows by default; deeper ones open on request.
        const open = expanded[`${r.id}:`] ?? true
        const on = rootId === r.id && !folder
        return (
          <div key={r.id} className="root-group">
            <div className={`root-item${on ? ' on' : ''}${subfolders.length ? ' has-tree' : ''}`}>
              {subfolders.length ? <Disclosure open={open} label={r.name} onToggle={() => lib.toggleExpanded(`${r.id}:`, !open)} /> : null}
              <button type="button" className="root-main" onClick={() => lib.setRoot(r.id)} title={r.path} aria-current={on || undefined}>
                <Icon name={r.kind === 'folder' ? 'folder' : 'file'} />
                <span className="root-name">{r.name}</span>
                <span className="count">{r.counts.total.toLocaleString()}</span>
              </button>
              {r.counts.problems ? <span className="root-problems">{plural(r.counts.problems, 'problem')}</span> : null}
              {r.counts.pending ? <span className="root-pending">{r.counts.pending} inspecting…</span> : null}
              <button type="button" className="icon-btn root-remove" aria-label={`Remove ${r.name} from the library`} title="Remove from library (files stay on disk)" onClick={() => void lib.removeRoot(r.id)}>
                <Icon name="close" size={14} />
              </button>
            </div>
            {open && subfolders.length ? <FolderRows root={r} nodes={subfolders} depth={1} /> : null}
          </div>
        )
      })}
      {roots.length === 0 && loaded ? <p className="hint pad">Folders you add appear here. Pixdesk reads them; it never changes your originals.</p> : null}
    </nav>
  )
}
