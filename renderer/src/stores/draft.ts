import type { ModelEntry } from '@shared/catalog'
import type { BatchSpecPayload } from '@shared/contract'
import type { ProviderId, RequestParams } from '@shared/records'
import { capsOf, paramsFor, type ParamChoice } from '../lib/models'

/** The part of a request every view composes the same way: what to ask, of which models, how. */
export interface Draft {
  prompt: string
  templateId: string | null
  variables: Record<string, string>
  models: string[]
  params: ParamChoice
}

export const emptyDraft: Draft = { prompt: '', templateId: null, variables: {}, models: [], params: { n: 1 } }

/**
 * One params object must suit every chosen model (the spec carries one), so each model narrows it in
 * turn: only values all of them accept survive, and n is capped by the strictest.
 */
export function sharedParams(models: readonly ModelEntry[], provider: ProviderId, draft: Draft): RequestParams {
  let params: RequestParams = { ...draft.params, n: draft.params.n }
  for (const id of draft.models) params = paramsFor(capsOf(models, id, provider), params)
  return params
}

export function specFrom(
  draft: Draft,
  models: readonly ModelEntry[],
  provider: ProviderId,
  extra: Omit<BatchSpecPayload, 'models' | 'params' | 'prompt' | 'templateId' | 'variables'>
): BatchSpecPayload {
  const spec: BatchSpecPayload = {
    ...extra,
    models: draft.models,
    params: sharedParams(models, provider, draft),
    variables: draft.variables
  }
  if (draft.prompt.trim()) spec.prompt = draft.prompt
  if (draft.templateId) spec.templateId = draft.templateId
  return spec
}

/** Why the run button is disabled, in words, or null when the draft can run. */
export function draftProblem(draft: Draft, opts: { minModels: number; needAssets: number; assets: number }): string | null {
  if (opts.assets < opts.needAssets) return opts.needAssets === 1 ? 'Pick an image from the library first' : `Pick at least ${opts.needAssets} images`
  if (draft.models.length < opts.minModels) return opts.minModels === 1 ? 'Choose a model' : `Choose at least ${opts.minModels} models`
  if (!draft.prompt.trim() && !draft.templateId) return 'Write a prompt or pick a template'
  return null
}
