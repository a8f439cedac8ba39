import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { HistoryVerdict, ReadWarning } from '../../../shared/history'
import type { RequestRecord } from '../../../shared/records'
import { recordFingerprint } from './fingerprint'
import type { Entry } from './index-entry'
import {
  decodeStringColumn,
  indexPath,
  lazyColumns,
  loadMonthIndex,
  sweepIndexDir,
  writeMonthIndex,
  type BadMark,
  type DeleteMark,
  type IndexLoad,
  type LazyColumn,
  type LazyColumns,
  type VerdictMark
} from './month-index-file'
import { fileSize, listMonthFiles, orderOf, scanFile, type LedgerLine } from './ledger'

interface FileState {
  indexedBytes: number
  nextLineNumber: number
  entries: Entry[]
  deletes: DeleteMark[]
  verdicts: VerdictMark[]
  bad: BadMark[]
  pendingTail: ReadWarning | null
  /** What the index file on disk covers (as far as this process knows): bytes and next line number. */
  persistedBytes: number
  persistedLines: number
  /** Columns of the persisted index not decoded yet, for its first `count` entries. */
  lazy: { count: number; columns: Partial<LazyColumns> } | null
}

export interface LedgerIndexOptions {
  /**
   * Keep a persisted index per month file in <history>/.index, so the next process to open the history
   * reads it instead of every line. Default true.
   */
  persist?: boolean
}

/** How the index came to be: for diagnostics, and so tests can tell a trusted index from a rebuilt one. */
export interface LedgerIndexStats {
  /** Month files whose persisted index was used. */
  loadedFromIndex: string[]
  /** Persisted indexes found but not trusted (then rebuilt from the month file), with why. */
  rejected: { file: string; reason: string }[]
  /** Lines read and validated from month files (those not covered by a persisted index). */
  linesScanned: number
  indexesWritten: number
  /** The last failure to write an index (queries are answered from the month files regardless). */
  lastWriteError: string | null
}

const KEYED_COLUMNS = ['batchId', 'compareGroup', 'jobItemId'] as const

