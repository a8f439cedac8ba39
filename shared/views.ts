import type { AppErrorData } from './errors'
import type { ProviderId, RequestParams, RequestRecord, RequestStatus, Verdict } from './records'
import type { OutputFinish } from './packs'

/**
 * What the renderer sees. These are view models: no secrets, no paths the user did not give, asset
 * URLs instead of file access. The main process maps its services' data onto them.
 */

export interface KeyStatusView {
  provider: ProviderId
  set: boolean
  source: 'keychain' | 'environment' | null
  /** Last four characters, so people can tell keys apart; never more. */
  last4?: string
  /** Why the keychain could not be read, when it could not (the app keeps working with the sandbox). */
  problem?: AppErrorData
}

export interface KeyTestView {
  provider: ProviderId
  ok: boolean
  /** "Key accepted", "Key rejected (401)", or "Pixapi has no key check: the first request will tell". */
  message: string
  checked: boolean
}

export interface RootView {
  id: string
  /** Folder or file name as the user picked it. */
  name: string
  /** The path the user picked (they gave it, so showing it back is fine). */
  path: string
  kind: 'folder' | 'file'
  watching: boolean
  counts: { total: number; ok: number; problems: number; pending: number }
}

export interface AssetView {
  id: string
  rootId: string
  name: string
  /** Path relative to its root, for display and grouping. */
  relPath: string
  format: string | null
  width: number | null
  height: number | null
  bytes: number
  /** The picture has an alpha channel: only then is it shown over a transparency checkerboard. */
  alpha: boolean
  /** null while the file is still being inspected. */
  ok: boolean | null
  error?: AppErrorData
  thumbUrl: string | null
  originalUrl: string | null
  /**
   * The original as a viewer compares it with a result: upright, 8-bit sRGB, at most 2048 px on the long
   * edge unless `size=<px>` asks for up to 4096 (see the asset handler). Absent from older view models.
   */
  displayUrl?: string | null
  modifiedAt: string
}

export interface LibraryChange {
  upserted: AssetView[]
  removed: string[]
  roots: RootView[]
}

export interface ImportProgressView {
  rootId: string
  scanned: number
  inspected: number
  done: boolean
}

/** A template with its usage; the type lives beside the template schema. */
export type { TemplateView } from './templates'

export type ItemState =
  | 'queued'
  | 'preparing'
  | 'uploading'
  | 'running'
  | 'polling'
  | 'downloading'
  | 'done'
  | 'failed'
  | 'cancelled'
  | 'interrupted'
  | 'skipped'
  | 'budget_wait'
  | 'duplicate'

export interface OutputView {
  index: number
  url: string | null
  name: string
  width: number
  height: number
  bytes: number
  missing: boolean
  /** A pack target's output: its finishing and its rule checks. */
  finish?: OutputFinish
  /** Not at the size asked for: "asked 2048×2048 (2K, 1:1), got 1024×1024", and whether it was then finished to it. */
  sizeMismatch?: { asked: string; got: string; finished: boolean }
  /** Content Credentials signed into the file, or why not; absent when they are turned off. */
  contentCredentials?: { signed: boolean; note?: string }
}

export interface ItemView {
  id: string
  batchId: string
  assetId: string | null
  sourceName: string
  sourceUrl: string | null
  /** The source's display copy (AssetView.displayUrl): what a result is compared against. */
  sourceDisplayUrl?: string | null
  model: string
  provider: ProviderId
  prompt: string
  params: RequestParams
  state: ItemState
  /** Why a queued item is not starting yet (budget, duplicate decision, network, rate limit, backoff). */
  hold?: ItemHold
  attempts: number
  estimate: number | null
  charged: number | null
  /** An interrupted submission may have been charged without a result. */
  mayHaveCharged: boolean
  /** Finished, its record not yet in the history (it is kept and written as soon as the history takes it). */
  historyPending: boolean
  /** Paid for, not saved: images kept in the recovery folder (`kept`), or fetched again without a new charge. */
  paidNotSaved?: { kept: number; fetchAgain: boolean }
  /** The provider reported far more credits than the catalog estimate. */
  aboveEstimate?: boolean
  /** Outputs sent beyond the number asked for: neither saved nor counted. */
  outputsDiscarded?: number
  chargedEstimated: boolean
  latencyMs: number | null
  uploadedBytes: number
  uploadTotalBytes: number
  requestId?: string
  taskId?: string
  recordId?: string
  error?: AppErrorData
  outputs: OutputView[]
  /** The pack target this item makes, when it is part of a pack run. */
  packTarget?: string
  duplicateOf?: string
  timings: { createdAt: string; startedAt?: string; finishedAt?: string; phaseMs: Record<string, number> }
  /** A masked edit: `leak` is the largest share of outside-mask pixels the model changed (the original was kept there). */
  mask?: { leak?: number }
}

