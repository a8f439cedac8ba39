import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  historyQuerySchema,
  spendQuerySchema,
  totalsQuerySchema,
  verdictInputSchema,
  type DeleteEntryResult,
  type HistoryFilter,
  type HistoryItem,
  type HistoryOutput,
  type HistoryPage,
  type HistoryQuery,
  type HistoryVerdict,
  type ReadWarning,
  type SpendQuery,
  type SpendResult,
  type TotalsQuery,
  type TotalsResult,
  type VerdictInput
} from '../../../shared/history'
import { AppError } from '../../../shared/errors'
import { requestRecordSchema, type RequestRecord } from '../../../shared/records'
import { deleteRecordedOutputs } from './careful-delete'
import { toCsv, toJson } from './export'
import type { Entry } from './index-entry'
import { LedgerIndex, type LedgerIndexStats } from './in-memory-index'
import { historyDir, listMonthFiles, LedgerWriter, monthFileName, readRecordsAt, scanBackwards } from './ledger'
import { resolveFilter, select, sortEntries, totalsOf } from './query'
import { spendOf } from './spend'

export interface History {
  /** Writes one request record as one flushed line. Resolves once it is on disk. */
  append(record: RequestRecord): Promise<void>
  appendVerdict(input: VerdictInput): Promise<HistoryVerdict>
  query(query?: HistoryQuery): Promise<HistoryPage>
  /**
   * The newest entries, read backwards from the end of the newest month files without building the
   * index: what the history view shows first. Unusable lines are skipped (query() reports them).
   */
  recent(limit?: number): Promise<HistoryItem[]>
  get(id: string): Promise<HistoryItem | null>
  totals(query: TotalsQuery): Promise<TotalsResult>
  /** Credits over time by model, in local day, week or month buckets (the History chart, `pixdesk history spend`). */
  spend(query: SpendQuery): Promise<SpendResult>
  exportCsv(filter?: HistoryFilter): Promise<string>
  exportJson(filter?: HistoryFilter): Promise<string>
  /** Hides the entry (a deletion line is appended) and, when asked, deletes its output files first. */
  /** With `deleteFiles`, removes only outputs still inside `outputFolders` with their recorded hash. */
  deleteEntry(id: string, options: { deleteFiles: boolean; outputFolders?: readonly string[] }): Promise<DeleteEntryResult>
  /** Every request made for one job item (its retries), newest first. */
  findByJobItem(jobItemId: string): Promise<HistoryItem[]>
  /**
   * The newest succeeded request with this fingerprint (see requestFingerprint), or null. Its outputs
   * carry fileMissing, so the caller can decide whether a request whose files are gone should run again.
   */
  findSucceededDuplicate(fingerprint: string, options?: { since?: string }): Promise<HistoryItem | null>
  /** Lines skipped so far as torn or invalid, for the user to see. */
  readWarnings(): ReadWarning[]
  /** Which month files were answered from their persisted index, which indexes were rebuilt and why. */
  indexStats(): LedgerIndexStats
  /** Writes pending index files, then closes the ledger files. */
  close(): Promise<void>
}

export interface HistoryOptions {
  /** Clock for choosing the month file; tests move it. */
  now?: () => Date
  /** Keep persisted per-month indexes in <history>/.index (default true); false reads only the month files. */
  persistIndex?: boolean
}

const DEFAULT_PAGE_SIZE = 50
const DAY_MS = 24 * 60 * 60 * 1000

