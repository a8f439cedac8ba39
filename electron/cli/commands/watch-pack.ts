import type { Pack } from '../../../shared/packs'
import { AppError } from '../../../shared/errors'
import type { WatchRule } from '../../../shared/watch'
import type { PlannedPack } from '../../core/packs/run'
import { openPackStore } from '../../core/packs/store'
import { planView } from '../../core/packs/planner'
import { planPackRule } from '../../core/watch/pack-rule'
import type { CliContext } from '../context'
import { usageError } from '../exit'
import type { ModelRoute } from '../request'
import { printPlan } from './pack-actions'

// `pixdesk watch --pack`: the pack looked up, planned for one image and printed before anything is
// watched, so an unknown pack or a target the model cannot reach stops the command with nothing sent.

export interface PackFlags {
  pack?: string
  allowUpscale?: boolean
  prompt?: string
  template?: string
  var: string[]
  size?: string
  aspectRatio?: string
  n?: number
}

/** Flags that make no sense beside --pack (a pack names each target's prompt, size and count itself). */
export function packFlagConflicts(flags: PackFlags, models: number): void {
  if (flags.allowUpscale && !flags.pack) throw usageError('--allow-upscale only applies with --pack.', 'allowUpscale')
  const edit = flags.prompt !== undefined ? '--prompt' : flags.template !== undefined ? '--template' : flags.var.length ? '--var' : undefined
  if (edit) throw usageError(`${edit} and --pack: a rule runs either a pack or an edit (prompt or template), not both. Leave out ${edit} or --pack.`, 'pack')
  const sized = flags.size !== undefined ? '--size' : flags.aspectRatio !== undefined ? '--aspect-ratio' : flags.n !== undefined && flags.n !== 1 ? '--n' : undefined
  if (sized) throw usageError(`${sized}: a pack sets the size and count of each target itself; leave out ${sized}.`, sized.slice(2))
  if (models !== 1) throw usageError('--model: a pack runs with one model; name one.', 'model')
}

/** The pack of --pack from the data folder's packs (built-in ones and the user's own), by id or name. */
export async function packOfFlag(ctx: CliContext, value: string): Promise<Pack> {
  const store = await openPackStore({ dataDir: (await ctx.services()).paths.dataDir })
  try {
    return await store.find(value)
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation') throw usageError(`--pack: ${err.message} Nothing was sent.`, 'pack', value)
    throw err
  }
}

/** The plan for one image, printed; refused (exit 2) when a target needs enlarging and --allow-upscale is not given. */
export async function planPackRuleForCli(ctx: CliContext, rule: WatchRule, pack: Pack, route: ModelRoute): Promise<PlannedPack> {
  const plan = planPackRule(rule, pack, 1, { catalog: (await ctx.services()).catalog, provider: route.provider })
  printPlan(ctx, planView(plan))
  if (plan.needsUpscale.length) {
    for (const problem of plan.needsUpscale) ctx.out.note(`pixdesk: ${problem}`)
    if (!rule.allowUpscale) {
      const count = plan.needsUpscale.length
      throw usageError(`${count} target${count === 1 ? ' is' : 's are'} larger than ${plan.model} makes; add --allow-upscale to enlarge them with sharp (flagged in each output), or choose another model. Nothing was sent.`, 'allowUpscale')
    }
  }
  return plan
}
