import { capabilitiesFor, permissiveCapabilities, type ModelEntry } from '../../shared/catalog'
import type { ProviderId } from '../../shared/records'
import { DECODABLE_FORMATS, type DecodableFormat, type UploadLimits } from './library/types'

/**
 * Inputs are downscaled to this long edge before upload: every image model in the catalog works at or
 * below 4K, so larger uploads only cost time and bandwidth.
 */
const UPLOAD_MAX_LONG_EDGE = 4096

/** What a model on a route accepts as input, in the library's terms (format, bytes, size). */
export function uploadLimitsFor(model: ModelEntry | undefined, provider: ProviderId): UploadLimits {
  const caps = (model && capabilitiesFor(model, provider)) ?? permissiveCapabilities
  const accepted = caps.inputFormats.filter((f): f is DecodableFormat => (DECODABLE_FORMATS as readonly string[]).includes(f))
  return {
    maxInputBytes: caps.maxInputBytes,
    maxLongEdge: UPLOAD_MAX_LONG_EDGE,
    acceptedFormats: accepted.length ? accepted : ['png', 'jpeg', 'webp']
  }
}
