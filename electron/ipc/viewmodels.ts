import { basename } from 'node:path'
import type { HistoryItem, HistoryPage } from '../../shared/history'
import type { BatchSummary, JobItem } from '../core/jobs/model'
import type { RecordOutput } from '../../shared/records'
import type {
  AssetView,
  BatchDetailView,
  BatchView,
  HistoryEntryView,
  HistoryPageView,
  ItemState,
  ItemView,
  KeyStatusView,
  OutputView,
  RootView
} from '../../shared/views'
import type { JobEngine } from '../core/jobs/engine'
import type { KeyStatus } from '../core/keychain'
import { assetIdFor, type Library } from '../core/library/library'
import type { LibraryAsset } from '../core/library/types'
import { assetRelPath, assetRootId } from '../core/library/queries'
import type { AssetUrls } from './asset-urls'

/*
 * Service data → what the renderer is shown. The renderer gets names and asset URLs, never the key and
 * never more of a path than the user gave.
 */

export function assetView(asset: LibraryAsset, urls: AssetUrls): AssetView {
  const ok = asset.verdict.ok
  return {
    id: asset.id,
    rootId: assetRootId(asset),
    name: basename(asset.path),
    relPath: assetRelPath(asset),
    format: asset.format,
    width: asset.displayWidth || null,
    height: asset.displayHeight || null,
    bytes: asset.bytes,
    alpha: asset.alpha,
    ok,
    error: asset.verdict.ok ? undefined : asset.verdict.error,
    thumbUrl: ok ? urls.thumbnail(asset) : null,
    originalUrl: ok ? urls.original(asset) : null,
    displayUrl: ok ? urls.display(asset) : null,
    modifiedAt: new Date(asset.mtimeMs || 0).toISOString()
  }
}

/** Imported folders, then files imported on their own, each with counts of what was found in it. */
export function rootViews(library: Library): RootView[] {
  const roots = library.importedRoots()
  const files = library.importedFiles()
  const assets = library.list()
  const watching = library.watching
  const counts = new Map<string, RootView['counts']>()
  for (const asset of assets) {
    const key = asset.root ?? asset.path
    const c = counts.get(key) ?? { total: 0, ok: 0, problems: 0, pending: 0 }
    c.total++
    if (asset.verdict.ok) c.ok++
    else c.problems++
    counts.set(key, c)
  }
  const view = (path: string, kind: RootView['kind']): RootView => ({
    id: assetIdFor(path),
    name: basename(path) || path,
    path,
    kind,
    watching: kind === 'folder' && watching,
    counts: counts.get(path) ?? { total: 0, ok: 0, problems: 0, pending: 0 }
  })
  return [...roots.map((r) => view(r, 'folder')), ...files.map((f) => view(f, 'file'))]
}

export const keyView = (status: KeyStatus): KeyStatusView => ({
  provider: status.provider,
  set: status.set,
  source: status.source,
  last4: status.last4,
  problem: status.error
})

/** What the record says about an output beyond its file: a missed size, its Content Credentials. */
function outputFacts(o: RecordOutput): Pick<OutputView, 'sizeMismatch' | 'contentCredentials'> {
  return {
    ...(o.sizeMismatch ? { sizeMismatch: { asked: o.sizeMismatch.asked, got: o.sizeMismatch.got, finished: o.sizeMismatch.finished } } : {}),
    ...(o.contentCredentials ? { contentCredentials: o.contentCredentials } : {})
  }
}

export function historyEntryView(item: HistoryItem, urls: AssetUrls): HistoryEntryView {
  const outputs: OutputView[] = item.outputs.map((o, index) => ({
    index,
    url: o.fileMissing ? null : urls.output(item.id, index),
    name: basename(o.path),
    width: o.width,
    height: o.height,
    bytes: o.bytes,
    missing: o.fileMissing,
    ...outputFacts(o)
  }))
  return {
    id: item.id,
    at: item.startedAt,
    kind: item.kind,
    provider: item.provider,
    sandbox: item.sandbox,
    model: item.model,
    prompt: item.prompt,
    status: item.status,
    error: item.error,
    requestIds: item.requestIds,
    taskId: item.taskId,
    latencyMs: item.latencyMs,
    credits: item.cost.credits,
    estimated: item.cost.estimated,
    estimate: item.cost.estimate,
    ...(item.cost.aboveEstimate ? { aboveEstimate: true } : {}),
    ...(item.outputsDiscarded ? { outputsDiscarded: item.outputsDiscarded } : {}),
    batchId: item.batchId,
    compareGroup: item.compareGroup,
    templateId: item.templateId,
    verdict: item.verdict?.verdict,
    picked: item.verdict?.pickedRecordId === item.id,
    usage: item.usage,
    attempts: item.attempts.length,
    inputs: item.inputs.map((input) => ({
      name: input.path ? basename(input.path) : input.source === 'url' ? (input.url ?? 'image URL') : 'pasted image',
      sha256: input.sha256,
      width: input.width,
      height: input.height,
      url: input.path ? urls.input(input.path) : null,
      ...(input.role ? { role: input.role } : {})
    })),
    outputs,
    ...(item.mask ? { mask: { route: item.mask.route, leak: item.mask.leak, ...(item.mask.note ? { note: item.mask.note } : {}), url: urls.mask?.(item.mask.sha256) ?? null } } : {})
  }
}

