import { type FileHandle, open, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  historyQuerySchema,
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
  type TotalsQuery,
  type TotalsResult,
  type VerdictInput
} from '../../../shared/history'
import { AppError } from '../../../shared/errors'
import { requestRecordSchema, type RequestRecord } from '../../../shared/records'
import { toCsv, toJson } from './export'
import { LedgerIndex, type Entry } from './ledger-index'
import { historyDir, listMonthFiles, LedgerWriter, monthFileName, readRecordAt, scanBackwards } from './ledger'
import { resolveFilter, select, sortEntries, totalsOf } from './query'

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
  exportCsv(filter?: HistoryFilter): Promise<string>
  exportJson(filter?: HistoryFilter): Promise<string>
  /** Hides the entry (a deletion line is appended) and, when asked, deletes its output files first. */
  deleteEntry(id: string, options: { deleteFiles: boolean }): Promise<DeleteEntryResult>
  /** Every request made for one job item (its retries), newest first. */
  findByJobItem(jobItemId: string): Promise<HistoryItem[]>
  /**
   * The newest succeeded request with this fingerprint (see requestFingerprint), or null. Its outputs
   * carry fileMissing, so the caller can decide whether a request whose files are gone should run again.
   */
  findSucceededDuplicate(fingerprint: string, options?: { since?: string }): Promise<HistoryItem | null>
  /** Lines skipped so far as torn or invalid, for the user to see. */
  readWarnings(): ReadWarning[]
  close(): Promise<void>
}

export interface HistoryOptions {
  /** Clock for choosing the month file; tests move it. */
  now?: () => Date
}

const DEFAULT_PAGE_SIZE = 50
const DAY_MS = 24 * 60 * 60 * 1000

export function openHistory(dataDir: string, options: HistoryOptions = {}): History {
  const dir = historyDir(dataDir)
  const now = options.now ?? (() => new Date())
  const writer = new LedgerWriter(dir, now)
  const index = new LedgerIndex(dir)

  /**
   * The month file to start loading from for a filter: a record is written after it starts, so no
   * record started after `from` is in an earlier month file. A day of margin covers clock changes.
   */
  const firstFileFor = (filter: HistoryFilter): string | undefined => {
    const { fromMs } = resolveFilter(filter)
    return fromMs === undefined || Number.isNaN(fromMs) ? undefined : monthFileName(new Date(fromMs - DAY_MS))
  }

  const materialize = async (entries: Entry[]): Promise<HistoryItem[]> => {
    const byFile = new Map<string, Entry[]>()
    for (const e of entries) {
      const list = byFile.get(e.file)
      if (list) list.push(e)
      else byFile.set(e.file, [e])
    }
    const records = new Map<Entry, RequestRecord>()
    for (const [file, list] of byFile) {
      let handle: FileHandle | null = null
      try {
        handle = await open(join(dir, file), 'r')
        for (const e of list) {
          const record = await readRecordAt(handle, e.offset, e.length)
          if (record) records.set(e, record)
        }
      } finally {
        await handle?.close()
      }
    }
    const items: HistoryItem[] = []
    for (const e of entries) {
      const record = records.get(e)
      if (record) items.push(await toItem(record, index.verdictFor(record.compareGroup)))
    }
    return items
  }

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

    async query(query = {}) {
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
    },

    async recent(limit = DEFAULT_PAGE_SIZE) {
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
    },

    async get(id) {
      await index.refresh()
      const entry = index.get(id)
      return entry ? ((await materialize([entry]))[0] ?? null) : null
    },

    async totals(query) {
      const q = totalsQuerySchema.parse(query)
      await index.refresh(firstFileFor(q))
      const { rows, overall } = totalsOf(select(index, q), q.by)
      return { by: q.by, rows, overall, readWarnings: index.readWarnings() }
    },

    async exportCsv(filter = {}) {
      return toCsv(await exportItems(filter))
    },

    async exportJson(filter = {}) {
      return toJson(await exportItems(filter), filter, now())
    },

    async deleteEntry(id, { deleteFiles }) {
      await index.refresh()
      const entry = index.get(id)
      if (!entry) {
        throw new AppError({ code: 'not_found', message: `There is no history entry "${id}" (it may already have been deleted).` })
      }
      const [item] = await materialize([entry])
      const result: DeleteEntryResult = { id, deleted: true, filesDeleted: [], filesFailed: [] }
      if (deleteFiles && item) {
        // Files first: if Pixdesk stops half way, the entry still lists what is left (as "file missing").
        const paths = item.outputs.flatMap((o) => (o.sidecarPath ? [o.path, o.sidecarPath] : [o.path]))
        for (const path of paths) {
          try {
            await unlink(path)
            result.filesDeleted.push(path)
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code
            if (code !== 'ENOENT') result.filesFailed.push({ path, reason: `${code ?? 'error'}: ${(err as Error).message}` })
          }
        }
      }
      await writer.append({ type: 'delete', at: now().toISOString(), id, deletedFiles: result.filesDeleted })
      return result
    },

    async findByJobItem(jobItemId) {
      await index.refresh()
      return materialize(select(index, { jobItemId }))
    },

    async findSucceededDuplicate(fingerprint, options = {}) {
      await index.refresh(options.since ? firstFileFor({ from: options.since }) : undefined)
      const sinceMs = options.since ? resolveFilter({ from: options.since }).fromMs : undefined
      const entry = index
        .withFingerprint(fingerprint)
        .find((e) => e.status === 'succeeded' && (sinceMs === undefined || e.startedMs >= sinceMs))
      return entry ? ((await materialize([entry]))[0] ?? null) : null
    },

    readWarnings: () => index.readWarnings(),

    close: () => writer.close()
  }

  async function exportItems(filter: HistoryFilter): Promise<HistoryItem[]> {
    const f = historyQuerySchema.parse(filter)
    await index.refresh(firstFileFor(f))
    return materialize(sortEntries(select(index, f), f.sort ?? 'newest'))
  }

  return history
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
