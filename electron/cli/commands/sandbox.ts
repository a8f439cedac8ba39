import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { z } from 'zod'
import type { Runner } from '../types'
import { ExitCode, usageError } from '../exit'
import { intFlag, parseFlags } from '../flags'

const flagsSchema = z.object({
  port: intFlag(0, 65535).optional(),
  latency: intFlag(0, 600_000).optional(),
  faults: z.string().optional(),
  requireKey: z.boolean().optional()
})

export function registerSandbox(program: Command, run: Runner): void {
  program
    .command('sandbox')
    .description('run the local sandbox server (simulated Pixapi: no key, no credits) in the foreground until Ctrl-C')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', '0')
    .option('--latency <ms>', 'added to every request, to watch progress and try cancelling')
    .option('--faults <file>', 'a JSON fault plan to start with (see docs/cli.md); change it later with POST /__sandbox/faults')
    .option('--require-key', 'refuse requests (401) unless they carry the key in PIXAPI_KEY, to try the auth failure path')
    .option('--json', 'print the address as one JSON line')
    .action(
      run(async (ctx, raw: Record<string, unknown>) => {
        const opts = parseFlags(flagsSchema, raw)
        const faults = opts.faults === undefined ? undefined : await readFaultPlan(opts.faults)
        // The expected key comes from the environment, never from argv.
        const apiKey = opts.requireKey ? ctx.env.PIXAPI_KEY?.trim() : undefined
        if (opts.requireKey && !apiKey) throw usageError('--require-key needs the key the sandbox should expect in PIXAPI_KEY.', 'requireKey')
        const { startSandbox } = await import('../../core/sandbox/server')
        const sandbox = await startSandbox({
          port: opts.port ?? 0,
          ...(opts.latency !== undefined ? { latencyMs: opts.latency } : {}),
          ...(faults ? { faults } : {}),
          ...(apiKey ? { apiKey } : {})
        })
        ctx.onDispose(() => sandbox.close())
        // The first line is the address, so a script can start `pixdesk sandbox --port 0` and read where it is.
        ctx.out.event('sandbox.listening', { url: sandbox.url, port: sandbox.port })
        ctx.out.line(`Pixdesk sandbox (simulated Pixapi) listening on ${sandbox.url}`)
        ctx.out.line(`Use it with PIXAPI_BASE_URL=${sandbox.url} (any key, or none), or run commands with --sandbox instead.`)
        ctx.out.line(`Stats: ${sandbox.url}/__sandbox/stats. Press Ctrl-C to stop.`)
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve()
          else ctx.signal.addEventListener('abort', () => resolve(), { once: true })
        })
        const stats = sandbox.stats()
        ctx.out.event('summary', { url: sandbox.url, requests: stats.submissions.length, creditsCharged: stats.creditsCharged })
        ctx.out.line(`Sandbox stopped after ${stats.submissions.length} requests (${stats.creditsCharged} simulated credits).`)
        // Ctrl-C is how a foreground server is meant to stop: that is success, not an interruption.
        return ExitCode.ok
      })
    )
}

async function readFaultPlan(path: string) {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw usageError(`--faults: cannot read "${path}" as JSON (${err instanceof Error ? err.message : String(err)}).`, 'faults', path)
  }
  const { faultPlanSchema } = await import('../../core/sandbox/faults')
  const parsed = faultPlanSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw usageError(`--faults: "${path}" is not a fault plan: ${issue?.path.join('.') || 'plan'} ${issue?.message ?? 'is invalid'}.`, 'faults', path)
  }
  return parsed.data
}
