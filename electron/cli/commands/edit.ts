import type { Command } from 'commander'
import { z } from 'zod'
import type { RequestKind } from '../../../shared/records'
import type { CliContext } from '../context'
import type { Runner } from '../types'
import { parseFlags } from '../flags'
import { addRequestOptions, paramsOf, requestFlagsSchema } from '../request-options'

const singleSchema = requestFlagsSchema.extend({
  prompt: z.string({ error: 'is required: describe the edit or image you want' }).trim().min(1, 'is empty: describe the edit or image you want'),
  model: z.string({ error: 'is required (see pixdesk models)' }).trim().min(1, 'is empty (see pixdesk models)')
})

export function registerEdit(program: Command, run: Runner): void {
  addRequestOptions(
    program
      .command('edit')
      .description('edit one image (several images are sent together in one request, the first being the one edited)')
      .argument('<images...>', 'image files, https URLs or data URLs')
      .requiredOption('--prompt <text>', 'what to change')
      .requiredOption('--model <id>', 'model id or alias (see pixdesk models)')
  ).action(run(async (ctx, images: string[], raw: Record<string, unknown>) => single(ctx, 'edit', images, raw)))

  addRequestOptions(
    program
      .command('generate')
      .description('generate an image from a prompt alone')
      .requiredOption('--prompt <text>', 'the image to make')
      .requiredOption('--model <id>', 'model id or alias (see pixdesk models)')
  ).action(run(async (ctx, raw: Record<string, unknown>) => single(ctx, 'generate', [], raw)))
}

async function single(ctx: CliContext, kind: RequestKind, images: string[], raw: Record<string, unknown>) {
  const flags = parseFlags(singleSchema, raw)
  // Loaded here rather than at the top, so registering the command loads none of the request machinery.
  const [{ connect }, { jobInputOf, outDirOf, preflight, resolveInputs, resolveModels }, { printReport, runBatch }] = await Promise.all([
    import('../connection'),
    import('../request'),
    import('../run')
  ])
  const services = await ctx.services()
  const [route] = resolveModels(services, [flags.model], flags.provider, '--model')
  const params = paramsOf(flags)
  const inputs = await resolveInputs(images, { folders: false })
  const requestRoute = flags.async ? 'async' : 'sync'
  await preflight([route!], { kind, prompt: flags.prompt, params, route: requestRoute, itemInputs: [inputs] })
  const outputDir = await outDirOf(flags.out)
  const connection = await connect(ctx, services, [route!.provider], { provider: flags.provider, baseUrl: flags.baseUrl })
  const engine = await ctx.jobs(connection)
  const [first, ...references] = inputs
  const result = await runBatch(
    ctx,
    engine,
    {
      spec: {
        kind,
        files: first ? [jobInputOf(first)] : [],
        references: references.map(jobInputOf),
        prompt: flags.prompt,
        models: [{ model: route!.model.id, provider: route!.provider }],
        params,
        route: requestRoute,
        // Asked for explicitly, so it runs even if the same edit succeeded before.
        duplicates: 'run',
        ...(outputDir ? { outputDir } : {}),
        sandbox: connection.sandbox
      }
    },
    kind === 'edit' ? 'editing' : 'generating',
    { maxWaitMs: flags.maxWait }
  )
  printReport(ctx, result)
  return result.exitCode
}
