import { AppError } from '../../../shared/errors'
import type { Pack } from '../../../shared/packs'
import { factsOf, type ProviderId } from '../../../shared/providers'
import type { RequestParams } from '../../../shared/records'
import type { Catalog } from '../catalog'
import type { BatchSpec, JobInputSpec, SkippedInput } from '../jobs/model'
import { planPack, type PlannedTarget } from './planner'

/**
 * A pack run as the jobs engine takes it: one batch, one item per image and target, each target a
 * variant with its own frame params, prompt and finishing. What the command line and the window share.
 */

export type PlannedPack = ReturnType<typeof planPack>

export interface PackPlanRequest {
  pack: Pack
  model: string
  provider: ProviderId
  images: number
  extraPrompt?: string
  quality?: string
}

/** Credits for one request as the jobs engine estimates it: catalog prices, 0 where the provider bills its own account. */
export function packPrice(catalog: Catalog, model: string, provider: ProviderId, params: RequestParams): number | null {
  if (factsOf(provider).billing !== 'credits') return 0
  return catalog.price(model, params.size, params.quality, params.n)
}

export function planForRun(catalog: Catalog, request: PackPlanRequest): PlannedPack {
  const model = catalog.resolve(request.model, request.provider)
  return planPack({
    pack: request.pack,
    model,
    provider: request.provider,
    images: request.images,
    extraPrompt: request.extraPrompt,
    quality: request.quality,
    price: (params) => packPrice(catalog, model.id, request.provider, params)
  })
}

/** A refusal before anything is sent: the targets the model cannot reach, and what accepting them means. */
export function upscaleRefusal(plan: PlannedPack): AppError {
  return new AppError({
    code: 'validation',
    field: 'upscale',
    message: `${plan.needsUpscale.join(' ')} Nothing was sent.`
  })
}

export interface PackSpecOptions {
  files: JobInputSpec[]
  skipped?: SkippedInput[]
  allowUpscale: boolean
  route: 'sync' | 'async'
  outputDir?: string
  sandbox: boolean
  duplicates?: 'skip' | 'run' | 'ask'
  budgetCredits?: number | null
  concurrency?: number
  name?: string
}

export function packBatchSpec(plan: PlannedPack, options: PackSpecOptions): BatchSpec {
  if (plan.needsUpscale.length && !options.allowUpscale) throw upscaleRefusal(plan)
  if (!options.files.length) throw new AppError({ code: 'validation', field: 'files', message: 'Choose at least one image for the pack.' })
  const count = options.files.length
  return {
    name: options.name ?? `${plan.packName} pack · ${count} image${count === 1 ? '' : 's'}`,
    kind: 'edit',
    files: options.files,
    skipped: options.skipped ?? [],
    models: [{ model: plan.model, provider: plan.provider as ProviderId }],
    params: { n: 1 },
    route: options.route,
    variants: plan.targets.map((t: PlannedTarget) => ({ prompt: t.prompt, params: t.params, finish: t.finish })),
    duplicates: options.duplicates ?? 'run',
    budgetCredits: options.budgetCredits ?? null,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.outputDir ? { outputDir: options.outputDir } : {}),
    sandbox: options.sandbox
  }
}