export function historyPageView(page: HistoryPage, urls: AssetUrls): HistoryPageView {
  return {
    items: page.items.map((item) => historyEntryView(item, urls)),
    total: page.total,
    page: page.page,
    pageSize: page.pageSize,
    pages: page.pages,
    warnings: page.readWarnings.map((w) => `${basename(w.file)} line ${w.line}: ${w.reason}`)
  }
}

export function batchView(summary: BatchSummary, compareGroup?: string): BatchView {
  return {
    id: summary.id,
    name: summary.name,
    kind: summary.kind,
    compareGroup,
    state: summary.state,
    createdAt: summary.createdAt,
    finishedAt: summary.finishedAt,
    models: summary.models,
    counts: summary.counts,
    estimate: summary.estimate,
    charged: summary.charged,
    budget: summary.budget,
    reserved: summary.reserved,
    notice: summary.notice,
    report: summary.report
  }
}

/** The state people see: a held queued item says what it waits for. */
function visibleState(item: JobItem): ItemState {
  if (item.state === 'queued' && item.hold === 'budget') return 'budget_wait'
  if (item.state === 'queued' && item.hold === 'duplicate') return 'duplicate'
  return item.state
}

export function itemView(item: JobItem, urls: AssetUrls, library: Library): ItemView {
  const first = item.snapshot.inputs[0]
  const asset = first ? library.get(first.assetId ?? assetIdFor(first.path)) : undefined
  const recordId = item.recordIds.at(-1)
  return {
    id: item.id,
    batchId: item.batchId,
    assetId: asset?.id ?? null,
    sourceName: first ? basename(first.path) : 'Text prompt',
    sourceUrl: asset?.verdict.ok ? urls.thumbnail(asset, 512) : null,
    sourceDisplayUrl: asset?.verdict.ok ? urls.display(asset) : null,
    model: item.snapshot.model,
    provider: item.snapshot.provider,
    prompt: item.snapshot.prompt,
    params: item.snapshot.params,
    state: visibleState(item),
    hold: item.hold,
    attempts: item.attempts,
    estimate: item.estimate,
    charged: item.charged,
    chargedEstimated: item.chargedEstimated,
    mayHaveCharged: item.mayHaveCharged,
    historyPending: item.historyPending,
    ...(item.paidResult && item.state === 'failed'
      ? { paidNotSaved: { kept: item.paidResult.kept?.length ?? 0, fetchAgain: Boolean(item.paidResult.urls?.length || item.paidResult.taskId) } }
      : {}),
    ...(item.aboveEstimate ? { aboveEstimate: true } : {}),
    ...(item.outputsDiscarded ? { outputsDiscarded: item.outputsDiscarded } : {}),
    latencyMs: item.latencyMs,
    uploadedBytes: item.uploadedBytes,
    uploadTotalBytes: item.uploadTotalBytes,
    requestId: item.requestIds.at(-1),
    taskId: item.taskId,
    recordId,
    error: item.error,
    outputs: item.outputs.map((o, index) => ({
      index,
      url: recordId ? urls.output(recordId, index) : null,
      name: basename(o.path),
      width: o.width,
      height: o.height,
      bytes: o.bytes,
      missing: false,
      ...(o.finish ? { finish: o.finish } : {}),
      ...outputFacts(o)
    })),
    ...(item.snapshot.finish ? { packTarget: item.snapshot.finish.target } : {}),
    duplicateOf: item.duplicateOf?.recordId,
    timings: item.timings,
    ...(item.snapshot.mask ? { mask: item.maskLeak === undefined ? {} : { leak: item.maskLeak } } : {})
  }
}

/** The compare group of a comparison batch (its items all share one), for lists and events. */
export function compareGroupOf(engine: JobEngine, summary: BatchSummary): string | undefined {
  if (summary.kind !== 'compare') return undefined
  return engine.get(summary.id).items.find((i) => i.snapshot.compareGroup)?.snapshot.compareGroup
}

export function batchDetailView(batch: BatchSummary & { items: JobItem[] }, urls: AssetUrls, library: Library): BatchDetailView {
  const compareGroup = batch.kind === 'compare' ? batch.items.find((i) => i.snapshot.compareGroup)?.snapshot.compareGroup : undefined
  return { ...batchView(batch, compareGroup), items: batch.items.map((item) => itemView(item, urls, library)) }
}
