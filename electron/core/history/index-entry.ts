import type { ProviderId, RequestStatus } from '../../../shared/records'

/**
 * What the ledger keeps in memory per request: enough to filter, sort, total and find duplicates
 * without touching the disk, plus where the full record lies (read back only for a page of results).
 * Entries read from a persisted index get batchId, compareGroup, templateId, jobItemId, search and
 * fingerprint only once a question needs them (see need()): most questions do not, and decoding them
 * is most of the work of loading an index.
 */
export interface Entry {
  id: string
  file: string
  offset: number
  length: number
  /** Position in the ledger: later lines have larger orders, across files too. */
  order: number
  startedMs: number
  model: string
  provider: ProviderId
  status: RequestStatus
  sandbox: boolean
  credits: number
  estimate: number
  estimated: boolean
  latencyMs: number
  /** At least one result was not at the size asked for. */
  sizeMismatch: boolean
  batchId?: string
  compareGroup?: string
  templateId?: string
  jobItemId?: string
  /** Lower-cased prompt, ids and error message, for text search. */
  search?: string
  /** Only for succeeded requests: the duplicate guard's key. */
  fingerprint?: string
  /** A later line carries the same record id. */
  superseded: boolean
}
