import type { AppErrorData } from '../../../shared/errors'
import type { Normalisation, ProviderId, RequestKind, RequestParams, RequestRecord } from '../../../shared/records'
import type { Catalog } from '../catalog'
import type { RetryOptions, TimeoutOptions } from './http'

export type ImageInput = (
  | {
      source: 'file'
      /** The file to upload (the library's normalised temp copy); streamed, never read whole. */
      path: string
      sha256?: string
      bytes?: number
      width?: number
      height?: number
      format?: string
      normalised?: Normalisation
    }
  | { source: 'url'; url: string }
  | { source: 'data'; dataUrl: string }
) & {
  /** A reference image's role, written into the prompt before it (shared/references.ts). */
  role?: string
}

export interface ImageRequest {
  kind: RequestKind
  provider: ProviderId
  model: string
  prompt: string
  params: RequestParams
  route: 'sync' | 'async'
  inputs: ImageInput[]
  /**
   * A mask for a model that takes one (GPT image): an RGBA PNG of exactly the first input's size,
   * transparent where the edit may happen, sent as the `mask` part.
   */
  mask?: Buffer
  /** The request goes to the built-in sandbox server (recorded so the ledger can tell). */
  sandbox?: boolean
  batchId?: string
  compareGroup?: string
  templateId?: string
  jobItemId?: string
}

/** "answered": a sync request's success answer has begun to arrive, so it is charged (see requestId). */
type ProgressStage = 'uploading' | 'waiting' | 'answered' | 'submitted' | 'polling' | 'downloading' | 'verifying' | 'retrying'

export interface ProgressEvent {
  stage: ProgressStage
  /** 1-based try number of the current HTTP call. */
  attempt?: number
  /** Provider's task state while polling (queued, processing, ...). */
  taskState?: string
  /** Wait before the next try or poll. */
  delayMs?: number
  /**
   * Upload byte progress (stage "uploading"), counted per attempt: it starts at 0 on every try and its
   * last event has sentBytes === totalBytes, the body's Content-Length.
   */
  sentBytes?: number
  totalBytes?: number
  /**
   * Stages "answered" and "downloading": the provider answered with a result, so the request is charged.
   * Its request id, when the answer named one, for the caller to keep before anything else can go wrong.
   */
  requestId?: string
  /**
   * Stage "downloading" of a sync answer that links its images: where they can be fetched again without
   * paying, known before the first byte of them is downloaded.
   */
  outputUrls?: string[]
  /** Output images downloaded/verified so far, and expected. */
  done?: number
  total?: number
  message?: string
}

export interface ProviderConfig {
  /** Multipart field name for input images on Pixapi edits (the docs do not name the multi-image field). */
  pixapiImageField?: string
  /** Multipart field name for input images on OpenAI-compatible edits. */
  openaiImageField?: string
}

export interface ExecuteOptions {
  apiKey?: string
  /** The origin `apiKey` is bound to (see key-origin.ts); a request elsewhere is refused before sending. */
  keyOrigin?: string
  /** Origin (optionally with a path prefix) that `/v1/...` is appended to. */
  baseUrl?: string
  signal?: AbortSignal
  onProgress?: (e: ProgressEvent) => void
  /** Called as soon as an async task exists, so the caller can persist its id before waiting. */
  onTaskSubmitted?: (taskId: string, requestId?: string) => void
  retry?: Partial<RetryOptions>
  timeouts?: Partial<TimeoutOptions>
  /** Defaults to the bundled catalog. */
  catalog?: Catalog
  /** Largest output image accepted, in bytes. */
  maxOutputBytes?: number
  config?: ProviderConfig
}

export interface OutputImage {
  bytes: Buffer
  format: string
  mime: string
  width: number
  height: number
}

export interface ImageOutcome {
  record: RequestRecord
  images: OutputImage[]
  /**
   * Where a paid result's images can be fetched again without a new request: the answer's output URLs,
   * when every output was one (they passed the output URL policy; they may expire).
   */
  outputUrls?: string[]
}

/** What a route hands back before outputs are fetched and verified. */
export interface RawResult {
  outputs: Array<{ b64: string } | { url: string }>
  requestIds: string[]
  credits?: number
  usage?: Record<string, unknown>
}

export interface KeyCheck {
  provider: ProviderId
  /** "unknown": the provider has no cheap authenticated call; the first real request will tell. */
  status: 'valid' | 'invalid' | 'unknown' | 'unreachable'
  message: string
  error?: AppErrorData
}
