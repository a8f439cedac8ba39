import { create, type StateCreator } from 'zustand'
import type { AppErrorData } from '@shared/errors'
import type { DeleteEntryResult, HistoryQuery, SpendInterval, SpendResult, TotalsRow } from '@shared/history'
import type { HistoryEntryView, LineageView } from '@shared/views'
import { useClipboard } from '../../app/clipboard'
import { useUi } from '../../app/uiStore'
import { api } from '../../lib/api'
import { asError } from '../../lib/format'

export type HistoryFilter = Omit<HistoryQuery, 'page' | 'pageSize' | 'jobItemId'>
export type TotalsBy = 'model' | 'day' | 'batch' | 'provider'
/** 'auto': days for ranges up to 60 days, weeks up to a year, months beyond (the ledger decides). */
export type SpendBy = 'auto' | SpendInterval

const PAGE_SIZE = 200

interface HistoryState {
  filter: HistoryFilter
  items: HistoryEntryView[]
  total: number
  /** Pages loaded so far; the virtual list asks for the next one as it nears the end. */
  pages: number
  warnings: string[]
  loading: boolean
  error: AppErrorData | null
  totalsBy: TotalsBy
  totals: TotalsRow[]
  overall: TotalsRow | null
  totalsError: AppErrorData | null
  spendBy: SpendBy
  spend: SpendResult | null
  spendError: AppErrorData | null
  selectedId: string | null
  exporting: boolean
  exportResult: { path: string | null; count: number } | null
  exportError: AppErrorData | null
  setFilter(patch: Partial<HistoryFilter>): void
  clearFilter(): void
  query(): Promise<void>
  loadMore(): Promise<void>
  loadTotals(by?: TotalsBy): Promise<void>
  /** Credits over time by model for the list's filter (the chart beside the totals). */
  loadSpend(by?: SpendBy): Promise<void>
  select(id: string | null): void
  /** The chain of edits of the selected entry, for its details. */
  lineage: LineageView | null
  lineageError: AppErrorData | null
  loadLineage(recordId: string): Promise<void>
  /** Selects an entry, fetching it when the list (filtered or not yet paged that far) does not hold it. */
  openEntry(id: string): Promise<void>
  exportAs(format: 'csv' | 'json'): Promise<void>
  remove(id: string, deleteFiles: boolean): Promise<DeleteEntryResult>
  /** Shows one output of a record in the system file manager; rejects with AppErrorData when the file is gone. */
  revealOutput(recordId: string, index: number): Promise<void>
  /** Puts the record's support bundle (ids, record, error, output hashes; never a key) on the clipboard. */
  copySupportBundle(recordId: string): Promise<void>
}

/** Empty strings from form fields mean "no filter" and must not reach the schema as values. */
function clean(filter: HistoryFilter): HistoryFilter {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(filter)) if (value !== undefined && value !== '') out[key] = value
  return out as HistoryFilter
}

// A slice reads the whole state (totals and exports follow the list's filter) but supplies only its own keys.
type Slice<K extends keyof HistoryState> = StateCreator<HistoryState, [], [], Pick<HistoryState, K>>

let seq = 0
let spendSeq = 0

const listSlice: Slice<'filter' | 'items' | 'total' | 'pages' | 'warnings' | 'loading' | 'error' | 'setFilter' | 'clearFilter' | 'query' | 'loadMore'> = (set, get) => ({
  filter: { sort: 'newest' },
  items: [],
  total: 0,
  pages: 0,
  warnings: [],
  loading: false,
  error: null,
  setFilter(patch) {
    set({ filter: { ...get().filter, ...patch } })
    void get().query()
  },
  clearFilter() {
    set({ filter: { sort: 'newest' } })
    void get().query()
  },
  async query() {
    const mine = ++seq
    set({ loading: true, error: null })
    try {
      const page = await api.invoke('history.query', { ...clean(get().filter), page: 1, pageSize: PAGE_SIZE })
      // A slower answer to an older filter must not overwrite a newer one.
      if (mine !== seq) return
      set({ items: page.items, total: page.total, pages: 1, warnings: page.warnings, loading: false })
    } catch (err) {
      if (mine === seq) set({ error: asError(err), loading: false, items: [], total: 0, pages: 0 })
    }
    void get().loadTotals()
    void get().loadSpend()
  },
  async loadMore() {
    const { loading, items, total, pages } = get()
    if (loading || items.length >= total) return
    const mine = seq
    set({ loading: true })
    try {
      const page = await api.invoke('history.query', { ...clean(get().filter), page: pages + 1, pageSize: PAGE_SIZE })
      if (mine !== seq) return
      const known = new Set(get().items.map((i) => i.id))
      set({ items: [...get().items, ...page.items.filter((i) => !known.has(i.id))], pages: pages + 1, total: page.total, loading: false })
    } catch (err) {
      if (mine === seq) set({ error: asError(err), loading: false })
    }
  }
})

