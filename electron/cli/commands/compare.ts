import type { Command } from 'commander'
import { z } from 'zod'
import type { Runner } from '../types'
import { usageError } from '../exit'
import { parseFlags, splitList } from '../flags'
import { formatCredits } from '../output'
import { addRequestOptions, paramsOf, requestFlagsSchema } from '../request-options'
import { addTemplateOptions, promptFromFlags, templateFlagsSchema } from '../template-flags'

const compareSchema = requestFlagsSchema.extend({
  ...templateFlagsSchema.shape,
  models: z.string({ error: 'is required: 2 to 4 model ids separated by commas' }).trim().min(1, 'is empty')
})

export function registerCompare(program: Command, run: Runner): void {
  addRequestOptions(
    addTemplateOptions(
      program
        .command('compare')
        .description('the same edit on 2 to 4 models side by side: outputs, latency and credits')
        .argument('<image>', 'image file, https URL or data URL')
        .option('--prompt <text>', 'what to change (or use --template)')
        .requiredOption('--models <ids>', '2 to 4 model ids or aliases, separated by commas')
    )
  ).action(
    run(async (ctx, image: string, raw: Record<string, unknown>) => {
      const flags = parseFlags(compareSchema, raw)
      const ids = splitList(flags.models)
      if (ids.length < 2 || ids.length > 4) throw usageError(`--models: a comparison needs 2 to 4 models; ${ids.length} given.`, 'models')
      // Loaded here rather than at the top, so registering the command loads none of the request machinery.
      const [{ connect }, { jobInputOf, outDirOf, preflight, resolveInputs, resolveModels }, { printReport, runBatch }] = await Promise.all([
        import('../connection'),
        import('../request'),
        import('../run')
      ])
      const services = await ctx.services()
      const routes = resolveModels(services, ids, flags.provider, '--models')
      const inputs = await resolveInputs([image], { folders: false })
      const choice = await promptFromFlags(ctx, flags, routes, paramsOf(flags))
      const params = choice.params
      const route = flags.async ? 'async' : 'sync'
      await preflight(routes, { kind: 'edit', prompt: choice.rendered, params, route, itemInputs: [inputs] })
      const outputDir = await outDirOf(flags.out)
      const connection = await connect(ctx, services, [...new Set(routes.map((r) => r.provider))], { provider: flags.provider, baseUrl: flags.baseUrl })
      const engine = await ctx.jobs(connection, routes.length)
      const result = await runBatch(
        ctx,
        engine,
        {
          spec: {
            kind: 'edit',
            files: inputs.map(jobInputOf),
            ...choice.spec,
            models: routes.map((r) => ({ model: r.model.id, provider: r.provider })),
            params,
            route,
            compare: true,
            concurrency: routes.length,
            duplicates: 'run',
            ...(outputDir ? { outputDir } : {}),
            sandbox: connection.sandbox
          }
        },
        'comparing',
        { maxWaitMs: flags.maxWait }
      )
      const arms = result.summary.items
      for (const arm of arms) {
        ctx.out.event('arm', {
          model: arm.snapshot.model,
          provider: arm.snapshot.provider,
          state: arm.state,
          latencyMs: arm.latencyMs,
          charged: arm.charged,
          estimate: arm.estimate,
          requestId: arm.requestIds.at(-1) ?? null,
          outputs: arm.outputs.map((o) => o.path),
          ...(arm.error ? { error: arm.error } : {})
        })
      }
      ctx.out.line('')
      ctx.out.table(
        ['model', 'result', 'latency', 'credits', 'request id', 'output'],
        arms.map((a) => [
          a.snapshot.model,
          a.state === 'done' ? 'ok' : `${a.state}: ${a.error?.message ?? ''}`,
          a.latencyMs === null ? '' : `${(a.latencyMs / 1000).toFixed(1)} s`,
          a.charged === null ? '' : formatCredits(a.charged),
          a.requestIds.at(-1) ?? '',
          a.outputs[0]?.path ?? ''
        ]),
        ['left', 'left', 'right', 'right', 'left', 'left']
      )
      printReport(ctx, result)
      return result.exitCode
    })
  )
}
