import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { HistoryVerdict, ReadWarning } from '../../../shared/history'
import type { ProviderId, RequestRecord, RequestStatus } from '../../../shared/records'
import { recordFingerprint } from './fingerprint'
import { fileSize, listMonthFiles, scanFile, type LedgerLine } from './ledger'

/**
 * What the ledger keeps in memory per request: enough to filter, sort, total and find duplicates
 * without touching the disk, plus where the full record lies (read back only for a page of results).
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
  batchId?: string
  compareGroup?: string
  templateId?: string
  jobItemId?: string
  /** Lower-cased prompt, ids and error message, for text search. */
  search: string
  /** Only for succeeded requests: the duplicate guard's key. */
  fingerprint?: string
}

interface FileState {
  indexedBytes: number
  nextLineNumber: number
  entries: Entry[]
  pendingTail: ReadWarning | null
}

/** month-file order × 1e12 + byte offset: exact in a double for files under 1 TB until the year 2700. */
function orderOf(file: string, offset: number): number {
  const year = Number(file.slice(0, 4))
  const month = Number(file.slice(5, 7))
  return ((year - 2000) * 12 + (month - 1)) * 1e12 + offset
}

/**
 * An index of the ledger built lazily, file by file, newest months first as far back as a question
 * needs, and brought up to date before every answer by reading only what was appended since (by this
 * process or any other). The month files loaded are always the newest ones, without gaps, so every
 * deletion and verdict about a loaded record is loaded too (they are always written after the record).
 */
export class LedgerIndex {
  private readonly files = new Map<string, FileState>()
  private readonly byId = new Map<string, Entry>()
  private readonly deleted = new Map<string, number>()
  private readonly verdicts = new Map<string, { verdict: HistoryVerdict; order: number }>()
  private readonly byBatch = new Map<string, Entry[]>()
  private readonly byGroup = new Map<string, Entry[]>()
  private readonly byJobItem = new Map<string, Entry[]>()
  private readonly byFingerprint = new Map<string, Entry[]>()
  private readonly badLines = new Map<string, ReadWarning>()
  private refreshing: Promise<void> = Promise.resolve()

  constructor(private readonly dir: string) {}

  /**
   * Loads every month file from `firstFile` on (all when undefined) and reads what was appended to the
   * loaded ones since last time. Calls run one after another.
   */
  refresh(firstFile?: string): Promise<void> {
    const run = this.refreshing.catch(() => undefined).then(() => this.doRefresh(firstFile))
    this.refreshing = run
    return run
  }

  private async doRefresh(firstFile: string | undefined): Promise<void> {
    const names = await listMonthFiles(this.dir)
    const earliestLoaded = [...this.files.keys()].sort()[0]
    // Never leave a gap: what is loaded stays a run of the newest months.
    const threshold =
      firstFile === undefined ? undefined : earliestLoaded !== undefined && earliestLoaded < firstFile ? earliestLoaded : firstFile
    for (const name of names) {
      if (threshold !== undefined && name < threshold) continue
      if (await this.readNew(name)) {
        // A file shrank or vanished: it was replaced behind our back. Start over rather than guess.
        this.clear()
        return this.doRefresh(firstFile)
      }
    }
  }

  /** Returns true when the file is shorter than what was indexed. */
  private async readNew(name: string): Promise<boolean> {
    const path = join(this.dir, name)
    let state = this.files.get(name)
    const size = await fileSize(path)
    if (size === null) return state !== undefined
    if (state && size < state.indexedBytes) return true
    if (state && size === state.indexedBytes) return false
    state ??= { indexedBytes: 0, nextLineNumber: 1, entries: [], pendingTail: null }
    const scan = await scanFile(path, state.indexedBytes, state.nextLineNumber, () => nextTurn())
    for (const { line, offset, length } of scan.lines) this.add(name, state, line, offset, length)
    for (const bad of scan.bad) {
      this.badLines.set(`${name}:${bad.offset}`, { file: name, line: bad.lineNumber, reason: bad.reason })
    }
    state.indexedBytes = scan.endOffset
    state.nextLineNumber = scan.nextLineNumber
    state.pendingTail = scan.pendingTail
      ? {
          file: name,
          line: scan.nextLineNumber,
          reason: `unfinished last line (${scan.pendingTail.bytes} bytes): still being written, or cut short by a crash`
        }
      : null
    this.files.set(name, state)
    return false
  }

