import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { basename, join, relative, isAbsolute, sep } from 'node:path'

export type ScanItem = { kind: 'file'; path: string } | { kind: 'error'; path: string; error: NodeJS.ErrnoException }

export interface ScanOptions {
  /** Folder names never entered (Pixdesk writes its outputs into folders named like this). */
  skipFolderNames?: readonly string[]
  /** Folders never entered, compared by real path (configured output folders). */
  skipFolders?: readonly string[]
}

/** True when `child` is `parent` or lies below it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..')
}

export const isHidden = (name: string) => name.startsWith('.')

/**
 * Every regular file below `root`, depth first, in a stable order. Hidden entries and output folders
 * are skipped. Symlinks are followed only while they stay inside the root, and each real folder is
 * entered once, so link loops end. Unreadable folders are reported, never fatal.
 */
export async function* scanFolder(root: string, options: ScanOptions = {}): AsyncGenerator<ScanItem> {
  const skipNames = new Set(options.skipFolderNames ?? ['pixdesk'])
  const skipReal = new Set<string>()
  for (const f of options.skipFolders ?? []) skipReal.add(await realpath(f).catch(() => f))
  const realRoot = await realpath(root)
  const visited = new Set<string>()
  const stack: string[] = [root]
  while (stack.length > 0) {
    const dir = stack.pop()!
    let realDir: string
    let names: string[]
    try {
      realDir = await realpath(dir)
      if (visited.has(realDir)) continue
      visited.add(realDir)
      names = (await readdir(dir)).sort()
    } catch (err) {
      yield { kind: 'error', path: dir, error: err as NodeJS.ErrnoException }
      continue
    }
    const subdirs: string[] = []
    for (const name of names) {
      if (isHidden(name)) continue
      const path = join(dir, name)
      try {
        const link = await lstat(path)
        let st = link
        if (link.isSymbolicLink()) {
          const target = await realpath(path)
          if (!isInside(realRoot, target)) continue
          st = await stat(path)
        }
        if (st.isDirectory()) {
          if (skipNames.has(basename(path).toLowerCase())) continue
          if (skipReal.has(await realpath(path))) continue
          subdirs.push(path)
        } else if (st.isFile()) {
          yield { kind: 'file', path }
        }
      } catch (err) {
        // A dangling link or a file removed while scanning is not a file to import.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') yield { kind: 'error', path, error: err as NodeJS.ErrnoException }
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!)
  }
}
