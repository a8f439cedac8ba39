import type { Command } from 'commander'
import type * as SharedCatalog from '../../../shared/catalog'
import type { ModelEntry } from '../../../shared/catalog'
import type { Runner } from '../types'

type PriceFor = typeof SharedCatalog.priceFor
import { ExitCode } from '../exit'
import { formatCredits } from '../output'

export function registerModels(program: Command, run: Runner): void {
  program
    .command('models')
    .description('the model catalog: ids, routes, what each accepts and its price in Pixapi credits')
    .option('--json', 'one JSON line per model, then a summary')
    .action(
      run(async (ctx) => {
        const services = await ctx.services()
        const { priceFor, maskRouteFor } = await import('../../../shared/catalog')
        const models = services.catalog.models()
        const priceRange = (m: ModelEntry) => priceRangeOf(m, priceFor)
        const describePrice = (m: ModelEntry) => describePriceRange(priceRange(m))
        for (const m of models) ctx.out.event('model', { ...m, masks: maskRouteFor(m), creditsPerImage: priceRange(m) })
        ctx.out.table(
          ['id', 'aliases', 'routes', 'kinds', 'sizes', 'max inputs', 'masks', 'credits/image'],
          models.map((m) => [
            m.custom ? `${m.id} (custom)` : m.id,
            m.aliases.join(', '),
            Object.keys(m.routes).join(', '),
            m.capabilities.kinds.join(', '),
            m.capabilities.sizes.join(' '),
            m.capabilities.maxInputs,
            maskRouteFor(m) === 'native' ? 'native' : 'by crop',
            describePrice(m)
          ]),
          ['left', 'left', 'left', 'left', 'left', 'right', 'left', 'right']
        )
        ctx.out.line(`\n${models.length} models (catalog updated ${services.catalog.updated}).`)
        ctx.out.line('Masks: native = sent as the model\'s mask part; by crop = only the masked region is sent and placed back. Either way the result is composited over the original outside the mask.')
        ctx.out.event('summary', { count: models.length, updated: services.catalog.updated })
        return ExitCode.ok
      })
    )
}

/** Cheapest and dearest single image over the model's sizes and qualities, for a quick comparison. */
function priceRangeOf(m: ModelEntry, priceFor: PriceFor): { min: number; max: number } | null {
  const prices: number[] = []
  const qualities = m.capabilities.qualities.length ? m.capabilities.qualities : [undefined]
  for (const size of m.capabilities.sizes) {
    for (const quality of qualities) {
      const p = priceFor(m, size, quality, 1)
      if (p !== null) prices.push(p)
    }
  }
  return prices.length ? { min: Math.min(...prices), max: Math.max(...prices) } : null
}

function describePriceRange(range: { min: number; max: number } | null): string {
  if (!range) return 'n/a'
  return range.min === range.max ? formatCredits(range.min) : `${formatCredits(range.min)}–${formatCredits(range.max)}`
}
