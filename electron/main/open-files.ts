import { statSync } from 'node:fs'
import { extname, isAbsolute, resolve } from 'node:path'

/** The image types the installers register the app for ("Open with Pixdesk"). */
const OPENABLE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp']

/**
 * Image files named on a command line: what Windows and Linux pass when the user opens files with the
 * app (a first launch, or a second one forwarded to the running app). Flags, the app's own path and
 * anything that is not an existing image file are left out.
 */
export function imagePathsFromArgv(argv: readonly string[], cwd: string): string[] {
  const paths: string[] = []
  for (const arg of argv.slice(1)) {
    if (arg.startsWith('-') || !OPENABLE_EXTENSIONS.includes(extname(arg).toLowerCase())) continue
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg)
    try {
      if (statSync(path).isFile()) paths.push(path)
    } catch {
      // A path that does not exist (or cannot be read) is not something the user opened.
    }
  }
  return paths
}

/**
 * Files opened with the app before it can import them (macOS sends open-file before the app is ready)
 * are held, then handed over in one go once the library is open.
 */
export class OpenedFiles {
  private pending: string[] = []
  private importer: ((paths: string[]) => void) | null = null

  add(paths: readonly string[]): void {
    if (paths.length === 0) return
    if (this.importer) this.importer([...paths])
    else this.pending.push(...paths)
  }

  /** From now on, files go straight to `importer`; those already waiting go first. */
  attach(importer: (paths: string[]) => void): void {
    this.importer = importer
    const waiting = this.pending
    this.pending = []
    if (waiting.length) importer(waiting)
  }
}
