/**
 * A Pixdesk engine in its own process, for crash tests: the test SIGKILLs it mid-batch and starts it
 * again. It creates the batch described by JOBS_SPEC on first start (when the queue is empty), then
 * runs whatever the saved queue holds and prints one line per finished item and "FINISHED <json>".
 */
import { readFile } from 'node:fs/promises'
import type { BatchSpec } from '../../electron/core/jobs/model'
import { openTestEngine } from './jobs-fixtures'

async function main(): Promise<void> {
  const dataDir = process.env.JOBS_DATA_DIR
  const sandboxUrl = process.env.JOBS_SANDBOX_URL
  const specPath = process.env.JOBS_SPEC
  if (!dataDir || !sandboxUrl || !specPath) throw new Error('JOBS_DATA_DIR, JOBS_SANDBOX_URL and JOBS_SPEC are required')
  const t = await openTestEngine(dataDir, () => sandboxUrl, { concurrency: 4, perProviderConcurrency: { pixapi: 4, openai: 4, gemini: 4 }, maxAttempts: 4 })
  t.engine.on((event) => {
    if (event.type === 'item.updated' && ['done', 'failed', 'cancelled', 'interrupted'].includes(event.item.state)) {
      console.log(`ITEM ${event.item.state} ${event.progress.done}/${event.progress.total}`)
    }
  })
  let batch = t.engine.list()[0]
  if (!batch) {
    const spec = JSON.parse(await readFile(specPath, 'utf8')) as BatchSpec
    batch = await t.engine.createBatch(spec)
    console.log(`CREATED ${batch.id}`)
  }
  const id = batch.id
  await new Promise<void>((resolve) => {
    const check = () => {
      const state = t.engine.get(id).state
      if (state === 'done' || state === 'cancelled') resolve()
    }
    t.engine.on(check)
    check()
  })
  const report = t.engine.get(id).report
  await t.close()
  console.log(`FINISHED ${JSON.stringify(report)}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
