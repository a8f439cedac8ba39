import type { Command } from 'commander'
import type { Runner } from '../types'
import { collect } from '../flags'
import { addTemplateOptions } from '../template-flags'

// The body lives in watch-action.ts and is loaded when the command runs, so `pixdesk --help` loads
// neither the watcher nor the engine.

export function registerWatch(program: Command, run: Runner): void {
  addTemplateOptions(
    program
      .command('watch')
      .description('watch a folder and send each new image once, in the foreground, until Ctrl-C (takes the job queue like a batch)')
      .argument('<folder>', 'the folder to watch')
      .option('--prompt <text>', 'the edit for every new image (or use --template, or --pack)')
  )
    .option('--pack <id>', 'make every new image into each target of this channel pack instead of an edit (see pixdesk packs list; one model)')
    .option('--allow-upscale', 'with --pack: accept enlarging with sharp where a target is larger than the model makes')
    .option('--model <ids>', 'model id or alias; several separated by commas run every image on each (required)')
    .option('--daily-budget <credits>', 'credits this rule may commit per day (local time); files beyond it wait until the next day')
    .option('--out <dir>', 'write outputs here (default: a "pixdesk" folder beside each image; never watched)')
    .option('--recursive', 'watch subfolders too')
    .option('--pattern <glob>', 'which files count, e.g. "*.jpg" (repeat for several; default: common image types)', collect, [])
    .option('--include-existing', 'also send the images already in the folder the first time this rule runs')
    .option('--settle <duration>', "how long a file's size must stay the same before it is sent, e.g. 2s, 500ms (default 2s)")
    .option('--n <n>', 'images per request (default 1)')
    .option('--size <size>', 'output size, e.g. 1024x1024, 2K, auto (see pixdesk models)')
    .option('--quality <quality>', 'low | medium | high | auto, where the model has it')
    .option('--aspect-ratio <ratio>', 'e.g. 1:1, 4:5, 16:9, where the model has it')
    .option('--async', 'use asynchronous tasks (submit, then poll) where the provider has them')
    .option('--provider <id>', 'the provider to send to (default: the active one in settings, if it serves the model)')
    .option('--base-url <url>', 'send to this address instead of the configured one')
    .option('--sandbox', 'send to a local sandbox started for this command (same as pixdesk --sandbox)')
    .option('--json', 'one JSON line per event')
    .action(run(async (ctx, folder: string, raw: Record<string, unknown>) => (await import('./watch-action')).watchFolder(ctx, folder, raw)))
}