/** An index on disk is rewritten once this many lines have been read past what it covers. */
const PERSIST_AFTER_LINES = 256
/** Index writes wait this long after a question, so they do not compete with the answer being built. */
const PERSIST_DELAY_MS = 50

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
  /** Built on the first question that needs them, then kept up to date. */
  private keyed: { batch: Map<string, Entry[]>; group: Map<string, Entry[]>; jobItem: Map<string, Entry[]> } | null = null
  private byFingerprint: Map<string, Entry[]> | null = null
  private readonly badLines = new Map<string, ReadWarning>()
  private refreshing: Promise<void> = Promise.resolve()
  private readonly persist: boolean
  private readonly dirty = new Set<string>()
  private persistTimer: NodeJS.Timeout | null = null
  private persisting: Promise<void> = Promise.resolve()
  private swept = false
  private distrusted = false
  private closed = false
  private readonly statistics: LedgerIndexStats = { loadedFromIndex: [], rejected: [], linesScanned: 0, indexesWritten: 0, lastWriteError: null }

  constructor(
    private readonly dir: string,
    options: LedgerIndexOptions = {}
  ) {
    this.persist = options.persist ?? true
  }

  /**
   * Loads every month file from `firstFile` on (all when undefined) and reads what was appended to the
   * loaded ones since last time. Calls run one after another.
   */
  refresh(firstFile?: string): Promise<void> {
    return this.queue(() => this.doRefresh(firstFile))
  }

  /**
   * A record read back for a page was not where the index said (the index did not match its month
   * file after all): drops the month file's persisted index and everything in memory, so the next
   * refresh rebuilds from the month files. takeDistrusted() tells the caller to ask again.
   */
  distrust(file: string): Promise<void> {
    this.distrusted = true
    return this.queue(async () => {
      await unlink(indexPath(this.dir, file)).catch(() => undefined)
      this.dirty.clear()
      this.clear()
    })
  }

  /** True once after distrust(): the answer just built may be incomplete. */
  takeDistrusted(): boolean {
    const was = this.distrusted
    this.distrusted = false
    return was
  }

  private queue(run: () => Promise<void>): Promise<void> {
    const next = this.refreshing.catch(() => undefined).then(run)
    this.refreshing = next
    return next
  }

  private async doRefresh(firstFile: string | undefined): Promise<void> {
    const names = await listMonthFiles(this.dir)
    const earliestLoaded = [...this.files.keys()].sort()[0]
    // Never leave a gap: what is loaded stays a run of the newest months.
    const threshold =
      firstFile === undefined ? undefined : earliestLoaded !== undefined && earliestLoaded < firstFile ? earliestLoaded : firstFile
    const wanted = names.filter((name) => threshold === undefined || name >= threshold)
    // Every month file's size and persisted index are read at once: one after another, each waits its
    // turn on a busy machine for little work.
    const sizes = wanted.map((name) => fileSize(join(this.dir, name)))
    const persisted = wanted.map((name, i) =>
      this.persist && !this.files.has(name)
        ? (sizes[i] as Promise<number | null>).then((size) => (size === null ? null : this.loadIndexFile(name, size)))
        : undefined
    )
    // Settled up front: if this refresh starts over, the ones not awaited below must not be left rejected.
    for (const p of [...sizes, ...persisted]) p?.catch(() => undefined)
    for (const [i, name] of wanted.entries()) {
      if (await this.readNew(name, await (sizes[i] as Promise<number | null>), persisted[i])) {
        // A file shrank or vanished: it was replaced behind our back. Start over rather than guess.
        this.clear()
        return this.doRefresh(firstFile)
      }
    }
  }

  private loadIndexFile(name: string, size: number): Promise<IndexLoad | null> {
    return loadMonthIndex(this.dir, name, size).catch((err: unknown) => ({
      ok: false as const,
      reason: `could not be checked (${(err as Error).message})`
    }))
  }

  /** Returns true when the file is shorter than what was indexed. */
  private async readNew(name: string, size: number | null, persisted: Promise<IndexLoad | null> | undefined): Promise<boolean> {
    const path = join(this.dir, name)
    let state = this.files.get(name)
    if (size === null) return state !== undefined
    if (state && size < state.indexedBytes) return true
    if (state && size === state.indexedBytes) return false
    if (!state) {
      state = emptyState()
      if (this.persist) this.applyPersisted(name, state, await (persisted ?? this.loadIndexFile(name, size)))
      this.files.set(name, state)
      if (size === state.indexedBytes) return false
    }
    const scan = await scanFile(path, state.indexedBytes, state.nextLineNumber, () => nextTurn())
    for (const { line, offset, length } of scan.lines) this.add(name, state, line, offset, length)
    for (const bad of scan.bad) this.addBad(name, state, { offset: bad.offset, line: bad.lineNumber, reason: bad.reason })
    this.statistics.linesScanned += scan.nextLineNumber - state.nextLineNumber
    state.indexedBytes = scan.endOffset
    state.nextLineNumber = scan.nextLineNumber
    state.pendingTail = scan.pendingTail
      ? {
          file: name,
          line: scan.nextLineNumber,
          reason: `unfinished last line (${scan.pendingTail.bytes} bytes): still being written, or cut short by a crash`
        }
      : null
    if (
      this.persist &&
      state.indexedBytes > state.persistedBytes &&
      (state.persistedBytes === 0 || state.nextLineNumber - state.persistedLines >= PERSIST_AFTER_LINES)
    ) {
      this.schedulePersist(name)
    }
    return false
  }

  /** Fills a new file state from the month file's persisted index, when there is one that can be trusted. */
  private applyPersisted(name: string, state: FileState, loaded: IndexLoad | null): void {
    if (loaded === null) return
    if (!loaded.ok) {
      this.statistics.rejected.push({ file: name, reason: loaded.reason })
      return
    }
    const { data, lazy } = loaded
    state.lazy = { count: data.entries.length, columns: { ...lazy } }
    // Entries join the maps with their keys, so once a map exists its columns are read at once.
    if (this.keyed) for (const column of KEYED_COLUMNS) this.decodeLazy(name, state, column)
    if (this.byFingerprint) this.decodeLazy(name, state, 'fingerprint')
    for (const entry of data.entries) this.addEntry(state, entry)
    for (const d of data.deletes) this.addDelete(name, state, d.id, d.offset)
    for (const v of data.verdicts) this.addVerdict(name, state, v.verdict, v.offset)
    for (const b of data.bad) this.addBad(name, state, b)
    state.indexedBytes = state.persistedBytes = data.sourceBytes
    state.nextLineNumber = state.persistedLines = data.nextLineNumber
    this.statistics.loadedFromIndex.push(name)
  }

  private schedulePersist(name: string): void {
    if (this.closed) return
    this.dirty.add(name)
    if (this.persistTimer) return
    this.persistTimer = setTimeout(() => void this.flush(), PERSIST_DELAY_MS)
    // A process about to exit should not stay alive for an index; close() writes what is pending.
    this.persistTimer.unref()
  }

  /** Writes the indexes that are behind, one after another. Resolves when they are on disk (or failed). */
  flush(): Promise<void> {
    if (this.persistTimer) clearTimeout(this.persistTimer)
    this.persistTimer = null
    const names = [...this.dirty]
    this.dirty.clear()
    const run = this.persisting.then(async () => {
      if (!this.swept) {
        this.swept = true
        await sweepIndexDir(this.dir, await listMonthFiles(this.dir)).catch(() => undefined)
      }
      for (const name of names) {
        const state = this.files.get(name)
        if (!state || state.indexedBytes === 0) continue
        try {
          for (const column of lazyColumns) this.decodeLazy(name, state, column)
        } catch {
          continue
        }
        // The arrays only grow, so copies of their current length describe exactly state.indexedBytes.
        const data = {
          file: name,
          sourceBytes: state.indexedBytes,
          nextLineNumber: state.nextLineNumber,
          entries: state.entries.slice(),
          deletes: state.deletes.slice(),
          verdicts: state.verdicts.slice(),
          bad: state.bad.slice()
        }
        try {
          await writeMonthIndex(this.dir, data)
          state.persistedBytes = data.sourceBytes
          state.persistedLines = data.nextLineNumber
          this.statistics.indexesWritten++
        } catch (err) {
          // The month files still answer every question; the next process simply reads them again.
          this.statistics.lastWriteError = (err as Error).message
        }
        await nextTurn()
      }
    })
    this.persisting = run
    return run
  }

  /** Writes pending indexes and stops writing more. */
  async close(): Promise<void> {
    this.closed = true
    await this.flush()
  }

  stats(): LedgerIndexStats {
    return { ...this.statistics, loadedFromIndex: [...this.statistics.loadedFromIndex], rejected: [...this.statistics.rejected] }
  }

  private add(file: string, state: FileState, line: LedgerLine, offset: number, length: number): void {
    if (line.type === 'delete') return this.addDelete(file, state, line.id, offset)
    if (line.type === 'verdict') {
      const { type: _type, ...verdict } = line
      return this.addVerdict(file, state, verdict, offset)
    }
    this.addEntry(state, toEntry(line.record, file, offset, length, orderOf(file, offset)))
  }

  private addEntry(state: FileState, entry: Entry): void {
    state.entries.push(entry)
    const known = this.byId.get(entry.id)
    if (!known) this.byId.set(entry.id, entry)
    else if (known.order < entry.order) {
      known.superseded = true
      this.byId.set(entry.id, entry)
    } else entry.superseded = true
    if (this.keyed) {
      push(this.keyed.batch, entry.batchId, entry)
      push(this.keyed.group, entry.compareGroup, entry)
      push(this.keyed.jobItem, entry.jobItemId, entry)
    }
    if (this.byFingerprint) push(this.byFingerprint, entry.fingerprint, entry)
  }

  /**
   * Decodes one deferred column of a persisted index into its entries. The index passed its checksum,
   * so this fails only if it was written wrong: it is then dropped and rebuilt (see distrust).
   */
  private decodeLazy(file: string, state: FileState, column: LazyColumn): void {
    const raw = state.lazy?.columns[column]
    if (!state.lazy || !raw) return
    let values: (string | null)[]
    try {
      values = decodeStringColumn(raw, state.lazy.count, column, column !== 'search')
    } catch (err) {
      void this.distrust(file)
      throw new Error(`The history index for ${file} is damaged (${(err as Error).message}); it is being rebuilt from the month file, ask again.`, { cause: err })
    }
    const { entries } = state
    for (let i = 0; i < values.length; i++) {
      const value = values[i]
      if (value !== null && value !== undefined) (entries[i] as Entry)[column] = value
    }
    delete state.lazy.columns[column]
  }

  /** Makes these fields available on every loaded entry: call before a question reads them. */
  need(columns: Iterable<LazyColumn>): void {
    for (const column of columns) for (const [name, state] of this.files) this.decodeLazy(name, state, column)
  }

  private addDelete(file: string, state: FileState, id: string, offset: number): void {
    const order = orderOf(file, offset)
    state.deletes.push({ id, offset })
    if ((this.deleted.get(id) ?? -1) < order) this.deleted.set(id, order)
  }

  private addVerdict(file: string, state: FileState, verdict: HistoryVerdict, offset: number): void {
    const order = orderOf(file, offset)
    state.verdicts.push({ offset, verdict })
    const known = this.verdicts.get(verdict.compareGroup)
    if (!known || known.order < order) this.verdicts.set(verdict.compareGroup, { verdict, order })
  }

  private addBad(file: string, state: FileState, bad: BadMark): void {
    state.bad.push(bad)
    this.badLines.set(`${file}:${bad.offset}`, { file, line: bad.line, reason: bad.reason })
  }

  private clear(): void {
    for (const map of [this.files, this.byId, this.deleted, this.verdicts, this.badLines]) map.clear()
    this.keyed = null
    this.byFingerprint = null
  }

  /** The current line for a record id, unless it was deleted. */
  isVisible(entry: Entry): boolean {
    return !entry.superseded && (this.deleted.size === 0 || !((this.deleted.get(entry.id) ?? -1) > entry.order))
  }

  private allEntries(): Entry[][] {
    return [...this.files.values()].map((s) => s.entries)
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
    if (key.jobItemId === undefined && key.compareGroup === undefined && key.batchId === undefined) return null
    if (!this.keyed) {
      this.need(KEYED_COLUMNS)
      const keyed = { batch: new Map<string, Entry[]>(), group: new Map<string, Entry[]>(), jobItem: new Map<string, Entry[]>() }
      for (const entries of this.allEntries()) {
        for (const e of entries) {
          push(keyed.batch, e.batchId, e)
          push(keyed.group, e.compareGroup, e)
          push(keyed.jobItem, e.jobItemId, e)
        }
      }
      this.keyed = keyed
    }
    const list = key.jobItemId !== undefined
      ? this.keyed.jobItem.get(key.jobItemId)
      : key.compareGroup !== undefined
        ? this.keyed.group.get(key.compareGroup)
        : key.batchId !== undefined
          ? this.keyed.batch.get(key.batchId)
          : null
    if (list === null) return null
    return (list ?? []).filter((e) => this.isVisible(e)).sort((a, b) => b.order - a.order)
  }

  withFingerprint(fingerprint: string): Entry[] {
    if (!this.byFingerprint) {
      this.need(['fingerprint'])
      const map = new Map<string, Entry[]>()
      for (const entries of this.allEntries()) for (const e of entries) push(map, e.fingerprint, e)
      this.byFingerprint = map
    }
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

function emptyState(): FileState {
  return { indexedBytes: 0, nextLineNumber: 1, entries: [], deletes: [], verdicts: [], bad: [], pendingTail: null, persistedBytes: 0, persistedLines: 1, lazy: null }
}

function push(map: Map<string, Entry[]>, key: string | undefined, entry: Entry): void {
  if (key === undefined) return
  const list = map.get(key)
  if (list) list.push(entry)
  else map.set(key, [entry])
}

function toEntry(record: RequestRecord, file: string, offset: number, length: number, order: number): Entry {
  // The chain's original hash and the parent's ids make a whole chain of edits one text search away.
  const lineage = [record.rootSha256 ?? '', record.parent?.recordId ?? '', record.parent?.requestId ?? '']
  const search = [record.prompt, record.id, ...record.requestIds, record.taskId ?? '', record.error?.message ?? '', ...lineage]
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
    sizeMismatch: record.outputs.some((o) => o.sizeMismatch),
    batchId: record.batchId,
    compareGroup: record.compareGroup,
    templateId: record.templateId,
    jobItemId: record.jobItemId,
    search,
    fingerprint: record.status === 'succeeded' ? recordFingerprint(record) : undefined,
    superseded: false
  }
}
