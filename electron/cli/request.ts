import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { requestIssues, type InputFacts, type ModelEntry } from '../../shared/catalog'
import { promptWithReferences } from '../../shared/references'
import { isSendableUrl, jobInputSchema, type JobInputSpec, type SkippedInput } from '../core/jobs/model'
import type { ProviderId } from '../../shared/providers'
import type { RequestKind, RequestParams } from '../../shared/records'
import { inspectFile } from '../core/library/inspect'
import { uploadLimitsFor } from '../core/limits'
import { scanFolder } from '../core/library/scan'
import type { Services } from '../core/services'
import { usageError } from './exit'
import { resolveModelFlag, routeFor } from './models'

export interface ModelRoute {
  model: ModelEntry
  provider: ProviderId
}

export function resolveModels(services: Services, ids: string[], provider: ProviderId | undefined, flag: string): ModelRoute[] {
  const active = services.settings.get().provider.active
  const routes = ids.map((id) => {
    const model = resolveModelFlag(services.catalog, id, flag)
    return { model, provider: routeFor(model, provider, active) }
  })
  const seen = new Set<string>()
  for (const r of routes) {
    if (seen.has(r.model.id)) throw usageError(`${flag}: ${r.model.id} is listed twice (an alias and its id count as the same model).`, 'model')
    seen.add(r.model.id)
  }
  return routes
}

/**
 * Input images as given: local files (which must exist and be images), https URLs and data URLs.
 * Checked before anything is queued, so a typo or a stray PDF ends the command with exit 2 and
 * nothing sent. Folders (batch only) are expanded, and files in them that are not images at all are
 * passed over with a note rather than stopping the batch. With `skip`, an image that cannot be used
 * (damaged, unsupported), named or found in a folder, is handed to it with its reason instead: the
 * batch runs the rest and reports it as skipped.
 */
