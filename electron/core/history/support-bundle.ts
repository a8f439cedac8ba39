import { basename } from 'node:path'
import type { HistoryItem } from '../../../shared/history'
import { providerFacts, providerIds } from '../../../shared/providers'
import type { Keychain } from '../keychain'
import { createRedactor } from '../redact'

/**
 * "Copy support bundle": one request as plain text for a message to support, with every id they ask
 * for (record, request, task, batch), what was asked (model, route, parameters), what happened (times,
 * attempts, state, error, credits) and what was written (output names and hashes). It holds no prompt
 * text and no folder paths, which are the studio's business, and every line is passed through the
 * redactor with the configured keys as known secrets, so a key that found its way into an error
 * message or a provider's usage block is not handed on.
 */
export interface SupportBundleContext {
  appVersion: string
  /** The catalog's display name for a model id, when it knows one. */
  modelLabel(id: string): string | undefined
  /** Keys configured now, from any source. */
  secrets: readonly string[]
  now: Date
}

export function formatSupportBundle(item: HistoryItem, context: SupportBundleContext): string {
  const label = context.modelLabel(item.model)
  const provider = providerFacts[item.provider]
  const cost = item.cost
  const lines = [
    `Pixdesk support bundle, ${context.now.toISOString()} (Pixdesk ${context.appVersion})`,
    '',
    `Record id: ${item.id}`,
    `Request ids: ${item.requestIds.join(', ') || '-'}`,
    `Task id: ${item.taskId ?? '-'}`,
    `Batch id: ${item.batchId ?? '-'}`,
    ...(item.compareGroup ? [`Compare group: ${item.compareGroup}`] : []),
    ...(item.jobItemId ? [`Job item: ${item.jobItemId}`] : []),
    '',
    `State: ${item.status}`,
    `Model: ${label && label !== item.model ? `${label} (${item.model})` : item.model}`,
    `Provider: ${provider.label}${item.sandbox ? ' (sandbox: no real credits)' : ''}`,
    `Route: ${item.kind}, ${item.route} · ${item.endpoint}`,
    `Parameters: ${formatParams(item.params)}`,
    `Prompt: ${item.prompt.length} characters (not included)`,
    `Started: ${item.startedAt}`,
    `Finished: ${item.finishedAt} (${(item.latencyMs / 1000).toFixed(1)} s)`,
    `Credits: ${cost.credits}${cost.estimated ? ' (catalog estimate: the provider reported none)' : ' (reported by the provider)'}; estimate ${cost.estimate}` +
      (cost.aboveEstimate ? '; above the estimate' : ''),
    ...(item.usage ? [`Usage: ${JSON.stringify(item.usage)}`] : []),
    '',
    ...errorLines(item),
    `Attempts: ${item.attempts.length || '-'}`,
    ...item.attempts.map(
      (a, i) =>
        `  ${i + 1}. ${a.startedAt} ${a.durationMs} ms` +
        `${a.status !== undefined ? ` HTTP ${a.status}` : ''}${a.errorCode ? ` ${a.errorCode}` : ''}${a.requestId ? ` request id ${a.requestId}` : ''}`
    ),
    `Inputs: ${item.inputs.length || '-'}`,
    ...item.inputs.map(
      (input, i) =>
        `  ${i + 1}. ${input.source}${input.format ? ` ${input.format}` : ''}${input.width && input.height ? ` ${input.width}×${input.height}` : ''}` +
        `${input.bytes !== undefined ? ` ${input.bytes} bytes` : ''} sha256 ${input.sha256 ?? '-'}` +
        (input.normalised ? `; sent as ${input.normalised.format} ${input.normalised.width}×${input.normalised.height} sha256 ${input.normalised.sha256}` : '')
    ),
    `Output files: ${item.outputs.length || '-'}${item.outputsDiscarded ? ` (${item.outputsDiscarded} more sent by the provider, discarded)` : ''}`,
    ...item.outputs.map(
      (o, i) =>
        `  ${i + 1}. ${basename(o.path)} ${o.format} ${o.width}×${o.height} ${o.bytes} bytes sha256 ${o.sha256}${o.fileMissing ? ' (file missing)' : ''}`
    )
  ]
  const redact = createRedactor(() => context.secrets)
  return `${redact(lines.join('\n'))}\n`
}

function errorLines(item: HistoryItem): string[] {
  const error = item.error
  if (!error) return ['Error: none']
  return [
    `Error: ${error.code}${error.status !== undefined ? `, HTTP ${error.status}` : ''}${error.providerCode ? `, provider code ${error.providerCode}` : ''}`,
    `  ${error.message}`,
    ...(error.requestId ? [`  Request id: ${error.requestId}`] : []),
    ...(error.field ? [`  Field: ${error.field}`] : [])
  ]
}

function formatParams(params: HistoryItem['params']): string {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ')
}

/** Every key configured now, from the environment or the keychain: the secrets a bundle must not hold. */
export async function configuredKeys(keychain: Pick<Keychain, 'getKey'>): Promise<string[]> {
  const keys: string[] = []
  for (const provider of providerIds) {
    // A keychain that cannot be read holds nothing this process could leak either.
    const key = await keychain.getKey(provider).catch(() => null)
    if (key) keys.push(key)
  }
  return keys
}
