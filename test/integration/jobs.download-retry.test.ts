import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { makeImages, openTestEngine, waitFor, type TestEngine } from '../support/jobs-fixtures'

let dir: string
let sandbox: Sandbox | undefined
let t: TestEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-dlretry-'))
})
afterEach(async () => {
  await t?.close().catch(() => undefined)
  await sandbox?.close()
  t = sandbox = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('a completed task whose download fails', () => {
  it('fails as "download failed" with its task id, and Retry downloads by task id without a second submission', async () => {
    sandbox = await startSandbox({ taskPolls: 0, faults: { queue: [{ kind: 'redirect', on: 'download', target: 'https://169.254.169.254/latest/meta-data/' }] } })
    const files = await makeImages(join(dir, 'in'), 1)
    t = await openTestEngine(join(dir, 'data'), () => sandbox?.url)
    const engine = t.engine
    const batch = await engine.createBatch({ files: files.map((path) => ({ path })), prompt: 'white background', models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }], sandbox: true, route: 'async' })
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'failed')
    const failed = engine.get(batch.id).items[0]!
    expect(failed.error?.code).toBe('download_failed')
    expect(failed.error?.message).not.toMatch(/refused the API key/)
    expect(failed.taskId).toBeDefined()
    const taskId = failed.taskId

    engine.retry(batch.id)
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'done')
    const done = engine.get(batch.id).items[0]!
    expect(done.taskId).toBe(taskId)
    expect(sandbox.stats().submissions).toHaveLength(1)
    expect(sandbox.stats().tasksCreated).toBe(1)
    expect(sandbox.stats().downloads).toBe(2)
    // The charge was booked when the download failed; the saved result replaces that line, counted once.
    expect(failed.charged).toBeGreaterThan(0)
    expect(done.charged).toBe(failed.charged)
    const entries = (await t.history.query({ batchId: batch.id })).items
    expect(entries.map((e) => e.status)).toEqual(['succeeded'])
    expect((await t.history.totals({ by: 'model', sandbox: true })).overall.credits).toBe(failed.charged)
  })
})
