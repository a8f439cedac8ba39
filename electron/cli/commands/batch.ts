import type { Command } from 'commander'
import type { Runner } from '../types'
import { addRequestOptions } from '../request-options'
import { addTemplateOptions } from '../template-flags'
import { addReferenceOptions } from '../reference-flags'

// The bodies live in batch-actions.ts and are loaded when a batch command runs, so registering (and
// `pixdesk --help`) loads neither the engine nor the providers.

export function registerBatch(program: Command, run: Runner): void {
  const batch = addRequestOptions(
    addReferenceOptions(
      addTemplateOptions(
        program
          .command('batch')
          .description('run one edit per image (and per model), with a budget, resumable after Ctrl-C')
          .argument('<paths...>', 'image files and folders (searched recursively), https URLs or data URLs')
          .option('--prompt <text>', 'the edit for every image (or use --template)')
      )
    )
      // Not a required option to commander: it would then demand --model of `batch list` too; zod checks it.
      .option('--model <ids>', 'model id or alias; several separated by commas run every image on each (required)')
      .option('--concurrency <n>', 'requests at once for this batch (1-8)')
      .option('--budget <credits>', 'stop starting new requests once this many credits would be passed')
      .option('--duplicates <mode>', 'skip (default) or run items identical to an earlier success')
  ).action(run(async (ctx, paths: string[], raw: Record<string, unknown>) => (await import('./batch-actions')).startBatch(ctx, paths, raw)))

  batch
    .command('resume')
    .description('continue a paused or interrupted batch (items cancelled or cut off before sending are run again)')
    .argument('<id>', 'batch id (from pixdesk batch list; a unique prefix is enough)')
    .option('--budget <credits>', 'set a new budget for the batch')
    .option('--concurrency <n>', 'requests at once (1-8)')
    .option('--sandbox', 'resume in a local sandbox (for batches started with --sandbox)')
    .option('--resend-charged', 'also send again items that may already have been charged (you may pay twice)')
    .option('--save-to <dir>', 'save paid results that could not be written into this folder instead')
    .option('--max-wait <duration>', 'stop waiting for an unreachable server after this long, e.g. 90s, 10m (exit 69; the work stays queued)')
    .option('--json', 'one JSON line per event, then a summary')
    .action(run(async (ctx, id: string, raw: Record<string, unknown>) => (await import('./batch-actions')).resumeBatch(ctx, id, raw)))

  batch
    .command('list')
    .description('batches in the queue (shared with the desktop app)')
    .option('--json', 'one JSON line per batch, then a summary')
    .action(
      run(async (ctx) => (await import('./batch-actions')).listBatches(ctx))
    )

  batch
    .command('status')
    .description("a batch's items: state, credits, request ids and reasons for failures")
    .argument('<id>', 'batch id (a unique prefix is enough)')
    .option('--json', 'one JSON line per item, then a summary')
    .action(
      run(async (ctx, id: string) => (await import('./batch-actions')).batchStatus(ctx, id))
    )
}

