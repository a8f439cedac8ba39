import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../../shared/errors'
import { packSlug, type Pack, type PackPlan } from '../../../shared/packs'
import type { SkippedInput } from '../../core/jobs/model'
import { packBatchSpec, planForRun } from '../../core/packs/run'
import { openPackStore, packsFromText, type PackStore } from '../../core/packs/store'
import { connect } from '../connection'
import type { CliContext } from '../context'
import { ExitCode, usageError, type ExitCodeValue } from '../exit'
import { baseUrlFlag, durationFlag, intFlag, parseFlags, providerFlag, splitList } from '../flags'
import { formatCredits } from '../output'
import { jobInputOf, outDirOf, preflight, resolveInputs, resolveModels } from '../request'
import { printReport, runBatch } from '../run'

// What the pack commands do (registered in pack.ts).

const packFlagsSchema = z.object({
  pack: z.string({ error: 'is required: a pack id or name (see pixdesk packs list), or a pack JSON file' }).trim().min(1, 'is empty'),
  model: z.string({ error: 'is required (see pixdesk models)' }).trim().min(1, 'is empty (see pixdesk models)'),
  prompt: z.string().max(8000).optional(),
  quality: z.string().trim().min(1).max(32).optional(),
  allowUpscale: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  provider: providerFlag.optional(),
  async: z.boolean().optional(),
  baseUrl: baseUrlFlag.optional(),
  out: z.string().min(1).optional(),
  sandbox: z.boolean().optional(),
  concurrency: intFlag(1, 8).optional(),
  budget: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a positive number of credits, e.g. 200')
    .transform(Number)
    .refine((n) => n > 0, 'must be more than 0 credits')
    .optional(),
  maxWait: durationFlag.optional(),
  json: z.boolean().optional()
})

const store = (ctx: CliContext): Promise<PackStore> => ctx.services().then((s) => openPackStore({ dataDir: s.paths.dataDir }))

/** --pack as a file (a path ending in .json or naming a file) or a pack of the store; an unknown one lists the packs. */
async function packOf(ctx: CliContext, value: string): Promise<Pack> {
  const path = resolve(value)
  const isFile = await stat(path).then((s) => s.isFile(), () => false)
  if (isFile || /\.json$/i.test(value)) {
    if (!isFile) throw usageError(`--pack: "${value}" does not exist. Give a pack id or name (see pixdesk packs list), or a pack JSON file.`, 'pack', value)
    try {
      const packs = packsFromText(await readFile(path, 'utf8'), value)
      if (packs.length !== 1) throw usageError(`--pack: ${value} holds ${packs.length} packs; import it with "pixdesk packs import ${value}" and name one.`, 'pack', value)
      const [only] = packs
      return { id: only!.wanted ?? packSlug(only!.fields.name), ...only!.fields, builtIn: false }
    } catch (err) {
      if (err instanceof AppError) throw usageError(`--pack: ${err.message}`, 'pack', value)
      throw err
    }
  }
  try {
    return await (await store(ctx)).find(value)
  } catch (err) {
    if (err instanceof AppError && err.code === 'validation') throw usageError(`--pack: ${err.message}`, 'pack', value)
    throw err
  }
}

export function printPlan(ctx: CliContext, plan: PackPlan): void {
  ctx.out.event('plan', { ...plan })
  ctx.out.table(
    ['target', 'size', 'model size', 'finishing', 'credits'],
    plan.targets.map((t) => [t.target, `${t.width}×${t.height}`, t.model.label, t.finishing, t.price === null ? 'unpriced' : formatCredits(t.price)]),
    ['left', 'right', 'left', 'left', 'right']
  )
  const each = plan.perImage === null ? 'unpriced (the catalog has no price for every target)' : `${formatCredits(plan.perImage)} credits per image`
  const total = plan.total === null ? '' : `, ${formatCredits(plan.total)} credits in all`
  ctx.out.line(`\n${plan.packName} with ${plan.model} (${plan.provider}): ${plan.targets.length} target${plan.targets.length === 1 ? '' : 's'} × ${plan.images} image${plan.images === 1 ? '' : 's'}; ${each}${total}.`)
}

export async function runPack(ctx: CliContext, paths: string[], raw: Record<string, unknown>): Promise<ExitCodeValue> {
  const flags = parseFlags(packFlagsSchema, raw)
  const services = await ctx.services()
  const pack = await packOf(ctx, flags.pack)
  const [route] = resolveModels(services, [flags.model], flags.provider, '--model')
  const skipped: SkippedInput[] = []
  const files = await resolveInputs(paths, { folders: true, note: (t) => ctx.out.note(t), skip: (input) => skipped.push(input) })
  if (!files.length) throw usageError(`No usable images in the paths given${skipped.length ? ` (${skipped.length} skipped: ${skipped[0]!.reason.message})` : ''}; nothing to do.`, 'paths')
  const plan = planForRun(services.catalog, { pack, model: route!.model.id, provider: route!.provider, images: files.length, extraPrompt: flags.prompt, quality: flags.quality })
  printPlan(ctx, plan)
  if (plan.needsUpscale.length) {
    for (const problem of plan.needsUpscale) ctx.out.note(`pixdesk: ${problem}`)
    if (!flags.allowUpscale && !flags.dryRun) throw usageError(`${plan.needsUpscale.length} target${plan.needsUpscale.length === 1 ? ' is' : 's are'} larger than ${plan.model} makes; add --allow-upscale to enlarge them with sharp (flagged in each output), or choose another model. Nothing was sent.`, 'allowUpscale')
  }
  const requestRoute = flags.async ? 'async' : 'sync'
  // Every target's params against the catalog; the files once (they are the same for every target).
  for (const [i, target] of plan.targets.entries()) {
    await preflight([route!], { kind: 'edit', prompt: target.prompt, params: { n: 1, ...target.params }, route: requestRoute, itemInputs: i === 0 ? files.map((f) => [f]) : [[files[0]!]] })
  }
  if (flags.dryRun) {
    ctx.out.line('Dry run: nothing was sent.')
    ctx.out.event('summary', { dryRun: true, total: plan.total, targets: plan.targets.length, images: files.length })
    return ExitCode.ok
  }
  const outputDir = await outDirOf(flags.out)
  const connection = await connect(ctx, services, [route!.provider], { provider: flags.provider, baseUrl: flags.baseUrl })
  const engine = await ctx.jobs(connection, flags.concurrency)
  const spec = packBatchSpec(plan, {
    files: files.map(jobInputOf),
    skipped,
    allowUpscale: flags.allowUpscale === true,
    route: requestRoute,
    outputDir,
    sandbox: connection.sandbox,
    budgetCredits: flags.budget ?? null,
    concurrency: flags.concurrency
  })
  const result = await runBatch(ctx, engine, { spec }, 'pack', { maxWaitMs: flags.maxWait })
  printReport(ctx, result)
  return printChecks(ctx, result.summary.items, result.exitCode)
}

