import { z } from 'zod'
import { appErrorSchema } from '../../../shared/errors'
import { maskRefSchema } from '../masks/store'
import { packFinishSchema } from '../../../shared/packs'
import { MAX_REFERENCES, referenceRoleSchema } from '../../../shared/references'
import { parentRefSchema, providerIdSchema, recordOutputSchema, requestKindSchema, requestParamsSchema, requestRecordSchema, type RecordInput } from '../../../shared/records'

/**
 * The jobs engine's data: what a batch and its items are, how they are persisted in the queue file, and
 * the events the engine emits. Everything here is plain data so it can cross IPC, be printed by the CLI
 * and be written to disk as it is. The queue file is read back through these schemas (it is an edge:
 * a crash, a hand edit or an older version may have left anything in it).
 */

const itemStateSchema = z.enum([
  'queued',
  'preparing',
  'uploading',
  'running',
  'polling',
  'downloading',
  'done',
  'failed',
  'cancelled',
  'interrupted',
  /** Never sent: its file could not be used when the batch was created (the reason is the item's error). */
  'skipped'
])
export type ItemState = z.infer<typeof itemStateSchema>

const TERMINAL_STATES: readonly ItemState[] = ['done', 'failed', 'cancelled', 'interrupted', 'skipped']
export const ACTIVE_STATES: readonly ItemState[] = ['preparing', 'uploading', 'running', 'polling', 'downloading']
export const isTerminal = (state: ItemState): boolean => TERMINAL_STATES.includes(state)

/** Why a queued item is not starting yet. */
const itemHoldSchema = z.enum(['budget', 'duplicate', 'network', 'rate_limit', 'retry_backoff'])
export type ItemHold = z.infer<typeof itemHoldSchema>

/** Plain http is only for servers on this computer (a local proxy or sandbox); anything else is https. */
export function isSendableUrl(value: string): boolean {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.username || url.password) return false
  if (url.protocol === 'https:') return true
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]', '::1'].includes(url.hostname.toLowerCase())
}

/** The header the providers decode (a media type, then base64); anchored, so the payload is never scanned. */
const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)(;[\w-]+=[^;,]*)*;base64,/i

/** A short name for a data URL: the whole text can be megabytes and says nothing to a person. */
function dataUrlLabel(dataUrl: string): string {
  const type = DATA_URL.exec(dataUrl)?.[1] ?? 'data'
  const comma = dataUrl.indexOf(',')
  const kb = Math.max(1, Math.round(((dataUrl.length - comma - 1) * 3) / 4 / 1024))
  return `data:${type} (${kb} KB)`
}

const fileInputSchema = z.object({
  path: z.string().min(1),
  /** The library's id for the file, when it came from the library. */
  assetId: z.string().optional(),
  /** A reference image's role (style, logo...), written into the prompt (shared/references.ts). */
  role: referenceRoleSchema.optional()
})

const urlInputSchema = z
  .object({
    url: z.string().refine(isSendableUrl, 'must be an https URL (http only for this computer), without credentials'),
    path: z.string().min(1).optional(),
    /** Only files come from the library; declared so code reading `assetId` of any input type-checks. */
    assetId: z.undefined().optional(),
    role: referenceRoleSchema.optional()
  })
  .transform((i): { url: string; path: string; assetId?: undefined; role?: string } => ({ url: i.url, path: i.path ?? i.url, ...(i.role ? { role: i.role } : {}) }))

const dataInputSchema = z
  .object({
    dataUrl: z.string().regex(DATA_URL, 'must be a base64 data URL (data:image/png;base64,...)'),
    path: z.string().min(1).optional(),
    assetId: z.undefined().optional(),
    role: referenceRoleSchema.optional()
  })
  .transform((i): { dataUrl: string; path: string; assetId?: undefined; role?: string } => ({
    dataUrl: i.dataUrl,
    path: i.path ?? dataUrlLabel(i.dataUrl),
    ...(i.role ? { role: i.role } : {})
  }))

/**
 * One input image: a file (`path`), a web address (`url`) or inline data (`dataUrl`). Every input has a
 * `path` people can read in lists and failure reports; only a file input is ever read from disk by it,
 * so code that sends or hashes an input goes through jobInputSource, never through `path`.
 */
