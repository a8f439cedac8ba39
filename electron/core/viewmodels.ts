import { basename, relative } from 'node:path'
import type { HistoryItem, HistoryPage } from '../../shared/history'
import type { AssetView, HistoryEntryView, HistoryPageView, KeyStatusView, OutputView, RootView } from '../../shared/views'
import type { KeyStatus } from './keychain'
import { assetIdFor, type LibraryAsset } from './library'

/**
 * Service data → what the renderer is shown. The renderer gets names and asset URLs, never the key and
 * never more of a path than the user gave.
 */
export interface AssetUrls {
  /** URL of output `index` of history record `recordId`, served by the asset handler. */
  output(recordId: string, index: number): string
  /** URL of an input file the user imported, when the library knows it. */
  input(path: string): string | null
  thumbnail(asset: LibraryAsset, size?: number): string
  original(asset: LibraryAsset): string
}

export function assetView(asset: LibraryAsset, urls: AssetUrls): AssetView {
  const ok = asset.verdict.ok
  return {
    id: asset.id,
    rootId: assetIdFor(asset.root ?? asset.path),
    name: basename(asset.path),
    relPath: asset.root ? relative(asset.root, asset.path) : basename(asset.path),
    format: asset.format,
    width: asset.displayWidth || null,
    height: asset.displayHeight || null,
    bytes: asset.bytes,
    ok,
    error: asset.verdict.ok ? undefined : asset.verdict.error,
    thumbUrl: ok ? urls.thumbnail(asset) : null,
    originalUrl: ok ? urls.original(asset) : null,
    modifiedAt: new Date(asset.mtimeMs || 0).toISOString()
  }
}

/** Imported folders, then files imported on their own, each with counts of what was found in it. */
export function rootViews(roots: readonly string[], files: readonly string[], assets: readonly LibraryAsset[], watching: boolean): RootView[] {
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

export function historyEntryView(item: HistoryItem, urls: AssetUrls): HistoryEntryView {
  const outputs: OutputView[] = item.outputs.map((o, index) => ({
    index,
    url: o.fileMissing ? null : urls.output(item.id, index),
    name: basename(o.path),
    width: o.width,
    height: o.height,
    bytes: o.bytes,
    missing: o.fileMissing
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
      url: input.path ? urls.input(input.path) : null
    })),
    outputs
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
