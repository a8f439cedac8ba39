import sharp from 'sharp'
import { AppError } from '../../../shared/errors'
import { providerFacts, type ProviderId } from '../../../shared/providers'
import { detectImageFormat, FORMAT_MIME, SNIFF_BYTES, type ImageFormat } from '../imageformat'
import { badResponse, safeHost } from './errors'
import { send, type SendContext } from './http'
import { isLoopback } from './inputs'
import { checkPng, PNG_INLINE_MAX_BYTES, PngError, pngHeader } from './png'
import type { OutputImage, RawResult } from './types'

/** Output formats the app can decode, check and save. */
const DECODABLE: ReadonlySet<ImageFormat> = new Set(['png', 'jpeg', 'webp', 'gif', 'avif', 'tiff'])
const MAX_OUTPUT_PIXELS = 16384 * 16384
const MAX_REDIRECTS = 3

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024

/** Output URLs must be https (http only on this computer, e.g. the sandbox). */
export function assertFetchableUrl(raw: string, provider: ProviderId, previous?: URL): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw badResponse(provider, 'It gave an output URL that is not a valid URL.')
  }
  const local = url.protocol === 'http:' && isLoopback(url.hostname)
  if (url.protocol !== 'https:' && !local) {
    throw badResponse(provider, `It gave an output URL with the ${url.protocol.replace(':', '')} scheme; only https is accepted.`)
  }
  if (previous && previous.protocol !== url.protocol) {
    throw badResponse(provider, `An output download redirected from ${previous.protocol} to ${url.protocol}; refused.`)
  }
  return url
}

async function download(url: string, provider: ProviderId, ctx: SendContext, maxBytes: number): Promise<Buffer> {
  let current = assertFetchableUrl(url, provider)
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await send(
      { provider, method: 'GET', url: current.toString(), headers: { accept: 'image/*' }, maxResponseBytes: maxBytes, resend: 'retryable', returnRedirects: true },
      { ...ctx, attempts: [] }
    )
    if (res.status < 300) return res.body
    const location = res.headers.location
    if (!location) throw badResponse(provider, `An output download from ${safeHost(current.toString())} redirected nowhere.`)
    current = assertFetchableUrl(new URL(location, current).toString(), provider, current)
  }
  throw badResponse(provider, `An output download redirected more than ${MAX_REDIRECTS} times.`)
}

/**
 * Magic bytes and a full decode: a truncated or disguised file never becomes an "output". Small PNGs
 * (most sandbox and thumbnail-sized outputs) are checked in full here (png.ts); everything else is
 * decoded by libvips on the thread pool.
 */
export async function verifyImage(bytes: Buffer, provider: ProviderId, index: number, maxBytes: number): Promise<OutputImage> {
  const which = `Output ${index + 1}`
  if (bytes.length === 0) throw badResponse(provider, `${which} is empty.`)
  if (bytes.length > maxBytes) throw badResponse(provider, `${which} is ${bytes.length} bytes, over the ${maxBytes}-byte limit.`)
  const format = detectImageFormat(bytes.subarray(0, SNIFF_BYTES))
  if (!format || !DECODABLE.has(format)) {
    throw badResponse(provider, `${which} is not an image the app can use (${format ? format.toUpperCase() : 'unknown content'}).`)
  }
  try {
    if (format === 'png') {
      const header = pngHeader(bytes)
      if (header.width * header.height > MAX_OUTPUT_PIXELS) throw new PngError(`${header.width}×${header.height} is over the pixel limit`)
      if (header.dataBytes <= PNG_INLINE_MAX_BYTES) return { bytes, format, mime: FORMAT_MIME[format], ...checkPng(bytes, header) }
    }
    const { info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: MAX_OUTPUT_PIXELS }).raw().toBuffer({ resolveWithObject: true })
    return { bytes, format, mime: FORMAT_MIME[format], width: info.width, height: info.height }
  } catch (err) {
    throw new AppError(
      { code: 'bad_response', message: `${which} from ${providerFacts[provider].name} is a damaged ${format.toUpperCase()} that cannot be decoded.` },
      { cause: err }
    )
  }
}

/** Outputs fetched and verified at once: each decode runs on the thread pool, so n outputs need not wait in line. */
const OUTPUT_CONCURRENCY = 4

/** Turns the route's outputs (base64 or URLs) into verified images, in the route's order. */
export async function collectOutputs(
  raw: RawResult,
  provider: ProviderId,
  ctx: SendContext,
  maxBytes: number,
  onEach?: (done: number, total: number) => void
): Promise<OutputImage[]> {
  if (!raw.outputs.length) throw badResponse(provider, 'It returned no images.')
  const total = raw.outputs.length
  const images: OutputImage[] = new Array<OutputImage>(total)
  let next = 0
  let done = 0
  // A failure stops the others from starting more work; the first error is the one reported.
  let failed = false
  let firstError: unknown
  const worker = async (): Promise<void> => {
    while (!failed && next < total) {
      const i = next++
      const out = raw.outputs[i]!
      let bytes: Buffer
      if ('b64' in out) {
        if (out.b64.length > Math.ceil((maxBytes * 4) / 3) + 4) throw badResponse(provider, `Output ${i + 1} is over the ${maxBytes}-byte limit.`)
        bytes = Buffer.from(out.b64, 'base64')
      } else {
        bytes = await download(out.url, provider, ctx, maxBytes)
      }
      images[i] = await verifyImage(bytes, provider, i, maxBytes)
      onEach?.(++done, total)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(OUTPUT_CONCURRENCY, total) }, () =>
      worker().catch((err: unknown) => {
        if (!failed) firstError = err
        failed = true
      })
    )
  )
  if (failed) throw firstError
  return images
}
