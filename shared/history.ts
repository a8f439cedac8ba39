import { z } from 'zod'
import { providerIdSchema, requestStatusSchema, verdictSchema, type RecordOutput, type RequestRecord } from './records'

/**
 * What the history ledger answers, shared so the IPC contract can validate the renderer's questions
 * with the same schemas the main process uses.
 */
const isoDateOrTime = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO date such as 2025-03-01 or 2025-03-01T12:00:00Z')

export const historyFilterSchema = z.object({
  /** Inclusive lower bound on the request's start time. A bare date means that day's start, local time. */
  from: isoDateOrTime.optional(),
  /** Inclusive upper bound; a bare date means the end of that day, local time. */
  to: isoDateOrTime.optional(),
  model: z.string().max(200).optional(),
  provider: providerIdSchema.optional(),
  status: requestStatusSchema.optional(),
  /** Case-insensitive words, all of which must appear in the prompt, the ids or the error message. */
  text: z.string().max(500).optional(),
  batchId: z.string().max(200).optional(),
  compareGroup: z.string().max(200).optional(),
  templateId: z.string().max(200).optional(),
  jobItemId: z.string().max(200).optional(),
  /** true: only sandbox requests; false: only real ones; absent: both. */
  sandbox: z.boolean().optional()
})
export type HistoryFilter = z.infer<typeof historyFilterSchema>

const historySorts = ['newest', 'oldest', 'credits_desc', 'latency_desc'] as const
export type HistorySort = (typeof historySorts)[number]

export const historyQuerySchema = historyFilterSchema.extend({
  sort: z.enum(historySorts).optional(),
  /** 1-based. */
  page: z.number().int().min(1).optional(),
  pageSize: z.number().int().min(1).max(500).optional()
})
export type HistoryQuery = z.infer<typeof historyQuerySchema>

export const totalsGroupings = ['model', 'day', 'batch', 'provider'] as const
export type TotalsGrouping = (typeof totalsGroupings)[number]

export const totalsQuerySchema = historyFilterSchema.extend({ by: z.enum(totalsGroupings) })
export type TotalsQuery = z.infer<typeof totalsQuerySchema>

export const verdictInputSchema = z.object({
  compareGroup: z.string().min(1).max(200),
  verdict: verdictSchema,
  /** The record the user picked as the winner, for verdict "pick" (or to note a favourite). */
  pickedRecordId: z.string().max(200).optional(),
  note: z.string().max(2000).optional()
})
export type VerdictInput = z.infer<typeof verdictInputSchema>

export interface HistoryVerdict extends VerdictInput {
  at: string
}

export interface HistoryOutput extends RecordOutput {
  /** The file is no longer on disk (moved or deleted outside Pixdesk); checked when the entry is read. */
  fileMissing: boolean
}

export type HistoryItem = Omit<RequestRecord, 'outputs'> & {
  outputs: HistoryOutput[]
  /** The latest verdict for the item's compare group, if one was given. */
  verdict?: HistoryVerdict
}

/** A line of a history file that could not be used: skipped, never fatal, shown to the user. */
export interface ReadWarning {
  file: string
  line: number
  reason: string
}

export interface HistoryPage {
  items: HistoryItem[]
  total: number
  page: number
  pageSize: number
  pages: number
  readWarnings: ReadWarning[]
}

export interface TotalsRow {
  /** Model id, provider id, batch id ('' for requests outside a batch), or local day YYYY-MM-DD. */
  key: string
  count: number
  succeeded: number
  failed: number
  cancelled: number
  interrupted: number
  /** Files skipped because they could not be used (no request, no credits). */
  skipped: number
  /** Credits booked: the provider's figure where it reported one, else the catalog estimate. */
  credits: number
  /** Part of `credits` the provider itself reported. */
  reportedCredits: number
  /** The catalog estimate for the same requests, for comparing charged vs estimated. */
  estimatedCredits: number
  /** Requests whose cost is only an estimate (the provider did not report one). */
  unreportedCount: number
  latencyMsAverage: number
  /** Requests with a result not at the size asked for: which models ignore sizes. */
  sizeMismatches: number
}

export interface TotalsResult {
  by: TotalsGrouping
  rows: TotalsRow[]
  overall: TotalsRow
  readWarnings: ReadWarning[]
}

export const deleteEntryOptionsSchema = z.object({
  /** Also delete the entry's output files (and sidecars) from disk. */
  deleteFiles: z.boolean()
})

export interface DeleteEntryResult {
  id: string
  deleted: boolean
  filesDeleted: string[]
  /** Files that could not be deleted, with the reason; the entry is deleted anyway. */
  filesFailed: { path: string; reason: string }[]
}

export const spendIntervals = ['day', 'week', 'month'] as const
export type SpendInterval = (typeof spendIntervals)[number]

export const spendQuerySchema = historyFilterSchema.extend({
  /** Bucket size; absent: days for ranges up to 60 days, weeks up to a year, months beyond. */
  by: z.enum(spendIntervals).optional()
})
export type SpendQuery = z.infer<typeof spendQuerySchema>

/** One model's requests in one bucket (or in the whole range). */
export interface SpendCell {
  model: string
  /** Credits booked, as in the totals: the provider's figure where it reported one, else the estimate. */
  credits: number
  /**
   * Interrupted requests that may have been charged without a result: their estimate, kept apart from
   * `credits` because nobody knows yet whether they were paid for.
   */
  atRisk: number
  count: number
  failed: number
  interrupted: number
}

export interface SpendBucket {
  /** First local day of the bucket, YYYY-MM-DD (a Monday for weeks, the 1st for months). */
  start: string
  /** Last local day of the bucket, YYYY-MM-DD. */
  end: string
  credits: number
  atRisk: number
  count: number
  /** Models with at least one request in the bucket, most credits first. */
  models: SpendCell[]
}

export interface SpendResult {
  by: SpendInterval
  /** Every bucket from the first day of the range to its last, empty ones included, oldest first. */
  buckets: SpendBucket[]
  /** The whole range per model, most credits first. */
  models: SpendCell[]
  overall: Omit<SpendCell, 'model'>
  readWarnings: ReadWarning[]
}
