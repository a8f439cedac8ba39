/**
 * Jobs engine throughput: 200 items against the sandbox with 200 ms simulated latency at concurrency 4,
 * compared with the ideal N×L/c measured in the same run; then the same batch with 429s injected, to
 * show throughput follows Retry-After and no item fails. Run: npx tsx test/bench/jobs.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSandbox, type SandboxOptions } from '../../electron/core/sandbox/server'
import { makeImages, openTestEngine, waitFor } from '../support/jobs-fixtures'

const N = 200
const LATENCY_MS = 200
const CONCURRENCY = 4

async function runBatch(label: string, faults: SandboxOptions['faults']) {
  const dir = await mkdtemp(join(tmpdir(), 'pixdesk-jobs-bench-'))
  const sandbox = await startSandbox({ latencyMs: LATENCY_MS, faults })
  try {
    const files = await makeImages(join(dir, 'in'), N, 48)
    const t = await openTestEngine(join(dir, 'data'), () => sandbox.url, {
      concurrency: CONCURRENCY,
      perProviderConcurrency: { pixapi: CONCURRENCY, openai: CONCURRENCY, gemini: CONCURRENCY }
    })
    const started = performance.now()
    const batch = await t.engine.createBatch({
      files: files.map((path) => ({ path })),
      prompt: 'Remove the background',
      models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }],
      route: 'sync',
      sandbox: true,
      duplicates: 'run'
    })
    await waitFor(t.engine, () => t.engine.get(batch.id).state === 'done')
    const wallMs = performance.now() - started
    const detail = t.engine.get(batch.id)
    const rateLimited = sandbox.stats().submissions.filter((s) => s.status === 429).length
    await t.close()
    const ideal = (N * LATENCY_MS) / CONCURRENCY
    console.log(
      `${label}: ${N} items in ${(wallMs / 1000).toFixed(2)} s; ideal N×L/c = ${(ideal / 1000).toFixed(2)} s; ratio ${(wallMs / ideal).toFixed(3)}×; ` +
        `done ${detail.counts.done}, failed ${detail.counts.failed}; 429s answered ${rateLimited}; ` +
        `throughput ${((detail.counts.done / wallMs) * 1000).toFixed(1)} items/s` +
        (rateLimited ? `; provider pauses ${t.events.filter((e) => e.type === 'rate_limited').length}` : '')
    )
    return { wallMs, ideal, done: detail.counts.done, failed: detail.counts.failed, rateLimited }
  } finally {
    await sandbox.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const clean = await runBatch('no faults', undefined)
  // The sandbox's random 429s carry Retry-After: 1 (second).
  const RETRY_AFTER_MS = 1000
  const limited = await runBatch('429s (5%, Retry-After 1 s)', {
    seed: 3,
    probabilities: { rate_limited: 0.05 },
    queue: []
  })
  // Each 429 pauses the provider for its Retry-After: the floor is the clean time plus those pauses
  // where they do not overlap. Report how far the run is from "clean + pauses".
  const expectedFloor = clean.wallMs + limited.rateLimited * RETRY_AFTER_MS
  console.log(
    `429 run: ${limited.rateLimited} rate limits, ${limited.failed} failed (goal 0); wall ${(limited.wallMs / 1000).toFixed(2)} s vs clean ${(clean.wallMs / 1000).toFixed(2)} s ` +
      `+ serial Retry-After upper bound ${((limited.rateLimited * RETRY_AFTER_MS) / 1000).toFixed(2)} s = ${(expectedFloor / 1000).toFixed(2)} s`
  )
  console.log(`goal ≤ 1.10× ideal: ${clean.wallMs / clean.ideal <= 1.1 ? 'met' : 'NOT met'} (${(clean.wallMs / clean.ideal).toFixed(3)}×)`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
