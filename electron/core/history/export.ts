import type { HistoryFilter, HistoryItem } from '../../../shared/history'

/**
 * Exports for a support ticket or a spreadsheet: request ids, model ids, timestamps, errors and costs.
 * CSV follows RFC 4180 (quoted fields, CRLF, UTF-8 with a byte-order mark so spreadsheet apps read
 * accents right), and text cells that a spreadsheet would run as a formula are neutralised.
 */
type Cell = string | number | boolean | undefined

const columns: [string, (item: HistoryItem) => Cell][] = [
  ['id', (i) => i.id],
  ['started_at', (i) => i.startedAt],
  ['finished_at', (i) => i.finishedAt],
  ['status', (i) => i.status],
  ['provider', (i) => i.provider],
  ['model', (i) => i.model],
  ['kind', (i) => i.kind],
  ['route', (i) => i.route],
  ['sandbox', (i) => i.sandbox],
  ['endpoint', (i) => i.endpoint],
  ['request_ids', (i) => i.requestIds.join(' ')],
  ['task_id', (i) => i.taskId],
  ['attempts', (i) => i.attempts.length],
  ['latency_ms', (i) => i.latencyMs],
  ['credits', (i) => i.cost.credits],
  ['credits_estimated', (i) => i.cost.estimated],
  ['estimate', (i) => i.cost.estimate],
  ['error_code', (i) => i.error?.code],
  ['error_status', (i) => i.error?.status],
  ['error_provider_code', (i) => i.error?.providerCode],
  ['error_message', (i) => i.error?.message],
  ['batch_id', (i) => i.batchId],
  ['compare_group', (i) => i.compareGroup],
  ['template_id', (i) => i.templateId],
  ['job_item_id', (i) => i.jobItemId],
  ['verdict', (i) => i.verdict?.verdict],
  ['picked_record_id', (i) => i.verdict?.pickedRecordId],
  ['prompt', (i) => i.prompt],
  ['inputs', (i) => i.inputs.map((x) => x.path ?? x.url ?? x.source).join(' | ')],
  ['outputs', (i) => i.outputs.map((o) => o.path).join(' | ')],
  ['outputs_missing', (i) => i.outputs.filter((o) => o.fileMissing).length]
]

/** One CSV field. Text starting like a formula (= + - @, tab, CR) gets a leading apostrophe. */
export function csvCell(value: Cell): string {
  if (value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv(items: Iterable<HistoryItem>): string {
  const lines = [columns.map(([name]) => name).join(',')]
  for (const item of items) lines.push(columns.map(([, get]) => csvCell(get(item))).join(','))
  return `\ufeff${lines.join('\r\n')}\r\n`
}

export function toJson(items: HistoryItem[], filter: HistoryFilter, now = new Date()): string {
  return `${JSON.stringify({ app: 'Pixdesk', exportedAt: now.toISOString(), filter, count: items.length, records: items }, null, 2)}\n`
}
