import type { DuplicateOf, ItemSnapshot, JobItem, KeptImage } from './model'
import type { ProviderId, RecordOutput, RequestRecord } from '../../../shared/records'

/** Inputs made ready for upload (normalised temporary copies); opaque to the engine. */
export interface PreparedRequest {
  /** Bytes that will be uploaded, for progress. */
  uploadBytes: number
  /** Removes temporary copies; safe to call more than once. */
  cleanup(): Promise<void>
}

export type RunStage = 'uploading' | 'running' | 'polling' | 'downloading'

export interface RunContext {
  signal: AbortSignal
  onStage(stage: RunStage): void
  /** Bytes of the request body sent so far (per attempt: a retry starts again at 0). */
  onUpload?(sentBytes: number, totalBytes: number): void
  /** Must be called the moment an async task id is known: the engine persists it before anything else. */
  onTaskSubmitted(taskId: string, requestId?: string): void
  /**
   * Called the moment the provider answers with a result (charged), before its images are fetched,
   * checked and saved: the engine persists the request id, so a crash from here on is in the ledger; and,
   * once known, the links its images can be fetched again from, so that crash costs no paid result.
   */
  onAnswered?(requestId: string | undefined, outputUrls?: string[]): void
}

export interface RunOutcome {
  /** The request record (outputs still empty: the engine writes them). */
  record: RequestRecord
  images: unknown[]
  /** The answer's output URLs, when every output was one: a paid result can be fetched again from them. */
  outputUrls?: string[]
}

/**
 * Everything the engine needs from the rest of the app. The engine owns ordering, limits, retries,
 * persistence and recovery; these functions own the wire, the files and the ledger.
 */
export interface JobDeps {
  /** Normalise the snapshot's files for upload. Throws AppError when a file cannot be used. */
  prepare(item: JobItem, signal: AbortSignal): Promise<PreparedRequest>
  /** Send the request once (the engine decides about retries). Never throws for API failures. */
  execute(item: JobItem, prepared: PreparedRequest, ctx: RunContext): Promise<RunOutcome>
  /** Poll an async task that already exists, by id; never submits. */
  resume(item: JobItem, taskId: string, ctx: RunContext): Promise<RunOutcome>
  /**
   * Write the images beside the source (atomically, never overwriting) and describe them; `outputDir`
   * is a folder the user chose instead when saving a kept result again.
   */
  writeOutputs(item: JobItem, outcome: RunOutcome, batch: { batchName: string; outputDir?: string }): Promise<RecordOutput[]>
  /** Keeps a paid result's images in the data folder's recovery area when they cannot be written where they belong. */
  keepImages(recordId: string, images: unknown[]): Promise<KeptImage[]>
  /** The kept images, each checked against its hash. */
  readKeptImages(kept: KeptImage[]): Promise<unknown[]>
  /** Images kept for a record that the queue may not know about (a crash right after keeping them). */
  findKeptImages(recordId: string): Promise<KeptImage[]>
  /** Removes a result's kept images once they are saved. */
  discardKeptImages(recordId: string): Promise<void>
  /** Fetches a paid sync result's images again from its output URLs: never sends the request again. */
  downloadAgain(item: JobItem, urls: string[], ctx: RunContext): Promise<unknown[]>
  appendRecord(record: RequestRecord): Promise<void>
  /** Records already in the ledger for an item (crash recovery reconciles against them). */
  itemRecords(itemId: string): Promise<RequestRecord[]>
  /** An earlier success with the same inputs, model, parameters and prompt, if any. */
  findDuplicate(snapshot: ItemSnapshot): Promise<DuplicateOf | null>
  /** Catalog credits for one request of this snapshot; null when the price is unknown. */
  estimate(snapshot: ItemSnapshot): number | null
  /** Endpoint URL a snapshot goes to, for records the engine writes itself (interruptions). */
  endpoint(snapshot: ItemSnapshot): string
  /** Credits charged (per the ledger) since the start of the given local day. */
  spentSince(dayStart: Date): Promise<number>
  /** True when the provider's server answers at all (any HTTP status). */
  probe(provider: ProviderId): Promise<boolean>
}

export interface JobLimits {
  concurrency: number
  perProvider: Record<ProviderId, number>
  /** Runs per item that may fail with a retryable server error before the item fails. */
  maxAttempts: number
  /** 429s one item may meet before it fails (each pauses its provider's whole queue). */
  maxRateLimitHits: number
  dailyBudgetCredits: number | null
}

export interface BackoffOptions {
  baseMs: number
  maxMs: number
  jitterMs: number
}

export interface EngineOptions {
  dataDir: string
  deps: JobDeps
  /** Read on every scheduling pass, so settings changes apply at once. */
  limits: () => JobLimits
  /** Backoff for 5xx retries and 429s without Retry-After: min(max, base·2^n) + jitter. */
  backoff?: Partial<BackoffOptions>
  /** Reachability probes while offline: base·2^n up to max. */
  probe?: { baseMs?: number; maxMs?: number }
  now?: () => number
  /**
   * Batches this process may start items of; all by default. A short-lived command sharing the queue
   * with the app runs only its own, so it neither starts others' work nor cuts it off when it exits.
   */
  runOnly?: (batchId: string) => boolean
  /** What this process is, told to a process refused the queue lock ("the Pixdesk app"). */
  owner?: string
  /** Used for ids; tests pass a deterministic one. */
  newId?: () => string
}
