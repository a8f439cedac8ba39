import sharp from 'sharp'
import { AppError, toAppErrorData } from '../../../shared/errors'
import { providerFacts, type ProviderId } from '../../../shared/providers'
import { detectImageFormat, FORMAT_MIME, SNIFF_BYTES, type ImageFormat } from '../imageformat'
import { badResponse, describe } from './errors'
import { send, type SendContext, type SendSpec } from './http'
import { checkOutputUrl, guardedAgent, RefusedAddressError, type OutputUrlPolicy } from './outputurl'
import { checkPng, PNG_INLINE_MAX_BYTES, PngError, pngHeader } from './png'
import type { OutputImage, RawResult } from './types'

/** Output formats the app can decode, check and save. */
const DECODABLE: ReadonlySet<ImageFormat> = new Set(['png', 'jpeg', 'webp', 'gif', 'avif', 'tiff'])
const MAX_OUTPUT_PIXELS = 16384 * 16384
const MAX_REDIRECTS = 3

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024

/** Who may be sent the provider's credentials along with a download: the API's own origin only. */
interface DownloadAuth {
  origin: string
  headers: Record<string, string>
}

export interface DownloadOptions {
  policy: OutputUrlPolicy
  auth?: DownloadAuth
}

/**
 * Fetches one output, following redirects by hand so each hop is checked like the first: https to a
 * public address (after DNS resolution, on the connection itself), and the key only to the API's own
 * origin. Every failure is "download_failed": the request was answered and may be charged, so what is
 * worth repeating is the download, never the request.
 */
async function download(url: string, provider: ProviderId, ctx: SendContext, maxBytes: number, options: DownloadOptions): Promise<Buffer> {
  let current = checkOutputUrl(url, provider, options.policy)
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const withKey = options.auth !== undefined && current.origin === options.auth.origin
    const spec: SendSpec = {
      provider,
      method: 'GET',
      url: current.toString(),
      headers: { accept: 'image/*', ...(withKey ? options.auth?.headers : {}) },
      maxResponseBytes: maxBytes,
      resend: 'retryable',
      returnRedirects: true,
      stage: 'download',
      dispatcher: guardedAgent(ctx.timeouts.connectMs, options.policy)
    }
    let res
    try {
      res = await send(spec, { ...ctx, attempts: [] })
    } catch (err) {
      throw downloadFailed(provider, current, err)
    }
    if (res.status < 300) return res.body
    const location = res.headers.location
    if (!location) throw downloadFailed(provider, current, badResponse(provider, `HTTP ${res.status} redirected nowhere.`))
    current = checkOutputUrl(location, provider, options.policy, current)
  }
  throw new AppError({ code: 'download_failed', message: `${describe('download_failed', provider)} (it redirected more than ${MAX_REDIRECTS} times).` })
}

function downloadFailed(provider: ProviderId, url: URL, err: unknown): AppError {
  const reason = toAppErrorData(err)
  if (reason.code === 'cancelled' || reason.code === 'download_failed') return new AppError(reason, { cause: err })
  const refusedAddress = findCause(err, RefusedAddressError)
  // A status from a file host is about that download, not the key the request was accepted with.
  const answered = reason.status !== undefined && reason.status >= 300 ? `it answered HTTP ${reason.status}${reason.providerCode ? ` (${reason.providerCode})` : ''}` : undefined
  const why = refusedAddress ? `${refusedAddress.message}; such URLs are not fetched` : (answered ?? reason.message)
  return new AppError(
    { code: 'download_failed', status: reason.status, providerCode: reason.providerCode, retryable: !refusedAddress, message: `${describe('download_failed', provider)} From ${url.host}: ${why}` },
    { cause: err }
  )
}

function findCause<T extends Error>(err: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) if (e instanceof type) return e
  return undefined
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
  downloads: DownloadOptions,
  onEach?: (done: number, total: number) => void
): Promise<OutputImage[]> {
  if (!raw.outputs.length) throw badResponse(provider, 'It answered without any images.')
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
        bytes = await download(out.url, provider, ctx, maxBytes, downloads)
        // A damaged download may be whole next time: still the download's failure, not the request's.
        images[i] = await verifyImage(bytes, provider, i, maxBytes).catch((err: unknown) => {
          throw downloadFailed(provider, new URL(out.url), err)
        })
        onEach?.(++done, total)
        continue
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
