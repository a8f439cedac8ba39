import { basename } from 'node:path'
import type { AppErrorData } from '../../../shared/errors'
import { isDecodable } from './inspect'
import { HARD_MAX_PIXELS, type AssetInfo, type UploadLimits, type Verdict } from './types'

/**
 * The verdict for an already inspected (and decode-verified) file against another route's limits,
 * without reading the file again: switching models in the UI re-checks a whole library instantly.
 * Formats the route does not take are not refused here: normaliseForUpload converts them.
 */
export function checkAgainstLimits(info: AssetInfo, limits: UploadLimits): Verdict {
  if (!info.verdict.ok) return info.verdict
  const name = basename(info.path)
  const fail = (code: AppErrorData['code'], message: string): Verdict => ({ ok: false, error: { code, message, path: info.path } })
  if (!isDecodable(info.format)) return fail('unsupported_format', `"${name}" is not in a format Pixdesk can send.`)
  if (info.bytes > limits.maxInputBytes) {
    return fail('too_many_bytes', `"${name}" is ${mb(info.bytes)}; this model takes files up to ${mb(limits.maxInputBytes)}.`)
  }
  const maxPixels = Math.min(limits.maxPixels ?? HARD_MAX_PIXELS, HARD_MAX_PIXELS)
  if (info.width * info.height > maxPixels) {
    return fail('too_many_pixels', `"${name}" is ${info.width}×${info.height}; this model takes up to ${(maxPixels / 1e6).toFixed(1)} MP.`)
  }
  if (limits.minEdge && Math.min(info.width, info.height) < limits.minEdge) {
    return fail('too_small', `"${name}" is ${info.width}×${info.height}; this model needs at least ${limits.minEdge} px on the shortest edge.`)
  }
  return { ok: true }
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`