  private add(file: string, state: FileState, line: LedgerLine, offset: number, length: number): void {
    const order = orderOf(file, offset)
    if (line.type === 'delete') {
      if ((this.deleted.get(line.id) ?? -1) < order) this.deleted.set(line.id, order)
      return
    }
    if (line.type === 'verdict') {
      const { type: _type, ...verdict } = line
      const known = this.verdicts.get(line.compareGroup)
      if (!known || known.order < order) this.verdicts.set(line.compareGroup, { verdict, order })
      return
    }
    const entry = toEntry(line.record, file, offset, length, order)
    state.entries.push(entry)
    const known = this.byId.get(entry.id)
    if (!known || known.order < order) this.byId.set(entry.id, entry)
    push(this.byBatch, entry.batchId, entry)
    push(this.byGroup, entry.compareGroup, entry)
    push(this.byJobItem, entry.jobItemId, entry)
    push(this.byFingerprint, entry.fingerprint, entry)
  }

  private clear(): void {
    for (const map of [this.files, this.byId, this.deleted, this.verdicts, this.byBatch, this.byGroup, this.byJobItem, this.byFingerprint, this.badLines]) {
      map.clear()
    }
  }

  /** The current line for a record id, unless it was deleted. */
  isVisible(entry: Entry): boolean {
    return this.byId.get(entry.id) === entry && !((this.deleted.get(entry.id) ?? -1) > entry.order)
  }

  get(id: string): Entry | undefined {
    const entry = this.byId.get(id)
    return entry && this.isVisible(entry) ? entry : undefined
  }

  /** Entries newest first (in the order they were written), deleted and superseded ones left out. */
  *newestFirst(): Generator<Entry> {
    const names = [...this.files.keys()].sort().reverse()
    for (const name of names) {
      const entries = this.files.get(name)?.entries ?? []
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]
        if (entry && this.isVisible(entry)) yield entry
      }
    }
  }

  /** A narrower starting set when the question names a batch, compare group or job item. */
  candidates(key: { batchId?: string; compareGroup?: string; jobItemId?: string }): Entry[] | null {
    const list = key.jobItemId !== undefined
      ? this.byJobItem.get(key.jobItemId)
      : key.compareGroup !== undefined
        ? this.byGroup.get(key.compareGroup)
        : key.batchId !== undefined
          ? this.byBatch.get(key.batchId)
          : null
    if (list === null) return null
    return (list ?? []).filter((e) => this.isVisible(e)).sort((a, b) => b.order - a.order)
  }

  withFingerprint(fingerprint: string): Entry[] {
    return (this.byFingerprint.get(fingerprint) ?? []).filter((e) => this.isVisible(e)).sort((a, b) => b.order - a.order)
  }

  verdictFor(compareGroup: string | undefined): HistoryVerdict | undefined {
    return compareGroup === undefined ? undefined : this.verdicts.get(compareGroup)?.verdict
  }

  readWarnings(): ReadWarning[] {
    const tails = [...this.files.values()].flatMap((s) => (s.pendingTail ? [s.pendingTail] : []))
    return [...this.badLines.values(), ...tails]
  }
}

function push(map: Map<string, Entry[]>, key: string | undefined, entry: Entry): void {
  if (key === undefined) return
  const list = map.get(key)
  if (list) list.push(entry)
  else map.set(key, [entry])
}

function toEntry(record: RequestRecord, file: string, offset: number, length: number, order: number): Entry {
  const search = [record.prompt, record.id, ...record.requestIds, record.taskId ?? '', record.error?.message ?? '']
    .join('\n')
    .toLowerCase()
  return {
    id: record.id,
    file,
    offset,
    length,
    order,
    startedMs: Date.parse(record.startedAt),
    model: record.model,
    provider: record.provider,
    status: record.status,
    sandbox: record.sandbox,
    credits: record.cost.credits,
    estimate: record.cost.estimate,
    estimated: record.cost.estimated,
    latencyMs: record.latencyMs,
    batchId: record.batchId,
    compareGroup: record.compareGroup,
    templateId: record.templateId,
    jobItemId: record.jobItemId,
    search,
    fingerprint: record.status === 'succeeded' ? recordFingerprint(record) : undefined
  }
}
