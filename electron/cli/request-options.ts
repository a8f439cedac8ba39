import type { Command } from 'commander'
import { z } from 'zod'
import { providerIds, providerNamesWhere } from '../../shared/providers'
import type { RequestParams } from '../../shared/records'
import { baseUrlFlag, durationFlag, intFlag, providerFlag } from './flags'

// What edit, generate, batch and compare accept, kept apart from request.ts (which checks inputs and
// models against the catalog) so that registering the commands loads none of that.

/** Options edit, generate, batch and compare share. */
export function addRequestOptions(command: Command): Command {
  return command
    .option('--n <n>', 'images per request (default 1)')
    .option('--size <size>', 'output size, e.g. 1024x1024, 2K, auto (see pixdesk models)')
    .option('--quality <quality>', 'low | medium | high | auto, where the model has it')
    .option('--async', `use ${providerNamesWhere((f) => f.asyncTasks)} asynchronous tasks (submit, then poll)`)
    .option('--provider <id>', `${providerIds.join(' | ')} (default: the active provider in settings, if it serves the model)`)
    .option('--base-url <url>', 'send to this address instead of the configured one')
    .option('--out <dir>', 'write outputs here (default: a "pixdesk" folder beside each source image)')
    .option('--sandbox', 'send to a local sandbox started for this command (same as pixdesk --sandbox)')
    .option('--max-wait <duration>', 'stop waiting for an unreachable server after this long, e.g. 90s, 10m, 2h (exit 69; the work stays queued). Default: wait until Ctrl-C')
    .option('--json', 'one JSON line per event, then a summary')
}

export const requestFlagsSchema = z.object({
  prompt: z.string().optional(),
  n: intFlag(1, 10).optional(),
  size: z.string().trim().min(1).max(32).optional(),
  quality: z.string().trim().min(1).max(32).optional(),
  async: z.boolean().optional(),
  provider: providerFlag.optional(),
  baseUrl: baseUrlFlag.optional(),
  out: z.string().min(1).optional(),
  sandbox: z.boolean().optional(),
  maxWait: durationFlag.optional()
})
export type RequestFlags = z.infer<typeof requestFlagsSchema>

export function paramsOf(flags: RequestFlags): RequestParams {
  return {
    n: flags.n ?? 1,
    ...(flags.size ? { size: flags.size } : {}),
    ...(flags.quality ? { quality: flags.quality } : {})
  }
}
