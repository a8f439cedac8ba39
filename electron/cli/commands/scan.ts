import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { UploadLimits } from '../../core/library/types'
import type { Runner } from '../types'
import { ExitCode, usageError } from '../exit'
import { resolveModelFlag, routeFor } from '../models'
import { formatBytes } from '../output'
import { mapLimited } from '../pool'

interface ScanLine {
  path: string
  ok: boolean
  format: string | null
  width: number
  height: number
  bytes: number
  sha256: string
  error?: { code: string; message: string }
}

export function registerScan(program: Command, run: Runner): void {
  program
    .command('scan')
    .description('inspect image files and folders (content, size, hash) and say whether each can be sent')
    .argument('<paths...>', 'image files or folders (folders are searched recursively; hidden and "pixdesk" output folders are skipped)')
    .option('--model <id>', 'also check each file against what this model accepts')
    .option('--json', 'one JSON line per file, then a summary')
    .action(
      run(async (ctx, paths: string[], opts: { model?: string }) => {
        const services = await ctx.services()
        // Loaded here rather than at the top, so registering the command loads none of the library.
        const [{ inspectFile }, { checkAgainstLimits }, { DEFAULT_LIMITS }, { uploadLimitsFor }] = await Promise.all([
          import('../../core/library/inspect'),
          import('../../core/library/validate'),
          import('../../core/library/types'),
          import('../../core/limits')
        ])
        let limits: UploadLimits = DEFAULT_LIMITS
        let modelId: string | undefined
        if (opts.model !== undefined) {
          const model = resolveModelFlag(services.catalog, opts.model)
          modelId = model.id
          limits = uploadLimitsFor(model, routeFor(model, undefined, services.settings.get().provider.active))
        }
        const files = await expandPaths(paths, ctx.signal)
        const bar = ctx.out.progress('scanning', files.length)
        let failed = 0
        let finished = 0
        let bytes = 0
        const lines = await mapLimited(files, 2, ctx.signal, async (path) => {
          const info = await inspectFile(path)
          const verdict = modelId ? checkAgainstLimits(info, limits) : info.verdict
          const line: ScanLine = {
            path,
            ok: verdict.ok,
            format: info.format,
            width: info.width,
            height: info.height,
            bytes: info.bytes,
            sha256: info.sha256
          }
          if (!verdict.ok) line.error = { code: verdict.error.code, message: verdict.error.message }
          if (!line.ok) failed++
          finished++
          bytes += info.bytes
          ctx.out.event('file', { ...line })
          bar.update({ done: finished - failed, failed, bytes })
          return line
        })
        ctx.out.endProgress()
        ctx.out.table(
          ['path', 'ok', 'format', 'size', 'bytes', 'problem'],
          lines.map((l) => [l.path, l.ok ? 'yes' : 'NO', l.format ?? '', l.width ? `${l.width}×${l.height}` : '', formatBytes(l.bytes), l.error?.message ?? '']),
          ['left', 'left', 'left', 'right', 'right', 'left']
        )
        const summary = { files: lines.length, ok: lines.length - failed, failed, bytes, ...(modelId ? { model: modelId } : {}) }
        ctx.out.line(`\n${summary.files} files: ${summary.ok} usable, ${failed} refused${modelId ? ` for ${modelId}` : ''}.`)
        ctx.out.event('summary', summary)
        return failed > 0 ? ExitCode.someFailed : ExitCode.ok
      })
    )
}

/**
 * Files named on the command line, with folders expanded. A path that does not exist is a usage error
 * up front (a typo should not look like an empty folder); files that are not images are reported per file.
 */
async function expandPaths(paths: string[], signal: AbortSignal, flag = 'argument'): Promise<string[]> {
  const kinds = await Promise.all(
    paths.map(async (p) => {
      const abs = resolve(p)
      try {
        const st = await stat(abs)
        return { abs, dir: st.isDirectory() }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code})`
        throw usageError(`${flag} "${p}" ${why}. Check the path; nothing was sent.`, undefined, p)
      }
    })
  )
  const out: string[] = []
  const seen = new Set<string>()
  const { scanFolder } = await import('../../core/library/scan')
  for (const { abs, dir } of kinds) {
    if (!dir) {
      if (!seen.has(abs)) out.push(abs)
      seen.add(abs)
      continue
    }
    for await (const item of scanFolder(abs)) {
      if (signal.aborted) break
      if (item.kind === 'file' && !seen.has(item.path)) {
        seen.add(item.path)
        out.push(item.path)
      }
    }
  }
  return out
}