export function openHistory(dataDir: string, options: HistoryOptions = {}): History {
  const dir = historyDir(dataDir)
  const now = options.now ?? (() => new Date())
  const writer = new LedgerWriter(dir, now)
  const index = new LedgerIndex(dir, { persist: options.persistIndex ?? true })

  const materialize = (entries: Entry[]) => readItems(dir, index, entries)
  const checked = <T>(answer: () => Promise<T>) => checkedAgainst(index, answer)

  const history: History = {
    async append(record) {
      const parsed = requestRecordSchema.safeParse(record)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new AppError({
          code: 'internal',
          field: issue?.path.join('.'),
          message: `Request record ${record?.id ?? ''} was not written to the history: ${issue?.path.join('.') || 'record'} ${issue?.message ?? 'is invalid'}.`
        })
      }
      const clean = { ...parsed.data, endpoint: safeEndpoint(parsed.data.endpoint) }
      await writer.append({ type: 'request', at: now().toISOString(), record: clean })
    },

    async appendVerdict(input) {
      const verdict = { ...verdictInputSchema.parse(input), at: now().toISOString() }
      await writer.append({ type: 'verdict', ...verdict })
      return verdict
    },

    query: (query = {}) => checked(async () => {
      const q = historyQuerySchema.parse(query)
      await index.refresh(firstFileFor(q))
      const matched = sortEntries(select(index, q), q.sort ?? 'newest')
      const pageSize = q.pageSize ?? DEFAULT_PAGE_SIZE
      const page = q.page ?? 1
      const slice = matched.slice((page - 1) * pageSize, page * pageSize)
      return {
        items: await materialize(slice),
        total: matched.length,
        page,
        pageSize,
        pages: Math.max(1, Math.ceil(matched.length / pageSize)),
        readWarnings: index.readWarnings()
      }
    }),

    recent: (limit = DEFAULT_PAGE_SIZE) => recentItems(dir, limit),

    get: (id) => checked(async () => {
      await index.refresh()
      const entry = index.get(id)
      return entry ? ((await materialize([entry]))[0] ?? null) : null
    }),

    totals: (query) => checked(async () => {
      const q = totalsQuerySchema.parse(query)
      await index.refresh(firstFileFor(q))
      const { rows, overall } = totalsOf(index, select(index, q), q.by)
      return { by: q.by, rows, overall, readWarnings: index.readWarnings() }
    }),

    spend: (query) => checked(async () => {
      const q = spendQuerySchema.parse(query)
      await index.refresh(firstFileFor(q))
      const { fromMs, toMs } = resolveFilter(q)
      const { by: _by, ...filter } = q
      return { ...spendOf(select(index, filter), { fromMs, toMs, nowMs: now().getTime() }, q.by), readWarnings: index.readWarnings() }
    }),

    async exportCsv(filter = {}) {
      return toCsv(await exportItems(filter))
    },

    async exportJson(filter = {}) {
      return toJson(await exportItems(filter), filter, now())
    },

    async deleteEntry(id, { deleteFiles, outputFolders = [] }) {
      const found = await checked(async () => {
        await index.refresh()
        const entry = index.get(id)
        return entry ? { item: (await materialize([entry]))[0] } : null
      })
      if (!found) {
        throw new AppError({ code: 'not_found', message: `There is no history entry "${id}" (it may already have been deleted).` })
      }
      const { item } = found
      const result: DeleteEntryResult = { id, deleted: true, filesDeleted: [], filesFailed: [] }
      if (deleteFiles && item) {
        // Files first: if Pixdesk stops half way, the entry still lists what is left (as "file missing").
        Object.assign(result, await deleteRecordedOutputs(item.outputs, outputFolders))
      }
      await writer.append({ type: 'delete', at: now().toISOString(), id, deletedFiles: result.filesDeleted })
      return result
    },

    findByJobItem: (jobItemId) => checked(async () => {
      await index.refresh()
      return materialize(select(index, { jobItemId }))
    }),

    findSucceededDuplicate: (fingerprint, options = {}) => checked(async () => {
      await index.refresh(options.since ? firstFileFor({ from: options.since }) : undefined)
      const sinceMs = options.since ? resolveFilter({ from: options.since }).fromMs : undefined
      const entry = index
        .withFingerprint(fingerprint)
        .find((e) => e.status === 'succeeded' && (sinceMs === undefined || e.startedMs >= sinceMs))
      return entry ? ((await materialize([entry]))[0] ?? null) : null
    }),

    readWarnings: () => index.readWarnings(),

    indexStats: () => index.stats(),

    async close() {
      await Promise.all([index.close(), writer.close()])
    }
  }

  function exportItems(filter: HistoryFilter): Promise<HistoryItem[]> {
    return checked(async () => {
      const f = historyQuerySchema.parse(filter)
      await index.refresh(firstFileFor(f))
      return materialize(sortEntries(select(index, f), f.sort ?? 'newest'))
    })
  }

  return history
}

