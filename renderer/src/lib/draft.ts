import type { Capabilities, ModelEntry } from '@shared/catalog'
import type { BatchSpecPayload } from '@shared/contract'
import type { ProviderId, RequestParams } from '@shared/records'
import { renderTemplate } from '@shared/templates'
import type { TemplateView } from '@shared/views'
import { capsOf, paramsFor, paramsWithOwn, sharedCapabilities, type ModelChoice, type ParamChoice } from './models'

/** The part of a request every view composes the same way: what to ask, of which models, how. */
export interface Draft {
  prompt: string
  templateId: string | null
  variables: Record<string, string>
  models: string[]
  params: ParamChoice
  /** Per model id, the settings only that model takes (a comparison's GPT quality). */
  paramsByModel?: Record<string, ModelChoice>
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

/** What one of the draft's models is sent: the shared params with its own choices on top. */
export function modelParams(models: readonly ModelEntry[], provider: ProviderId, draft: Draft, id: string): RequestParams {
  const common = sharedCapabilities(draft.models.map((m) => capsOf(models, m, provider)).filter((c): c is Capabilities => Boolean(c)))
  return paramsWithOwn(capsOf(models, id, provider), common, sharedParams(models, provider, draft), draft.paramsByModel?.[id])
}

/** Only what differs from the shared params travels per model, so the request says what each arm changed. */
function overridesFrom(models: readonly ModelEntry[], provider: ProviderId, draft: Draft, shared: RequestParams): Record<string, Partial<RequestParams>> {
  const out: Record<string, Partial<RequestParams>> = {}
  for (const id of draft.models) {
    const own = Object.entries(modelParams(models, provider, draft, id)).filter(([key, value]) => value !== undefined && shared[key as keyof RequestParams] !== value)
    if (own.length) out[id] = Object.fromEntries(own) as Partial<RequestParams>
  }
  return out
}

export function specFrom(
  draft: Draft,
  models: readonly ModelEntry[],
  provider: ProviderId,
  extra: Omit<BatchSpecPayload, 'models' | 'params' | 'paramsByModel' | 'prompt' | 'templateId' | 'variables'>
): BatchSpecPayload {
  const params = sharedParams(models, provider, draft)
  const spec: BatchSpecPayload = {
    ...extra,
    models: draft.models,
    params,
    paramsByModel: overridesFrom(models, provider, draft, params),
    variables: draft.variables
  }
  if (draft.prompt.trim()) spec.prompt = draft.prompt
  if (draft.templateId) spec.templateId = draft.templateId
  return spec
}

/**
 * Why the run button is disabled, in words, or null when the draft can run. With the draft's template,
 * a variable left empty or a missing {prompt} text stops the run here, before anything is sent.
 */
export function draftProblem(draft: Draft, opts: { minModels: number; needAssets: number; assets: number; template?: TemplateView | null }): string | null {
  if (opts.assets < opts.needAssets) return opts.needAssets === 1 ? 'Pick an image from the library first' : `Pick at least ${opts.needAssets} images`
  if (draft.models.length < opts.minModels) return opts.minModels === 1 ? 'Choose a model' : `Choose at least ${opts.minModels} models`
  if (!draft.prompt.trim() && !draft.templateId) return 'Write a prompt or pick a template'
  if (draft.templateId && opts.template) {
    const declared = new Set(opts.template.variables.map((v) => v.name))
    try {
      renderTemplate(opts.template, Object.fromEntries(Object.entries(draft.variables).filter(([name]) => declared.has(name))), draft.prompt)
    } catch (err) {
      return (err as Error).message
    }
  }
  return null
}
