import { lstat, realpath, unlink } from 'node:fs/promises'
import { dirname, isAbsolute, relative, sep } from 'node:path'
import type { RecordOutput } from '../../../shared/records'
import { sha256File } from '../library/inspect'

export interface DeletedOutputs {
  filesDeleted: string[]
  /** Files left on disk, each with the reason (not an output any more, outside the output folders, …). */
  filesFailed: { path: string; reason: string }[]
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path)
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}

const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'

/**
 * Deletes the files a history record points at, but only what is still that output: a record's path is
 * data that may have been edited, and the file there may since be something else. A file is removed only
 * when it is a plain file (no link) inside one of `outputFolders` (symlinks resolved) and its sha256 is
 * the one recorded; a sidecar only beside an output that was removed. Anything else is left and listed.
 * Files already gone are neither.
 */
export async function deleteRecordedOutputs(outputs: readonly RecordOutput[], outputFolders: readonly string[]): Promise<DeletedOutputs> {
  const result: DeletedOutputs = { filesDeleted: [], filesFailed: [] }
  const folders = (await Promise.all(outputFolders.map((f) => realpath(f).catch(() => undefined)))).filter((f): f is string => f !== undefined)
  const leave = (path: string, reason: string) => result.filesFailed.push({ path, reason })

  /** The reason to leave `path`, or null when it is a plain file inside an output folder. */
  const placeProblem = async (path: string): Promise<string | null> => {
    if (!isAbsolute(path)) return 'left: the record holds a relative path'
    const info = await lstat(path)
    if (!info.isFile()) return info.isSymbolicLink() ? 'left: it is a link, not the output Pixdesk wrote' : 'left: it is not a plain file'
    const real = await realpath(path)
    if (!folders.some((folder) => isInside(real, folder))) return 'left: it is not inside an output folder'
    return null
  }

  const remove = async (path: string) => {
    await unlink(path)
    result.filesDeleted.push(path)
  }

  for (const output of outputs) {
    let removed = false
    try {
      const problem = await placeProblem(output.path)
      if (problem) leave(output.path, problem)
      else if ((await sha256File(output.path)) !== output.sha256) leave(output.path, 'left: its contents changed since Pixdesk wrote it (the hash no longer matches the record)')
      else {
        await remove(output.path)
        removed = true
      }
    } catch (err) {
      if (!gone(err)) leave(output.path, `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`)
      else removed = true
    }
    const sidecar = output.sidecarPath
    if (!sidecar) continue
    try {
      if (!removed) leave(sidecar, 'left: its image was left too')
      else if (dirname(sidecar) !== dirname(output.path)) leave(sidecar, 'left: it is not beside its image')
      else {
        const problem = await placeProblem(sidecar)
        if (problem) leave(sidecar, problem)
        else await remove(sidecar)
      }
    } catch (err) {
      if (!gone(err)) leave(sidecar, `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`)
    }
  }
  return result
}