/** Why a queued item is not starting yet. */
type ItemHold = 'budget' | 'duplicate' | 'network' | 'rate_limit' | 'retry_backoff'

type BatchState = 'queued' | 'running' | 'paused' | 'waiting_network' | 'budget_reached' | 'done' | 'cancelled'

interface BatchFailureView {
  itemId: string
  source: string
  model: string
  state: Exclude<ItemState, 'budget_wait' | 'duplicate'>
  reason: AppErrorData
  requestId?: string
  taskId?: string
}

interface BatchReportView {
  batchId: string
  finishedAt: string
  total: number
  done: number
  failed: number
  cancelled: number
  interrupted: number
  /** Files that could not be used, never sent (absent in reports from older versions). */
  skipped?: number
  charged: number
  estimate: number
  /** Every item that did not succeed, with its reason and request id. */
  failures: BatchFailureView[]
}

export interface BatchView {
  id: string
  name: string
  kind: 'batch' | 'compare' | 'single'
  compareGroup?: string
  state: BatchState
  createdAt: string
  finishedAt?: string
  models: string[]
  counts: Record<'total' | 'queued' | 'active' | 'done' | 'failed' | 'cancelled' | 'interrupted' | 'skipped' | 'waiting', number>
  estimate: number
  charged: number
  budget: number | null
  /** Estimates of items running now, held against the budget. */
  reserved: number
  /** Set while a provider is cooling down after a 429, or while offline. */
  notice?: string
  /** Every failure with its reason and request id, once the batch has finished. */
  report?: BatchReportView
}

export interface BatchDetailView extends BatchView {
  items: ItemView[]
}

export interface BatchEstimateView {
  items: number
  perModel: Array<{ model: string; perItem: number | null; items: number; total: number | null }>
  total: number
  /** Models with no known price (custom ids): the total excludes them. */
  unpriced: string[]
  duplicates: Array<{ assetId: string; model: string; recordId: string; at: string }>
  problems: Array<{ assetId: string; error: AppErrorData }>
}

export interface NetworkView {
  online: boolean
  /** When the next reachability probe runs, while offline. */
  nextProbeAt?: string
  /** Why the queue thinks it is offline. */
  reason?: string
}

export interface HistoryEntryView {
  id: string
  at: string
  kind: RequestRecord['kind']
  provider: ProviderId
  sandbox: boolean
  model: string
  prompt: string
  status: RequestStatus
  error?: AppErrorData
  requestIds: string[]
  taskId?: string
  latencyMs: number
  credits: number
  estimated: boolean
  estimate: number
  /** The provider reported far more credits than the catalog estimate. */
  aboveEstimate?: boolean
  /** Outputs sent beyond the number asked for: neither saved nor counted. */
  outputsDiscarded?: number
  batchId?: string
  compareGroup?: string
  verdict?: Verdict
  /** This entry is the one the user picked in its comparison. */
  picked?: boolean
  templateId?: string
  usage?: Record<string, unknown>
  attempts: number
  /** The image edited, then its reference images in the order sent (with the role each was given). */
  inputs: Array<{ name: string; sha256?: string; width?: number; height?: number; url: string | null; role?: string }>
  outputs: OutputView[]
  /** A masked edit: how the mask reached the model, the leak per output (0..1), and the mask itself when it is still kept. */
  mask?: { route: 'native' | 'crop'; leak: number[]; note?: string; url: string | null }
}

export interface HistoryPageView {
  items: HistoryEntryView[]
  total: number
  /** 1-based. */
  page: number
  pageSize: number
  pages: number
  /** History lines that could not be read (skipped, never fatal), in words. */
  warnings: string[]
}

export interface SandboxView {
  running: boolean
  url?: string
}

/** One version of a chain of edits: a request whose input was the original or an earlier version's output. */
export interface LineageVersionView {
  recordId: string
  requestId?: string
  /** The version it continued from (absent for the chain's first edit, or when that record is gone). */
  parent?: { recordId: string; outputIndex: number }
  /** 0 for a first edit, 1 for an edit of it, and so on. */
  depth: number
  at: string
  prompt: string
  model: string
  provider: ProviderId
  status: RequestStatus
  credits: number
  estimated: boolean
  outputs: OutputView[]
  /** What this version edited: the original for a first edit, else the parent's output. */
  input: { name: string; url: string | null; width?: number; height?: number }
  /** A masked edit, with the largest share of outside-mask pixels the model changed (the original was kept there). */
  mask?: { leak?: number }
}

export interface LineageView {
  /** The record asked about. */
  focusId: string
  /** Every version, parents before their children (depth-first, older branches first). */
  versions: LineageVersionView[]
  /** Credits of every version in the chain. */
  credits: number
}
