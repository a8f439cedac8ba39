import { createHash } from 'node:crypto'
import type { RequestParams, RequestRecord } from '../../../shared/records'

/**
 * Identifies "the same request": same input images (by content), model, parameters and prompt, and the
 * same world (sandbox results never stand in for real ones). The provider and route are left out on
 * purpose: the same model through another route gives the same kind of result, and paying twice is what
 * the duplicate guard exists to prevent.
 */
export interface FingerprintInput {
  model: string
  params: RequestParams
  prompt: string
  /** In upload order; a URL input counts by its address. */
  inputSha256s: string[]
  sandbox: boolean
}

export function requestFingerprint(input: FingerprintInput): string {
  const canonical = JSON.stringify([input.model, sortedParams(input.params), input.prompt, input.inputSha256s, input.sandbox])
  return createHash('sha256').update(canonical).digest('hex')
}

export function recordFingerprint(record: RequestRecord): string {
  return requestFingerprint({
    model: record.model,
    params: record.params,
    prompt: record.prompt,
    inputSha256s: record.inputs.map((i) => inputIdentityWithRole(i.sha256 ?? i.url ?? '', i.role)),
    sandbox: record.sandbox
  })
}

/** The same picture as another reference role is another request: the role is part of the prompt sent. */
export function inputIdentityWithRole(identity: string, role: string | undefined): string {
  return role ? `${identity} as ${role}` : identity
}

function sortedParams(params: RequestParams): [string, unknown][] {
  return Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