export const jobInputSchema = z.union([urlInputSchema, dataInputSchema, fileInputSchema], {
  // A union's own message ("Invalid input") would not say which kind of input was meant or what is wrong.
  error: (issue) => {
    const input = issue.input as Record<string, unknown> | undefined
    if (input && typeof input === 'object' && 'url' in input) return 'the url must be an https URL (http only for this computer), without credentials'
    if (input && typeof input === 'object' && 'dataUrl' in input) return 'the dataUrl must be a base64 data URL (data:image/png;base64,...)'
    return 'each input needs a file path, a url or a dataUrl'
  }
})
export type JobInput = z.output<typeof jobInputSchema>
export type JobInputSpec = z.input<typeof jobInputSchema>

export type JobInputSource = { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'data'; dataUrl: string }

export function jobInputSource(input: JobInput): JobInputSource {
  if ('url' in input) return { kind: 'url', url: input.url }
  if ('dataUrl' in input) return { kind: 'data', dataUrl: input.dataUrl }
  return { kind: 'file', path: input.path }
}

/** How a request record names an input it could not send (the data itself never goes in the ledger). */
export function recordInputOf(input: JobInput): RecordInput {
  const source = jobInputSource(input)
  const role = input.role ? { role: input.role } : {}
  if (source.kind === 'url') return { source: 'url', url: source.url, ...role }
  if (source.kind === 'data') return { source: 'data', ...role }
  return { source: 'file', path: source.path, ...role }
}

/**
 * Inputs as saved in the queue. Earlier versions kept web addresses and data URLs in `path`; those are
 * read back as the URL or data inputs they always were, so a saved batch is not retried as missing files.
 */
const storedJobInputSchema = z.preprocess((raw) => {
  if (!raw || typeof raw !== 'object' || 'url' in raw || 'dataUrl' in raw) return raw
  const path = (raw as { path?: unknown }).path
  if (typeof path !== 'string') return raw
  if (/^https?:\/\//i.test(path)) return { url: path }
  if (/^data:/i.test(path)) return { dataUrl: path }
  return raw
}, jobInputSchema)

/**
 * Everything one request needs, fixed when the item is created: a retry re-runs exactly this, whatever
 * the settings or the template library say by then.
 */
export const itemSnapshotSchema = z.object({
  kind: requestKindSchema,
  inputs: z.array(storedJobInputSchema),
  model: z.string().min(1),
  provider: providerIdSchema,
  route: z.enum(['sync', 'async']),
  /** The prompt as sent (template variables already filled in). */
  prompt: z.string(),
  templateId: z.string().optional(),
  variables: z.record(z.string(), z.string()).optional(),
  params: requestParamsSchema,
  compareGroup: z.string().optional(),
  outputDir: z.string().optional(),
  sandbox: z.boolean().default(false),
  /** The version the edit continues from; its output file is the first input. */
  parent: parentRefSchema.optional(),
  /** Where the first input may change: the normalised copy in the data folder and its hash. */
  mask: maskRefSchema.optional(),
  /** A pack target: the answer is finished to this frame and checked against its rules when it is saved. */
  finish: packFinishSchema.optional()
})
export type ItemSnapshot = z.infer<typeof itemSnapshotSchema>

/**
 * Where the submission of the current run stands. 'pending' is written to disk before a request is
 * sent; 'accepted' once an async task id is known. After a crash, 'accepted' resumes polling by task id
 * and 'pending' becomes "interrupted (may have been charged)": a request is never sent twice by itself.
 */
const submissionSchema = z.object({
  phase: z.enum(['none', 'pending', 'accepted']),
  at: z.string().optional(),
  taskId: z.string().optional(),
  requestId: z.string().optional(),
  /** The provider answered with a result: the request is charged, whatever happens to its images. */
  answered: z.boolean().optional()
})

const duplicateOfSchema = z.object({ recordId: z.string(), at: z.string() })
export type DuplicateOf = z.infer<typeof duplicateOfSchema>

const itemTimingsSchema = z.object({
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Milliseconds spent in each active state over all runs (preparing, uploading, running, ...). */
  phaseMs: z.record(z.string(), z.number()).default({})
})

/** An image of a paid result kept in the data folder's recovery area, with the hash it was written with. */
const keptImageSchema = z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int().nonnegative() })
export type KeptImage = z.infer<typeof keptImageSchema>

