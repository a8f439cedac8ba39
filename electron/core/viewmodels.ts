import { basename } from 'node:path'
import type { HistoryItem, HistoryPage } from '../../shared/history'
import type { HistoryEntryView, HistoryPageView, KeyStatusView, OutputView } from '../../shared/views'
import type { KeyStatus } from './keychain'

/**
 * Service data → what the renderer is shown. The renderer gets names and asset URLs, never the key and
 * never more of a path than the user gave.
 */
export interface AssetUrls {
  /** URL of output `index` of history record `recordId`, served by the asset handler. */
  output(recordId: string, index: number): string
  /** URL of an input file the user imported, when the library knows it. */
  input(path: string): string | null
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
