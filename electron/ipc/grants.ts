import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { AppError } from '../../shared/errors'

/**
 * The paths the window may name. Page code is not trusted with the file system: a path it sends is
 * accepted only when the user handed it over (dropped it on the window; the preload reports that
 * directly to the main process) or when it lies inside a folder the user already gave the app through
 * a native dialog (an imported library folder, the chosen output folder). Everything is compared after
 * symlinks are resolved, so a link inside a granted folder cannot point out of it.
 */
export interface PathGrants {
  /** Records paths the preload read from a drop or a file input (absolute ones only). */
  grant(paths: readonly string[]): Promise<void>
  /** The path, refused with a typed error unless granted or inside `folders` (or a granted folder). */
  assertAllowed(path: string, what: string, folders: readonly string[]): Promise<string>
}

export function createPathGrants(): PathGrants {
  const granted = new Set<string>()
  return {
    async grant(paths) {
      for (const path of paths) {
        if (!isAbsolute(path)) continue
        granted.add(await realOrNearest(path))
      }
    },
    async assertAllowed(path, what, folders) {
      if (!isAbsolute(path)) {
        throw refusal(path, what, 'relative paths are never accepted from the window')
      }
      const real = await realOrNearest(path)
      if (granted.has(real)) return path
      const roots = [...granted, ...(await Promise.all(folders.map((f) => realOrNearest(f).catch(() => undefined))))]
      if (roots.some((root) => root !== undefined && isInside(real, root))) return path
      throw refusal(path, what, 'it was not chosen in a dialog, dropped on the window, or inside a folder already in the library')
    }
  }
}

function refusal(path: string, what: string, why: string): AppError {
  return new AppError({
    code: 'validation',
    field: 'path',
    path,
    message: `Refused ${what} "${path}": ${why}. Choose it with the Add folder / Add files buttons, drop it on the window, or pick the folder in Settings.`
  })
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path)
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel))
}

/**
 * The real path, or for a path not created yet (an output folder) the real path of its nearest existing
 * ancestor with the rest appended: `..` is resolved first, so the rest holds plain names only.
 */
async function realOrNearest(path: string): Promise<string> {
  const absolute = resolve(path)
  const missing: string[] = []
  for (let current = absolute; ; current = dirname(current)) {
    try {
      return join(await realpath(current), ...missing.reverse())
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(current) === current) throw err
      missing.push(basename(current))
    }
  }
}