/**
 * A result the provider answered (and charged) whose images are not where they belong yet: the download
 * failed, or they could not be written. Retry fetches or saves them from here and never sends the
 * request again: from the recovery area, the output URLs of a sync answer, or the async task by id.
 */
const paidResultSchema = z.object({
  /** The charged request's record; the record that replaces it in the history keeps its id and cost. */
  record: requestRecordSchema,
  kept: z.array(keptImageSchema).optional(),
  urls: z.array(z.string()).optional(),
  taskId: z.string().optional(),
  /** A folder the user chose for saving again (the original one may be gone or full). */
  saveTo: z.string().optional()
})
export type PaidResult = z.infer<typeof paidResultSchema>

/** True when a retry can get a paid result's images without paying again. */
export function canFetchAgain(paid: PaidResult): boolean {
  return Boolean(paid.kept?.length || paid.urls?.length || paid.taskId)
}

export const jobItemSchema = z.object({
  id: z.string().min(1),
  batchId: z.string().min(1),
  snapshot: itemSnapshotSchema,
  /** Catalog credits for this request; null when the model has no known price. */
  estimate: z.number().nullable(),
  state: itemStateSchema,
  hold: itemHoldSchema.optional(),
  /** Earliest time (ISO) a held item may start again (rate limit or backoff). */
  notBefore: z.string().optional(),
  /** Runs that counted against the retry limit (429s and network outages do not). */
  attempts: z.number().int().min(0),
  rateLimitHits: z.number().int().min(0).default(0),
  submission: submissionSchema,
  requestIds: z.array(z.string()),
  taskId: z.string().optional(),
  /** History records written for this item, oldest first. */
  recordIds: z.array(z.string()),
  /** A finished request whose outputs and history record are still being written (crash recovery). */
  pendingRecord: requestRecordSchema.optional(),
  charged: z.number().nullable(),
  chargedEstimated: z.boolean(),
  /** True when a run may have been charged without a result (interrupted submissions). */
  mayHaveCharged: z.boolean().default(false),
  /**
   * Finished, but the history could not take its record yet: the record waits in pendingRecord and is
   * written as soon as the history takes it ("done, not yet in history").
   */
  historyPending: z.boolean().default(false),
  paidResult: paidResultSchema.optional(),
  /**
   * While a paid result is being saved: how its images can be had again without paying, should Pixdesk
   * stop before they are written (the answer's URLs, or copies kept in the recovery folder; an async
   * task is fetched again by taskId).
   */
  savingFrom: z.object({ urls: z.array(z.string()).optional(), kept: z.array(keptImageSchema).optional() }).optional(),
  /** The provider reported far more credits than the catalog estimate for the last answer. */
  aboveEstimate: z.boolean().optional(),
  /** Outputs the provider sent beyond the n asked for, neither saved nor counted. */
  outputsDiscarded: z.number().int().nonnegative().optional(),
  /** Masked edits: the largest share of outside-mask pixels the model changed before compositing. */
  maskLeak: z.number().min(0).max(1).optional(),
  latencyMs: z.number().nullable(),
  uploadedBytes: z.number().int().min(0),
  uploadTotalBytes: z.number().int().min(0),
  outputs: z.array(recordOutputSchema),
  error: appErrorSchema.optional(),
  duplicateOf: duplicateOfSchema.optional(),
  timings: itemTimingsSchema
})
export type JobItem = z.infer<typeof jobItemSchema>

/** The run state of an item that has not started: every counter at zero, nothing sent, nothing charged. */
export function unstartedItemState(createdAt: string) {
  return {
    state: 'queued' as const,
    attempts: 0,
    rateLimitHits: 0,
    submission: { phase: 'none' as const },
    requestIds: [],
    recordIds: [],
    charged: null,
    chargedEstimated: false,
    mayHaveCharged: false,
    historyPending: false,
    latencyMs: null,
    uploadedBytes: 0,
    uploadTotalBytes: 0,
    outputs: [],
    timings: { createdAt, phaseMs: {} }
  } satisfies Partial<JobItem>
}

