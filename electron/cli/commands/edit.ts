import type { Command } from 'commander'
import { z } from 'zod'
import { AppError } from '../../../shared/errors'
import type { RequestKind } from '../../../shared/records'
import { resolve as resolvePath } from 'node:path'
import type { MaskRef } from '../../core/masks/store'
import type { Services } from '../../core/services'
import type { CliContext } from '../context'
import type { Runner } from '../types'
import { usageError } from '../exit'
import { parseFlags } from '../flags'
import { addRequestOptions, paramsOf, requestFlagsSchema } from '../request-options'
import { addTemplateOptions, promptFromFlags, templateFlagsSchema } from '../template-flags'
import { addReferenceOptions, referenceFlagsSchema } from '../reference-flags'

const singleSchema = requestFlagsSchema.extend({
  ...templateFlagsSchema.shape,
  ...referenceFlagsSchema.shape,
  model: z.string({ error: 'is required (see pixdesk models)' }).trim().min(1, 'is empty (see pixdesk models)'),
  parent: z.string().trim().min(1, 'is empty: give a request id, optionally with :<output number>').max(300).optional(),
  mask: z.string().trim().min(1, 'is empty: give a mask image file').optional()
})

export function registerEdit(program: Command, run: Runner): void {
  addRequestOptions(
    addReferenceOptions(
      addTemplateOptions(
        program
          .command('edit')
          .description('edit one image (several images are sent together in one request, the first being the one edited, the others references)')
          .argument('[images...]', 'image files, https URLs or data URLs (with --parent: reference images only)')
          .option('--prompt <text>', 'what to change (or use --template)')
          .requiredOption('--model <id>', 'model id or alias (see pixdesk models)')
          .option('--parent <request id[:n]>', "continue from an earlier result: that request's output n (default 1) is the image edited")
          .option('--mask <file>', 'where the edit may happen: a PNG with transparency (transparent = edit) or a black-and-white image (white = edit)')
      )
    )
  ).action(run(async (ctx, images: string[], raw: Record<string, unknown>) => single(ctx, 'edit', images, raw)))

  addRequestOptions(
    addTemplateOptions(
      program
        .command('generate')
        .description('generate an image from a prompt alone')
        .option('--prompt <text>', 'the image to make (or use --template)')
        .requiredOption('--model <id>', 'model id or alias (see pixdesk models)')
    )
  ).action(run(async (ctx, raw: Record<string, unknown>) => single(ctx, 'generate', [], raw)))
}

async function single(ctx: CliContext, kind: RequestKind, images: string[], raw: Record<string, unknown>) {
  const flags = parseFlags(singleSchema, raw)
  // Loaded here rather than at the top, so registering the command loads none of the request machinery.
  const [{ connect }, { jobInputOf, outDirOf, preflight, resolveInputs, resolveModels }, { printReport, runBatch }, { referencesFromFlags, referenceJobInput }, { withPromptAdditions }] =
    await Promise.all([import('../connection'), import('../request'), import('../run'), import('../reference-flags'), import('../../core/jobs/expand')])
  const services = await ctx.services()
  const [route] = resolveModels(services, [flags.model], flags.provider, '--model')
  const choice = await promptFromFlags(ctx, flags, [route!], paramsOf(flags))
  const params = choice.params
  const chained = flags.parent ? await parentOf(ctx, flags.parent) : undefined
  if (kind === 'edit' && !chained && images.length === 0) throw usageError('Give the image to edit, or --parent <request id> to continue from an earlier result.', 'images')
  if (kind === 'generate' && (flags.ref.length || flags.kit)) throw usageError('--ref and --kit go with edit: a generation takes no images.', flags.kit ? 'kit' : 'ref')
  const inputs = await resolveInputs(chained ? [chained.path, ...images] : images, { folders: false })
  const refs = await referencesFromFlags(ctx, flags)
  if (refs.references.length && inputs.length === 0) throw usageError('--ref: give the image to edit first; references go with it.', 'ref')
  const requestRoute = flags.async ? 'async' : 'sync'
  const prompt = withPromptAdditions(choice.rendered, refs.snippets)
  await preflight([route!], { kind, prompt, params, route: requestRoute, itemInputs: [[...inputs, ...refs.references.map((r) => r.input)]], roles: [...inputs.map(() => undefined), ...refs.references.map((r) => r.role)] })
  const mask = flags.mask ? await maskOf(ctx, services, flags.mask, inputs[0]) : undefined
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
        references: [...references.map(jobInputOf), ...refs.references.map((r) => referenceJobInput(jobInputOf, r))],
        ...choice.spec,
        ...(refs.snippets.length ? { promptAdditions: refs.snippets } : {}),
        models: [{ model: route!.model.id, provider: route!.provider }],
        params,
        route: requestRoute,
        // Asked for explicitly, so it runs even if the same edit succeeded before.
        duplicates: 'run',
        ...(outputDir ? { outputDir } : {}),
        sandbox: connection.sandbox,
        ...(chained ? { parent: chained.parent } : {}),
        ...(mask ? { mask } : {})
      }
    },
    kind === 'edit' ? 'editing' : 'generating',
    { maxWaitMs: flags.maxWait }
  )
  printReport(ctx, result)
  return result.exitCode
}

/** The mask, checked against the image and kept in the data folder; a bad mask is a usage error (exit 2) before anything is sent. */
async function maskOf(ctx: CliContext, services: Services, maskPath: string, image: string | undefined): Promise<MaskRef> {
  const [{ jobInputOf }, { storeMask }] = await Promise.all([import('../request'), import('../../core/masks/store')])
  const source = image === undefined ? undefined : jobInputOf(image)
  if (!source || !('path' in source) || 'url' in source || 'dataUrl' in source || !source.path) {
    throw usageError('--mask: the image to edit must be a file on this computer (a mask cannot go with a web address or data URL).', 'mask', maskPath)
  }
  try {
    const stored = await storeMask(services.paths.dataDir, resolvePath(maskPath), source.path)
    if (stored.scaledFrom) ctx.out.note(`The mask (${stored.scaledFrom.width}×${stored.scaledFrom.height}) was scaled to the image's ${stored.width}×${stored.height}.`)
    return { path: stored.path, sha256: stored.sha256 }
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation') throw usageError(`--mask: ${err.message}`, 'mask', maskPath)
    throw err
  }
}

/** The earlier result to continue from, or a usage error (exit 2) before anything is sent. */
async function parentOf(ctx: CliContext, spec: string) {
  const { resolveParent } = await import('../../core/history/lineage')
  try {
    return await resolveParent(await ctx.history(), spec)
  } catch (err) {
    if (err instanceof AppError) throw usageError(`--parent: ${err.message}`, 'parent', spec)
    throw err
  }
}
