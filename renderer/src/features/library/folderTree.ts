import type { AssetView, RootView } from '@shared/views'

/** A folder below an imported folder, as the assets' relative paths describe it. */
export interface FolderNode {
  /** Relative to its root, '/'-separated ("details/close-ups"). */
  path: string
  name: string
  /** Images in it and below it. */
  count: number
  problems: number
  children: FolderNode[]
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/** The folder part of an asset's relative path; '' for a file at the top of its root. */
export function folderOf(relPath: string): string {
  const cut = relPath.lastIndexOf('/')
  return cut < 0 ? '' : relPath.slice(0, cut)
}

/** True when the asset lies in `folder` or below it ('' is the whole root). */
export function inFolder(relPath: string, folder: string): boolean {
  return folder === '' || relPath.startsWith(`${folder}/`)
}

/**
 * Subfolders per root, nested, each with the images it holds (counting its own subfolders). Built from
 * the assets alone: a recursive import needs no extra question to the main process to show its tree.
 */
export function folderTrees(assets: Record<string, AssetView>, order: readonly string[]): Map<string, FolderNode[]> {
  const byRoot = new Map<string, Map<string, FolderNode>>()
  const tops = new Map<string, FolderNode[]>()
  for (const id of order) {
    const asset = assets[id]
    if (!asset) continue
    const folder = folderOf(asset.relPath)
    if (!folder) continue
    let nodes = byRoot.get(asset.rootId)
    if (!nodes) {
      nodes = new Map()
      byRoot.set(asset.rootId, nodes)
      tops.set(asset.rootId, [])
    }
    const parts = folder.split('/')
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = parts.slice(0, depth).join('/')
      let node = nodes.get(path)
      if (!node) {
        node = { path, name: parts[depth - 1] ?? path, count: 0, problems: 0, children: [] }
        nodes.set(path, node)
        const parent = depth === 1 ? tops.get(asset.rootId)! : nodes.get(parts.slice(0, depth - 1).join('/'))!.children
        parent.push(node)
      }
      node.count++
      if (asset.ok === false) node.problems++
    }
  }
  for (const list of tops.values()) sortTree(list)
  return tops
}

function sortTree(nodes: FolderNode[]): void {
  nodes.sort((a, b) => collator.compare(a.name, b.name))
  for (const n of nodes) sortTree(n.children)
}

/** Where an asset lives, for people: the imported folder's path joined with the asset's own folder. */
export function folderLabel(asset: AssetView, root: RootView | undefined): string {
  const folder = folderOf(asset.relPath)
  if (!root) return folder || '—'
  if (root.kind === 'file') {
    const sep = root.path.includes('\\') && !root.path.includes('/') ? '\\' : '/'
    const cut = root.path.lastIndexOf(sep)
    return cut > 0 ? root.path.slice(0, cut) : root.path
  }
  if (!folder) return root.path
  const sep = root.path.includes('\\') && !root.path.includes('/') ? '\\' : '/'
  return `${root.path.replace(/[\\/]+$/, '')}${sep}${folder.split('/').join(sep)}`
}