/** Every output with its target's checks; an output that misses a rule makes the exit code 1. */
function printChecks(ctx: CliContext, items: Awaited<ReturnType<typeof runBatch>>['summary']['items'], exitCode: ExitCodeValue): ExitCodeValue {
  const outputs = items.flatMap((item) => item.outputs.map((o) => ({ item, output: o })))
  if (!outputs.length) return exitCode
  let failed = 0
  ctx.out.line('\nChecks:')
  for (const { output } of outputs) {
    const finish = output.finish
    if (!finish) continue
    const misses = finish.checks.filter((c) => !c.passed)
    if (misses.length) failed++
    ctx.out.event('output', { path: output.path, target: finish.target, checks: finish.checks, upscaled: finish.upscaled ?? null, steps: finish.steps })
    const flag = finish.upscaled ? ` (upscaled ×${finish.upscaled.toFixed(2)})` : ''
    ctx.out.line(`  ${misses.length ? 'FAIL' : 'ok  '} ${finish.target}${flag}: ${output.path}`)
    for (const miss of misses) ctx.out.line(`       ${miss.message}`)
  }
  ctx.out.event('checks', { outputs: outputs.length, failed })
  if (failed) ctx.out.note(`pixdesk: ${failed} of ${outputs.length} output${outputs.length === 1 ? '' : 's'} do not meet their target's rules (see above).`)
  return failed && exitCode === ExitCode.ok ? ExitCode.someFailed : exitCode
}

const targetSize = (t: Pack['targets'][number]) => (t.width && t.height ? `${t.width}×${t.height}` : `${t.aspectRatio} at the largest size`)
const kb = (bytes: number | undefined) => (bytes === undefined ? '' : bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`)

export async function listPacks(ctx: CliContext): Promise<ExitCodeValue> {
  const s = await store(ctx)
  const packs = await s.list()
  for (const p of packs) ctx.out.event('pack', { ...p })
  ctx.out.table(
    ['id', 'name', 'kind', 'targets'],
    packs.map((p) => [p.id, p.name, p.builtIn ? 'built-in' : 'mine', p.targets.map((t) => `${t.name} ${targetSize(t)}`).join(', ')])
  )
  for (const warning of s.warnings()) ctx.out.note(warning)
  ctx.out.line(`\n${packs.length} packs. Run one with: pixdesk pack <images> --pack ID --model MODEL`)
  ctx.out.event('summary', { count: packs.length })
  return ExitCode.ok
}

export async function showPack(ctx: CliContext, id: string): Promise<ExitCodeValue> {
  const p = await packOf(ctx, id)
  ctx.out.event('pack', { ...p })
  ctx.out.line(`${p.name} (${p.id}) · ${p.builtIn ? 'built-in' : 'yours'}`)
  if (p.description) ctx.out.line(p.description)
  ctx.out.line('')
  ctx.out.table(
    ['target', 'size', 'format', 'quality', 'max size', 'background', 'method'],
    p.targets.map((t) => [t.name, targetSize(t), t.format, t.format === 'png' ? '' : t.quality, kb(t.maxBytes), t.background === 'white' ? 'pure white' : t.background, t.method])
  )
  ctx.out.event('summary', { count: 1 })
  return ExitCode.ok
}

export async function importPacks(ctx: CliContext, file: string): Promise<ExitCodeValue> {
  const result = await (await store(ctx)).importFile(resolve(file))
  for (const p of result.imported) ctx.out.event('pack', { ...p })
  for (const r of result.renamed) ctx.out.note(`"${r.from}" was taken; imported as "${r.to}".`)
  ctx.out.table(['id', 'name', 'targets'], result.imported.map((p) => [p.id, p.name, p.targets.length]))
  ctx.out.line(`\nImported ${result.imported.length} pack${result.imported.length === 1 ? '' : 's'} from ${resolve(file)}.`)
  ctx.out.event('summary', { count: result.imported.length, renamed: result.renamed })
  return ExitCode.ok
}

export async function exportPacks(ctx: CliContext, file: string, flags: { id?: string }): Promise<ExitCodeValue> {
  const result = await (await store(ctx)).exportFile(resolve(file), flags.id ? splitList(flags.id) : undefined)
  ctx.out.line(`Exported ${result.count} pack${result.count === 1 ? '' : 's'} to ${result.path}.`)
  ctx.out.event('summary', result)
  return ExitCode.ok
}