const batchKindSchema = z.enum(['batch', 'compare', 'single'])
export type BatchState = 'queued' | 'running' | 'paused' | 'waiting_network' | 'budget_reached' | 'done' | 'cancelled'

const failureSchema = z.object({
  itemId: z.string(),
  source: z.string(),
  model: z.string(),
  state: itemStateSchema,
  reason: appErrorSchema,
  requestId: z.string().optional(),
  taskId: z.string().optional()
})

const batchReportSchema = z.object({
  batchId: z.string(),
  finishedAt: z.string(),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
  interrupted: z.number().int(),
  /** Reports saved before files could be skipped have none. */
  skipped: z.number().int().default(0),
  charged: z.number(),
  estimate: z.number(),
  /** Every item that did not succeed, with its reason and request id. */
  failures: z.array(failureSchema)
})
export type BatchReport = z.infer<typeof batchReportSchema>

export const batchSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  kind: batchKindSchema,
  createdAt: z.string(),
  finishedAt: z.string().optional(),
  paused: z.boolean(),
  cancelled: z.boolean().default(false),
  /** Cap in credits for this batch; null: no cap. */
  budgetCredits: z.number().positive().nullable(),
  /** Most items of this batch running at once (within the global limit). */
  concurrency: z.number().int().min(1).max(8).optional(),
  models: z.array(z.string()),
  templateId: z.string().optional(),
  items: z.array(jobItemSchema),
  report: batchReportSchema.optional()
})
export type Batch = z.infer<typeof batchSchema>

export const QUEUE_FILE_VERSION = 1
export const queueFileSchema = z.object({
  version: z.literal(QUEUE_FILE_VERSION),
  savedAt: z.string(),
  /** Last journal entry this file includes: entries up to it are skipped when the journal is replayed. */
  seq: z.number().int().min(0).default(0),
  batches: z.array(batchSchema)
})

export const skippedInputSchema = z.object({
  path: z.string().min(1),
  assetId: z.string().optional(),
  reason: appErrorSchema
})
export type SkippedInput = z.infer<typeof skippedInputSchema>

/**
 * One version of every item (a pack target): its own prompt and params over the batch's, and how its
 * answer is finished. A batch with variants runs files × models × variants.
 */
