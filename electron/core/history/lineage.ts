import { AppError } from '../../../shared/errors'
import type { HistoryItem } from '../../../shared/history'
import type { ParentRef } from '../../../shared/records'
import type { History } from './history'

/**
 * Chains of edits: an output can be the input of the next edit, and each record names the version it
 * continued from and the chain's original (by hash). A chain is read back from the history alone, so it
 * survives deleted or moved files.
 */

export interface LineageNode {
  item: HistoryItem
  children: LineageNode[]
}

export interface Lineage {
  /** The versions with no parent in the history, oldest first: usually one, the chain's first edit. */
  roots: LineageNode[]
  /** The record asked about. */
  focus: HistoryItem
  /** Every version in the chain, oldest first. */
  members: HistoryItem[]
  credits: number
}

/** The record with this request id (or record id), or null. */
export async function findByRequestId(history: History, id: string): Promise<HistoryItem | null> {
  const wanted = id.trim()
  if (!wanted) return null
  const direct = await history.get(wanted)
  if (direct) return direct
  const page = await history.query({ text: wanted, pageSize: 50 })
  return page.items.find((i) => i.requestIds.includes(wanted) || i.taskId === wanted) ?? null
}

/**
 * "<request id>" or "<request id>:<output index>" (1-based, as the user sees outputs) turned into the
 * parent of a new edit and the file to edit. Refuses, with what to do, an unknown id, an index out of
 * range and an output whose file is gone: nothing is sent for those.
 */
export async function resolveParent(history: History, spec: string): Promise<{ parent: ParentRef; path: string; item: HistoryItem }> {
  const match = /^(.+?)(?::(\d+))?$/.exec(spec.trim())
  const id = match?.[1] ?? ''
  const index = match?.[2] === undefined ? 1 : Number(match[2])
  const item = await findByRequestId(history, id)
  if (!item) {
    throw new AppError({ code: 'validation', field: 'parent', message: `There is no request "${id}" in the history. Check the id with "pixdesk history --search ${id}".` })
  }
  return parentOutput(item, index)
}

/**
 * The window's way to the same thing: a record id as the history gave it and a 0-based output index,
 * never a path. Refuses exactly what `resolveParent` refuses.
 */
export async function resolveVersion(history: History, recordId: string, outputIndex: number): Promise<{ parent: ParentRef; path: string; item: HistoryItem }> {
  const item = await history.get(recordId)
  if (!item) {
    throw new AppError({ code: 'not_found', field: 'recordId', message: `There is no history entry "${recordId}" to continue from (it may have been deleted).` })
  }
  return parentOutput(item, outputIndex + 1)
}

function parentOutput(item: HistoryItem, index: number): { parent: ParentRef; path: string; item: HistoryItem } {
  const label = item.requestIds.at(-1) ?? item.id
  if (item.outputs.length === 0) {
    throw new AppError({ code: 'validation', field: 'parent', message: `Request ${label} has no output to continue from (it ${item.status === 'succeeded' ? 'saved no image' : `is ${item.status}`}).` })
  }
  const output = item.outputs[index - 1]
  if (!output || index < 1) {
    throw new AppError({ code: 'validation', field: 'parent', message: `Request ${label} has ${item.outputs.length} output${item.outputs.length === 1 ? '' : 's'}; ":${index}" is not one of them (use 1 to ${item.outputs.length}).` })
  }
  if (output.fileMissing) {
    throw new AppError({
      code: 'not_found_file',
      field: 'parent',
      path: output.path,
      message: `The output file of request ${label} is missing: ${output.path}. Restore it there, or continue from another version.`
    })
  }
  const rootSha256 = item.rootSha256 ?? item.inputs[0]?.sha256
  return {
    item,
    path: output.path,
    parent: { recordId: item.id, outputIndex: index - 1, ...(item.requestIds.at(-1) ? { requestId: item.requestIds.at(-1) } : {}), ...(rootSha256 ? { rootSha256 } : {}) }
  }
}

/** The whole chain a request belongs to, from its original's first edit down to every branch. */
export async function lineageOf(history: History, id: string): Promise<Lineage> {
  const focus = await findByRequestId(history, id)
  if (!focus) throw new AppError({ code: 'not_found', message: `There is no request "${id}" in the history.` })
  const members = new Map<string, HistoryItem>([[focus.id, focus]])
  if (focus.rootSha256) {
    for (let page = 1; ; page++) {
      const found = await history.query({ text: focus.rootSha256, sort: 'oldest', page, pageSize: 500 })
      for (const item of found.items) if (item.rootSha256 === focus.rootSha256) members.set(item.id, item)
      if (page >= found.pages) break
    }
  }
  // Ancestors recorded before chains had a root hash are reached by their parent links.
  for (let at: HistoryItem | undefined = focus; at?.parent && !members.has(at.parent.recordId); ) {
    const parent: HistoryItem | null = await history.get(at.parent.recordId)
    if (!parent) break
    members.set(parent.id, parent)
    at = parent
  }
  const ordered = [...members.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt))
  const nodes = new Map(ordered.map((item) => [item.id, { item, children: [] as LineageNode[] }]))
  const roots: LineageNode[] = []
  for (const node of nodes.values()) {
    const parent = node.item.parent ? nodes.get(node.item.parent.recordId) : undefined
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  return { roots, focus, members: ordered, credits: ordered.reduce((sum, i) => sum + i.cost.credits, 0) }
}
