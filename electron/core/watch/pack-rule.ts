import { AppError } from '../../../shared/errors'
import type { Pack } from '../../../shared/packs'
import type { ProviderId } from '../../../shared/providers'
import type { WatchRule } from '../../../shared/watch'
import type { Catalog } from '../catalog'
import type { BatchSpec } from '../jobs/model'
import { packBatchSpec, planForRun, upscaleRefusal, type PlannedPack } from '../packs/run'

/**
 * A watch rule that runs a pack: each group of new files is planned as a pack run of its own (the same
 * targets, prompts, finishing and checks as `pixdesk pack` or the Pack view), so the estimate the daily
 * budget is kept with is the pack's price for exactly those files.
 */

export interface PackRuleRoute {
  catalog: Catalog
  provider: ProviderId
  route: 'sync' | 'async'
  outputDir?: string
  sandbox: boolean
}

/** The rule's pack, looked up by id each time, so an edited pack applies to the next files. */
export type PackLookup = (id: string) => Promise<Pack>

function packIdOf(rule: WatchRule): string {
  if (!rule.packId) throw new AppError({ code: 'internal', message: `Watch rule "${rule.name}" runs no pack.` })
  return rule.packId
}

export function planPackRule(rule: WatchRule, pack: Pack, images: number, on: Pick<PackRuleRoute, 'catalog' | 'provider'>): PlannedPack {
  const [model] = rule.models
  if (!model || rule.models.length > 1) throw new AppError({ code: 'validation', field: 'models', message: `Watch rule "${rule.name}" runs the pack "${pack.name}", which takes one model; it names ${rule.models.length}.` })
  return planForRun(on.catalog, { pack, model, provider: on.provider, images, ...(rule.params.quality ? { quality: rule.params.quality } : {}) })
}

/**
 * Whether the rule can run as it is: its pack exists and the model reaches every target (or enlarging
 * is accepted). Throws the reason, which the rule shows as its state; nothing is sent meanwhile.
 */
export async function checkPackRule(rule: WatchRule, findPack: PackLookup, on: Pick<PackRuleRoute, 'catalog' | 'provider'>): Promise<PlannedPack> {
  const pack = await findPack(packIdOf(rule))
  const plan = planPackRule(rule, pack, 1, on)
  if (plan.needsUpscale.length && !rule.allowUpscale) {
    const refusal = upscaleRefusal(plan)
    throw new AppError({ code: 'validation', field: 'allowUpscale', message: `${refusal.message} Accept enlarging for this rule, or choose another model.` })
  }
  return plan
}

/** The batch for one group of new files: the pack planned for them, finished and checked as any pack run. */
export async function packRuleSpec(rule: WatchRule, files: readonly string[], name: string, findPack: PackLookup, on: PackRuleRoute): Promise<BatchSpec> {
  const pack = await findPack(packIdOf(rule))
  const plan = planPackRule(rule, pack, files.length, on)
  return packBatchSpec(plan, {
    name,
    files: files.map((path) => ({ path })),
    allowUpscale: rule.allowUpscale === true,
    route: on.route,
    ...(on.outputDir ? { outputDir: on.outputDir } : {}),
    sandbox: on.sandbox,
    // The rule's ledger decides what is new; an identical request that succeeded before is still not paid twice.
    duplicates: 'skip'
  })
}
