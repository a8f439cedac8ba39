import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { KitView } from '../../../shared/kits'
import type { CliContext } from '../context'
import type { Runner } from '../types'
import { ExitCode, usageError, type ExitCodeValue } from '../exit'

// Brand kits: named sets of reference images and prompt snippets in the data folder (core/kits/).

async function dataDir(ctx: CliContext): Promise<string> {
  const { resolveAppPaths } = await import('../../core/paths')
  return resolveAppPaths(ctx.env).dataDir
}

const roleList = (kit: KitView) => kit.references.map((r, i) => `${i + 2}${r.role ? ` ${r.role}` : ''}`).join(', ')

async function list(ctx: CliContext): Promise<ExitCodeValue> {
  const { listKits, kitView } = await import('../../core/kits/store')
  const { kits, warnings } = await listKits(await dataDir(ctx))
  const views = kits.map(kitView)
  for (const kit of views) ctx.out.event('kit', { ...kit })
  ctx.out.table(
    ['id', 'name', 'references (image number, role)', 'snippets'],
    views.map((k) => [k.id, k.name, roleList(k) || 'none', k.snippets.length])
  )
  for (const warning of warnings) ctx.out.note(`pixdesk: ${warning}`)
  ctx.out.line(`\n${views.length} brand kit${views.length === 1 ? '' : 's'}. Use one with --kit NAME on edit or batch.`)
  ctx.out.event('summary', { count: views.length })
  return ExitCode.ok
}

async function show(ctx: CliContext, name: string): Promise<ExitCodeValue> {
  const { findKit, kitView } = await import('../../core/kits/store')
  const kit = await findKit(await dataDir(ctx), name)
  const view = kitView(kit)
  ctx.out.event('kit', { ...view, folder: kit.dir })
  ctx.out.line(`${view.name} (${view.id}) · ${kit.dir}`)
  if (view.description) ctx.out.line(view.description)
  ctx.out.line('\nReference images (sent after the image edited, in this order):')
  ctx.out.table(
    ['image', 'file', 'role', 'bytes', 'sha256'],
    view.references.map((r, i) => [i + 2, r.file, r.role ?? '', r.bytes, r.sha256.slice(0, 16)])
  )
  if (view.snippets.length) {
    ctx.out.line('\nPrompt snippets (added after the prompt):')
    for (const snippet of view.snippets) ctx.out.line(`  ${snippet}`)
  }
  ctx.out.event('summary', { count: 1 })
  return ExitCode.ok
}

export function registerKits(program: Command, run: Runner): void {
  const kits = program
    .command('kits')
    .description('brand kits: reference images and prompt snippets reused with --kit NAME (list, show, import, export, delete)')
    .option('--json', 'one JSON line per kit, then a summary')
    .action(run(async (ctx) => list(ctx)))

  kits
    .command('list')
    .description('the brand kits in the data folder')
    .option('--json', 'one JSON line per kit, then a summary')
    .action(run(async (ctx) => list(ctx)))

  kits
    .command('show')
    .description("a kit's reference images (with roles and hashes) and prompt snippets")
    .argument('<name>', 'kit name or id (see pixdesk kits list)')
    .option('--json', 'the kit as one JSON line')
    .action(run(async (ctx, name: string) => show(ctx, name)))

  kits
    .command('import')
    .description('add a kit from a folder (kit.json beside the images) or a kit JSON file with the images embedded; all or nothing')
    .argument('<path>', 'kit folder or .json file')
    .option('--name <name>', 'import under this name instead of the one in the kit')
    .option('--replace', 'replace a kit of the same name')
    .option('--json', 'the imported kit as one JSON line')
    .action(
      run(async (ctx, path: string, flags: { name?: string; replace?: boolean }) => {
        const [{ importKit }, { kitView }] = await Promise.all([import('../../core/kits/files'), import('../../core/kits/store')])
        const kit = kitView(await importKit(await dataDir(ctx), resolve(path), { ...(flags.name ? { name: flags.name } : {}), replace: flags.replace === true }))
        ctx.out.event('kit', { ...kit })
        ctx.out.line(`Imported brand kit "${kit.name}" (${kit.id}): ${kit.references.length} reference image${kit.references.length === 1 ? '' : 's'}, ${kit.snippets.length} snippet${kit.snippets.length === 1 ? '' : 's'}.`)
        ctx.out.event('summary', { count: 1 })
        return ExitCode.ok
      })
    )

  kits
    .command('export')
    .description('write a kit as a folder (kit.json + images) or, with a .json path, one file with the images embedded')
    .argument('<name>', 'kit name or id')
    .argument('<dest>', 'a new (or empty) folder, or a new .json file')
    .option('--json', 'a summary as one JSON line')
    .action(
      run(async (ctx, name: string, dest: string) => {
        const { exportKit } = await import('../../core/kits/files')
        const form = dest.toLowerCase().endsWith('.json') ? 'json' : 'folder'
        const result = await exportKit(await dataDir(ctx), name, resolve(dest), form)
        ctx.out.line(`Exported brand kit "${result.kit.manifest.name}" to ${result.path} (${form === 'json' ? 'one JSON file' : 'a folder'}).`)
        ctx.out.event('summary', { kit: result.kit.id, path: result.path, form })
        return ExitCode.ok
      })
    )

  kits
    .command('delete')
    .description('remove a kit from the data folder (files made with it keep their references in their records)')
    .argument('<name>', 'kit name or id')
    .option('--yes', 'confirm: the kit folder and its images are removed')
    .option('--json', 'a summary as one JSON line')
    .action(
      run(async (ctx, name: string, flags: { yes?: boolean }) => {
        if (!flags.yes) throw usageError(`Deleting brand kit "${name}" removes its images from the data folder; add --yes to confirm.`, 'yes')
        const { deleteKit } = await import('../../core/kits/store')
        const kit = await deleteKit(await dataDir(ctx), name)
        ctx.out.line(`Deleted brand kit "${kit.manifest.name}".`)
        ctx.out.event('summary', { deleted: kit.id })
        return ExitCode.ok
      })
    )
}