/**
 * The month file to start loading from for a filter: a record is written after it starts, so no
 * record started after `from` is in an earlier month file. A day of margin covers clock changes.
 */
function firstFileFor(filter: HistoryFilter): string | undefined {
  const { fromMs } = resolveFilter(filter)
  return fromMs === undefined || Number.isNaN(fromMs) ? undefined : monthFileName(new Date(fromMs - DAY_MS))
}

/** The full records behind index entries, read from the month files; a mismatch distrusts that file's index. */
async function readItems(dir: string, index: LedgerIndex, entries: Entry[]): Promise<HistoryItem[]> {
  const byFile = new Map<string, Entry[]>()
  for (const e of entries) {
    const list = byFile.get(e.file)
    if (list) list.push(e)
    else byFile.set(e.file, [e])
  }
  const records = new Map<Entry, RequestRecord>()
  // Files are read side by side: each read mostly waits its turn in the I/O pool.
  await Promise.all(
    [...byFile].map(async ([file, list]) => {
      const handle = await open(join(dir, file), 'r')
      try {
        const read = await readRecordsAt(handle, list)
        for (const [i, e] of list.entries()) {
          const record = read[i]
          if (record && record.id === e.id) records.set(e, record)
          else await index.distrust(file)
        }
      } finally {
        await handle.close()
      }
    })
  )
  const found = entries.flatMap((e) => {
    const record = records.get(e)
    return record ? [record] : []
  })
  return Promise.all(found.map((record) => toItem(record, index.verdictFor(record.compareGroup))))
}

/**
 * Answers once more when answering showed a persisted index to be wrong: it has been dropped by then,
 * so the second answer comes from the month files.
 */
async function checkedAgainst<T>(index: LedgerIndex, answer: () => Promise<T>): Promise<T> {
  let first: T
  try {
    first = await answer()
  } catch (err) {
    if (index.takeDistrusted()) return answer()
    throw err
  }
  return index.takeDistrusted() ? answer() : first
}

/** The newest records straight from the month files' tails, without the index. */
async function recentItems(dir: string, limit: number): Promise<HistoryItem[]> {
  const names = (await listMonthFiles(dir)).reverse()
  const decided = new Set<string>()
  const verdicts = new Map<string, HistoryVerdict>()
  const found: RequestRecord[] = []
  for (const name of names) {
    if (found.length >= limit) break
    // Read backwards, so deletions and verdicts (written after their records) are seen first.
    await scanBackwards(join(dir, name), ({ decoded }) => {
      if (!decoded.ok) return true
      const line = decoded.line
      if (line.type === 'delete') decided.add(line.id)
      else if (line.type === 'verdict') {
        if (!verdicts.has(line.compareGroup)) {
          const { type: _type, ...verdict } = line
          verdicts.set(line.compareGroup, verdict)
        }
      } else if (!decided.has(line.record.id)) {
        decided.add(line.record.id)
        found.push(line.record)
      }
      return found.length < limit
    })
  }
  return Promise.all(found.map((r) => toItem(r, r.compareGroup === undefined ? undefined : verdicts.get(r.compareGroup))))
}

async function toItem(record: RequestRecord, verdict: HistoryVerdict | undefined): Promise<HistoryItem> {
  const outputs: HistoryOutput[] = await Promise.all(record.outputs.map(async (o) => ({ ...o, fileMissing: await isMissing(o.path) })))
  return verdict ? { ...record, outputs, verdict } : { ...record, outputs }
}

async function isMissing(path: string): Promise<boolean> {
  try {
    await stat(path)
    return false
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'ENOENT' || code === 'ENOTDIR'
  }
}

/** Endpoints are stored without credentials or query string: some providers accept a key as ?key=. */
function safeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint)
    url.username = ''
    url.password = ''
    url.search = ''
    url.hash = ''
    return url.toString()
  } catch {
    return endpoint.split(/[?#]/)[0] ?? ''
  }
}