export async function resolveInputs(
  given: string[],
  options: { folders: boolean; note?: (text: string) => void; skip?: (input: SkippedInput) => void }
): Promise<string[]> {
  const out: string[] = []
  const seen = new Set<string>()
  const add = (p: string) => {
    if (!seen.has(p)) out.push(p)
    seen.add(p)
  }
  for (const raw of given) {
    const remote = remoteKind(raw)
    if (remote) {
      if (remote === 'url' && /^http:/i.test(raw) && !isSendableUrl(raw)) {
        throw usageError(`"${raw.slice(0, 80)}" is a plain http URL; only https URLs are sent (http only for this computer).`, 'inputs', raw)
      }
      const parsed = jobInputSchema.safeParse(jobInputOf(raw))
      if (!parsed.success) {
        const label = remote === 'url' ? `"${raw.slice(0, 80)}"` : 'A data URL input'
        throw usageError(`${label} cannot be sent: ${parsed.error.issues[0]?.message ?? 'not a usable address'}. Nothing was sent.`, 'inputs')
      }
      add(raw)
      continue
    }
    const path = resolve(raw)
    let isDir: boolean
    try {
      isDir = (await stat(path)).isDirectory()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code})`
      throw usageError(`Input "${raw}" ${why}. Check the path; nothing was sent.`, 'inputs', raw)
    }
    if (!isDir) {
      const verdict = options.skip && !seen.has(path) ? (await inspectFile(path)).verdict : undefined
      if (verdict && !verdict.ok) {
        seen.add(path)
        options.skip?.({ path, reason: { ...verdict.error, path } })
      } else add(path)
      continue
    }
    if (!options.folders) throw usageError(`Input "${raw}" is a folder; give image files (or use pixdesk batch for folders).`, 'inputs', raw)
    let skipped = 0
    for await (const item of scanFolder(path)) {
      if (item.kind !== 'file' || seen.has(item.path)) continue
      const info = await inspectFile(item.path)
      if (info.verdict.ok) add(item.path)
      else if (options.skip && info.format !== null) {
        // An image that cannot be used is worth a line in the report; a stray text file is not.
        seen.add(item.path)
        options.skip({ path: item.path, reason: { ...info.verdict.error, path: item.path } })
      } else skipped++
    }
    if (skipped) options.note?.(`pixdesk: skipped ${skipped} file${skipped === 1 ? '' : 's'} in ${raw} that ${skipped === 1 ? 'is not a usable image' : 'are not usable images'} (pixdesk scan ${raw} says why).`)
  }
  return out
}

/** Web addresses and data URLs are sent as they are; anything else names a file. */
function remoteKind(raw: string): 'url' | 'data' | null {
  if (/^https?:\/\//i.test(raw)) return 'url'
  if (/^data:/i.test(raw)) return 'data'
  return null
}

/** An input from the command line as the jobs engine takes it. */
export function jobInputOf(raw: string): JobInputSpec {
  const kind = remoteKind(raw)
  if (kind === 'url') return { url: raw }
  if (kind === 'data') return { dataUrl: raw }
  return { path: raw }
}

/**
 * Every reason a request would be refused, per model, before anything is queued: the files (content,
 * size, pixels), the prompt, n, size and quality against the catalog. The first one found is a usage
 * error (exit 2) naming the flag or file.
 */
export async function preflight(
  routes: ModelRoute[],
  request: { kind: RequestKind; prompt: string; params: RequestParams; route: 'sync' | 'async'; itemInputs: string[][]; roles?: ReadonlyArray<string | undefined> }
): Promise<void> {
  const facts = new Map<string, InputFacts>()
  for (const inputs of request.itemInputs) {
    for (const input of inputs) {
      if (facts.has(input)) continue
      const remote = remoteKind(input)
      if (remote) {
        facts.set(input, { source: remote, label: remote === 'url' ? input.slice(0, 80) : 'a data URL' })
        continue
      }
      facts.set(input, { source: 'file', label: `"${input}"` })
    }
  }
  for (const { model, provider } of routes) {
    const limits = uploadLimitsFor(model, provider)
    for (const inputs of request.itemInputs) {
      const inputFacts: InputFacts[] = []
      for (const [i, input] of inputs.entries()) {
        const base = facts.get(input)!
        if (base.source !== 'file') {
          inputFacts.push(base)
          continue
        }
        const info = await inspectFile(input, limits)
        if (!info.verdict.ok) {
          const which = request.kind === 'edit' && i > 0 ? `Reference image ${i}: ` : ''
          throw usageError(`${which}${info.verdict.error.message} Nothing was sent.`, i > 0 ? 'ref' : 'inputs', input)
        }
        // Formats the route does not take are converted before upload, so they are checked as the converted copy.
        const format = info.format && limits.acceptedFormats.includes(info.format as never) ? info.format : limits.acceptedFormats[0]
        inputFacts.push({ ...base, format, bytes: info.bytes })
      }
      // Checked as sent: with references, the line naming each image comes before the prompt.
      const prompt = request.kind === 'edit' ? promptWithReferences(request.prompt, inputs.map((_, i) => ({ role: request.roles?.[i] }))) : request.prompt
      const issues = requestIssues(model, { kind: request.kind, provider, route: request.route, prompt, params: request.params, inputs: inputFacts })
      const first = issues[0]
      if (first) {
        const flag = flagFor(first.field)
        throw usageError(`${flag}${first.message} Nothing was sent.`, first.field)
      }
    }
  }
}

function flagFor(field: string | undefined): string {
  if (!field) return ''
  if (field === 'n' || field === 'size' || field === 'quality' || field === 'prompt' || field === 'provider') return `--${field}: `
  if (field === 'route') return '--async: '
  return ''
}

/** --out as an absolute folder; refused when it names an existing file. */
export async function outDirOf(out: string | undefined): Promise<string | undefined> {
  if (out === undefined) return undefined
  const path = resolve(out)
  const st = await stat(path).catch(() => null)
  if (st && !st.isDirectory()) throw usageError(`--out "${out}" is a file, not a folder. Give a folder (it is created if missing).`, 'out', out)
  return path
}