const spendSlice: Slice<'totalsBy' | 'totals' | 'overall' | 'totalsError' | 'spendBy' | 'spend' | 'spendError' | 'loadTotals' | 'loadSpend'> = (set, get) => ({
  totalsBy: 'model',
  totals: [],
  overall: null,
  totalsError: null,
  spendBy: 'auto',
  spend: null,
  spendError: null,
  async loadTotals(by) {
    const totalsBy = by ?? get().totalsBy
    set({ totalsBy })
    // Totals answer for the same filter as the list, so the two never disagree.
    const { sort: _sort, ...filter } = clean(get().filter)
    try {
      const result = await api.invoke('history.totals', { ...filter, by: totalsBy })
      set({ totals: result.rows, overall: result.overall, totalsError: null })
    } catch (err) {
      set({ totals: [], overall: null, totalsError: asError(err) })
    }
  },
  async loadSpend(by) {
    const spendBy = by ?? get().spendBy
    set({ spendBy })
    const { sort: _sort, ...filter } = clean(get().filter)
    const mine = ++spendSeq
    try {
      const spend = await api.invoke('history.spend', spendBy === 'auto' ? filter : { ...filter, by: spendBy })
      if (mine === spendSeq) set({ spend, spendError: null })
    } catch (err) {
      if (mine === spendSeq) set({ spend: null, spendError: asError(err) })
    }
  }
})

const entrySlice: Slice<'selectedId' | 'select' | 'lineage' | 'lineageError' | 'loadLineage' | 'openEntry' | 'remove' | 'revealOutput' | 'copySupportBundle'> = (set, get) => ({
  selectedId: null,
  select: (selectedId) => set({ selectedId }),
  lineage: null,
  lineageError: null,
  async loadLineage(recordId) {
    set({ lineageError: null })
    try {
      const lineage = await api.invoke('history.lineage', { recordId })
      if (get().selectedId === recordId) set({ lineage })
    } catch (err) {
      set({ lineage: null, lineageError: asError(err) })
    }
  },
  async openEntry(id) {
    if (!get().items.some((i) => i.id === id)) {
      try {
        const entry = await api.invoke('history.get', { id })
        if (!entry) throw new Error(`There is no history entry "${id}" (it may have been deleted).`)
        set({ items: [...get().items, entry] })
      } catch (err) {
        set({ lineageError: asError(err) })
        return
      }
    }
    set({ selectedId: id })
  },
  async remove(id, deleteFiles) {
    try {
      const result = await api.invoke('history.delete', { id, deleteFiles })
      set({ items: get().items.filter((i) => i.id !== id), total: Math.max(0, get().total - 1), selectedId: null })
      void get().loadTotals()
      void get().loadSpend()
      return result
    } catch (err) {
      throw asError(err)
    }
  },
  async revealOutput(recordId, index) {
    try {
      await api.invoke('outputs.reveal', { recordId, index })
    } catch (err) {
      throw asError(err)
    }
  },
  async copySupportBundle(recordId) {
    let text: string
    try {
      text = (await api.invoke('history.supportBundle', { id: recordId })).text
    } catch (err) {
      useUi.getState().toast('error', `The support bundle could not be made: ${asError(err).message}`)
      return
    }
    await useClipboard.getState().copy(text, 'Support bundle')
  }
})

const exportSlice: Slice<'exporting' | 'exportResult' | 'exportError' | 'exportAs'> = (set, get) => ({
  exporting: false,
  exportResult: null,
  exportError: null,
  async exportAs(format) {
    set({ exporting: true, exportError: null, exportResult: null })
    try {
      const { sort: _sort, ...filter } = clean(get().filter)
      const result = await api.invoke('history.export', { format, filter })
      set({ exporting: false, exportResult: result })
    } catch (err) {
      set({ exporting: false, exportError: asError(err) })
    }
  }
})

export const useHistory = create<HistoryState>()((...a) => ({ ...listSlice(...a), ...spendSlice(...a), ...entrySlice(...a), ...exportSlice(...a) }))

/** The support bundle of the entry open in History, or a word on how to get one. */
export function copySelectedSupportBundle(): void {
  const selected = useHistory.getState().selectedId
  if (selected) void useHistory.getState().copySupportBundle(selected)
  else useUi.getState().toast('warning', 'Open a request in History first, then copy its support bundle.')
}
