import { basename } from 'node:path'
import type { HistoryItem } from '../../shared/history'
import type { LineageVersionView, LineageView, OutputView } from '../../shared/views'
import type { Lineage, LineageNode } from '../core/history/lineage'
import type { AssetUrls } from './asset-urls'

/**
 * A chain of edits as the window shows it: parents before children, each version with the picture it
 * edited, so the strip and the tree need no second request. Missing files stay in the chain, flagged.
 */
export function lineageView(lineage: Lineage, urls: AssetUrls): LineageView {
  const byId = new Map(lineage.members.map((item) => [item.id, item]))
  const versions: LineageVersionView[] = []
  const visit = (node: LineageNode, depth: number) => {
    versions.push(versionView(node.item, depth, byId, urls))
    for (const child of node.children) visit(child, depth + 1)
  }
  for (const root of lineage.roots) visit(root, 0)
  return { focusId: lineage.focus.id, versions, credits: lineage.credits }
}

function outputViews(item: HistoryItem, urls: AssetUrls): OutputView[] {
  return item.outputs.map((o, index) => ({
    index,
    url: o.fileMissing ? null : urls.output(item.id, index),
    name: basename(o.path),
    width: o.width,
    height: o.height,
    bytes: o.bytes,
    missing: o.fileMissing
  }))
}

function versionView(item: HistoryItem, depth: number, byId: Map<string, HistoryItem>, urls: AssetUrls): LineageVersionView {
  const parentItem = item.parent ? byId.get(item.parent.recordId) : undefined
  const parentOutput = item.parent ? parentItem?.outputs[item.parent.outputIndex] : undefined
  const first = item.inputs[0]
  const input = parentItem && parentOutput && item.parent
    ? {
        name: basename(parentOutput.path),
        url: parentOutput.fileMissing ? null : urls.output(parentItem.id, item.parent.outputIndex),
        width: parentOutput.width,
        height: parentOutput.height
      }
    : {
        name: first?.path ? basename(first.path) : 'original',
        url: first?.path ? urls.input(first.path) : null,
        ...(first?.width && first.height ? { width: first.width, height: first.height } : {})
      }
  return {
    recordId: item.id,
    ...(item.requestIds.at(-1) ? { requestId: item.requestIds.at(-1) } : {}),
    ...(parentItem && item.parent ? { parent: { recordId: item.parent.recordId, outputIndex: item.parent.outputIndex } } : {}),
    depth,
    at: item.startedAt,
    prompt: item.prompt,
    model: item.model,
    provider: item.provider,
    status: item.status,
    credits: item.cost.credits,
    estimated: item.cost.estimated,
    outputs: outputViews(item, urls),
    input,
    ...(item.mask ? { mask: item.mask.leak.length ? { leak: Math.max(...item.mask.leak) } : {} } : {})
  }
}