const batchVariantSchema = z.object({
  prompt: z.string().trim().min(1).max(100_000),
  params: requestParamsSchema.partial().default({}),
  finish: packFinishSchema.optional()
})
/** What to run: files × (prompt or template + variables) × models, n images each. */
export const batchSpecSchema = z
  .object({
    name: z.string().max(200).optional(),
    kind: requestKindSchema.default('edit'),
    /** One item per file (per model); an edit needs at least one file. */
    files: z.array(jobInputSchema).max(10_000).default([]),
    /**
     * Files chosen for the batch that cannot be used (damaged, not an image): each becomes a settled
     * "skipped" item per model, with its reason, so the report and the history list it; nothing is sent.
     */
    skipped: z.array(skippedInputSchema).max(10_000).default([]),
    /** Reference images sent with every item, in this order, after the item's own file (shared/references.ts). */
    references: z.array(jobInputSchema).max(MAX_REFERENCES).default([]),
    prompt: z.string().max(100_000).optional(),
    /** Text added after the prompt (or the rendered template), each as its own paragraph: a brand kit's snippets. */
    promptAdditions: z.array(z.string().trim().min(1).max(4000)).max(20).default([]),
    templateId: z.string().optional(),
    variables: z.record(z.string(), z.string()).default({}),
    models: z
      .array(
        z.object({
          model: z.string().trim().min(1).max(200),
          provider: providerIdSchema,
          /** This model's own settings, merged over `params` for its items only. */
          params: requestParamsSchema.partial().optional()
        })
      )
      .min(1)
      .max(8),
    params: requestParamsSchema.default({ n: 1 }),
    route: z.enum(['sync', 'async']).default('sync'),
    /** Fan each input out to every model as one compare group (2–4 models). */
    compare: z.boolean().default(false),
    concurrency: z.number().int().min(1).max(8).optional(),
    budgetCredits: z.number().positive().nullable().default(null),
    /** Items identical to an earlier success: skip them, run them again, or hold them until the user decides. */
    duplicates: z.enum(['skip', 'run', 'ask']).default('ask'),
    outputDir: z.string().max(4096).optional(),
    sandbox: z.boolean().default(false),
    /** Continue from this earlier output (its file is the one input): one file, one model. */
    parent: parentRefSchema.optional(),
    /** A mask stored for the one file of this edit (see core/masks/store.ts). */
    mask: maskRefSchema.optional(),
    variants: z.array(batchVariantSchema).max(24).default([])
  })
  .refine((s) => Boolean(s.prompt?.trim()) || Boolean(s.templateId) || s.variants.length > 0, { message: 'Write a prompt or pick a template', path: ['prompt'] })
  .refine((s) => s.kind === 'generate' || s.files.length > 0, { message: 'An edit batch needs at least one file', path: ['files'] })
  .refine((s) => !s.parent || (s.files.length === 1 && s.kind === 'edit'), { message: 'Continuing from a version edits exactly that one image', path: ['parent'] })
  .refine((s) => !s.mask || (s.files.length === 1 && s.kind === 'edit'), { message: 'A mask belongs to exactly one image to edit', path: ['mask'] })
  .refine((s) => !s.compare || (s.models.length >= 2 && s.models.length <= 4), {
    message: 'A comparison needs 2 to 4 models',
    path: ['models']
  })
export type BatchSpec = z.input<typeof batchSpecSchema>
export type ParsedBatchSpec = z.output<typeof batchSpecSchema>

export interface BatchCounts {
  total: number
  queued: number
  active: number
  done: number
  failed: number
  cancelled: number
  interrupted: number
  /** Files that could not be used, never sent. */
  skipped: number
  /** Queued items held back (budget, duplicate decision, network, rate limit, backoff). */
  waiting: number
}

/** A batch without its items: what lists and progress bars need. */
export interface BatchSummary {
  id: string
  name: string
  kind: Batch['kind']
  state: BatchState
  createdAt: string
  finishedAt?: string
  models: string[]
  counts: BatchCounts
  /** Sum of item estimates (unpriced items excluded). */
  estimate: number
  /** Credits charged so far (provider's figure, or the estimate where it did not say). */
  charged: number
  /** Estimates of items running right now (held against the budget). */
  reserved: number
  budget: number | null
  /** A plain sentence while the batch is held up: rate limit, offline, budget. */
  notice?: string
  report?: BatchReport
}

export interface BatchEstimate {
  items: number
  perModel: Array<{ model: string; perItem: number | null; items: number; total: number | null }>
  /** Total credits of priced items. */
  total: number
  unpriced: string[]
  duplicates: Array<{ source: string; model: string; recordId: string; at: string }>
}

export interface NetworkState {
  online: boolean
  /** When the next reachability probe runs, while offline. */
  nextProbeAt?: string
  /** Why the engine thinks it is offline. */
  reason?: string
}

export interface CompareArm {
  itemId: string
  model: string
  provider: string
  state: ItemState
  latencyMs: number | null
  charged: number | null
  estimate: number | null
  recordId?: string
  outputs: JobItem['outputs']
  error?: JobItem['error']
}

export type JobEvent =
  | { type: 'batch.created'; batch: BatchSummary }
  | { type: 'batch.updated'; batch: BatchSummary }
  | { type: 'item.updated'; batchId: string; item: JobItem; progress: { done: number; total: number } }
  | { type: 'network'; network: NetworkState }
  | { type: 'rate_limited'; provider: string; until: string }
  | {
      type: 'budget.reached'
      batchId: string
      scope: 'batch' | 'daily'
      cap: number
      /** Charged plus in-flight reservations when the item was held. */
      committed: number
      needed: number
    }
  | { type: 'batch.finished'; batchId: string; report: BatchReport }
