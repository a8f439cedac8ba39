import type { Command } from 'commander'
import { providerIds } from '../../../shared/providers'
import type { Runner } from '../types'

// The bodies live in pack-actions.ts and are loaded when a pack command runs, so registering (and
// `pixdesk --help`) loads neither the engine nor sharp.

export function registerPack(program: Command, run: Runner): void {
  program
    .command('pack')
    .description('make each image ready for a channel: one request per image and target, finished to the exact size, format and byte cap, then checked')
    .argument('<paths...>', 'image files and folders (searched recursively)')
    .requiredOption('--pack <name|id|file.json>', 'a pack id or name (see pixdesk packs list), or a pack JSON file')
    .requiredOption('--model <id>', 'model id or alias (see pixdesk models)')
    .option('--prompt <text>', 'further instructions added to every target (the product stays as it is)')
    .option('--quality <quality>', 'low | medium | high | auto, where the model has it')
    .option('--allow-upscale', 'accept enlarging with sharp where a target is larger than the model makes (flagged in each output)')
    .option('--dry-run', 'show the plan (model size, finishing and price per target) and send nothing')
    .option('--provider <id>', `${providerIds.join(' | ')} (default: the active provider in settings, if it serves the model)`)
    .option('--async', 'use asynchronous tasks (submit, then poll) where the provider has them')
    .option('--base-url <url>', 'send to this address instead of the configured one')
    .option('--out <dir>', 'write outputs here (default: a "pixdesk" folder beside each source image)')
    .option('--sandbox', 'send to a local sandbox started for this command (same as pixdesk --sandbox)')
    .option('--concurrency <n>', 'requests at once for this run (1-8)')
    .option('--budget <credits>', 'stop starting new requests once this many credits would be passed')
    .option('--max-wait <duration>', 'stop waiting for an unreachable server after this long, e.g. 90s, 10m (exit 69; the work stays queued)')
    .option('--json', 'one JSON line per event, then a summary')
    .action(run(async (ctx, paths: string[], raw: Record<string, unknown>) => (await import('./pack-actions')).runPack(ctx, paths, raw)))

  const packs = program
    .command('packs')
    .description('channel packs: list, show, import, export (use one with pixdesk pack --pack ID)')
    .option('--json', 'one JSON line per pack, then a summary')
    .action(run(async (ctx) => (await import('./pack-actions')).listPacks(ctx)))

  packs
    .command('list')
    .description('the built-in packs and your own')
    .option('--json', 'one JSON line per pack, then a summary')
    .action(run(async (ctx) => (await import('./pack-actions')).listPacks(ctx)))

  packs
    .command('show')
    .description("a pack's targets: size, format, quality, byte cap, background and method")
    .argument('<id>', 'pack id or name')
    .option('--json', 'the pack as one JSON line')
    .action(run(async (ctx, id: string) => (await import('./pack-actions')).showPack(ctx, id)))

  packs
    .command('import')
    .description('add the packs of a JSON file (a Pixdesk pack export, a list of packs or one pack); all or none')
    .argument('<file>', '.json file')
    .option('--json', 'one JSON line per imported pack, then a summary')
    .action(run(async (ctx, file: string) => (await import('./pack-actions')).importPacks(ctx, file)))

  packs
    .command('export')
    .description('write packs to a JSON file others can import (default: all of your own)')
    .argument('<file>', 'the .json file to write')
    .option('--id <ids>', 'only these packs (built-in ones too), separated by commas')
    .option('--json', 'a summary as one JSON line')
    .action(run(async (ctx, file: string, flags: { id?: string }) => (await import('./pack-actions')).exportPacks(ctx, file, flags)))
}
