import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { recoveryDir } from '../../electron/core/paid-results'
import { makeImages, openTestEngine, waitFor, type TestEngine } from '../support/jobs-fixtures'

let dir: string
let sandbox: Sandbox | undefined
let t: TestEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-paid-'))
})
afterEach(async () => {
  await t?.close().catch(() => undefined)
  await sandbox?.close()
  t = sandbox = undefined
  await rm(dir, { recursive: true, force: true })
})

const model = { model: 'gemini-2.5-flash-image', provider: 'pixapi' as const }

/** Every file under a folder, recursively, as paths relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  if (!existsSync(folder)) return []
  const entries = await readdir(folder, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(folder.length + 1))
}

async function historyFor(batchId: string) {
  const page = await t!.history.query({ batchId })
  return page.items
}

describe('a paid result that cannot be written where it belongs', () => {
  it('is kept in the recovery area, booked with its request id, and saved again without a second request', async () => {
    sandbox = await startSandbox()
    const [file] = await makeImages(join(dir, 'in'), 1)
    // The output folder's path is taken by a file: nothing can be written there.
    const blocked = join(dir, 'out')
    await writeFile(blocked, 'not a folder')
    t = await openTestEngine(join(dir, 'data'), () => sandbox?.url)
    const { engine } = t
    const batch = await engine.createBatch({ files: [{ path: file! }], prompt: 'white background', models: [model], sandbox: true, outputDir: blocked })
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'failed')

    const failed = engine.get(batch.id).items[0]!
    expect(failed.error?.code).toBe('not_saved')
    expect(failed.error?.message).toMatch(/Paid, not saved/)
    expect(failed.error?.message).toMatch(/recovery folder/)
    expect(failed.error?.requestId).toBe(sandbox.stats().submissions[0]?.requestId)
    expect(failed.paidResult?.kept).toHaveLength(1)
    expect(failed.charged).toBeGreaterThan(0)
    const kept = await filesUnder(recoveryDir(join(dir, 'data')))
    expect(kept.filter((n) => n.endsWith('.png'))).toHaveLength(1)
    expect(kept.filter((n) => n.endsWith('.tmp'))).toEqual([])

    const [record] = await historyFor(batch.id)
    expect(record?.status).toBe('failed')
    expect(record?.error?.code).toBe('not_saved')
    expect(record?.cost.credits).toBe(failed.charged)
    expect(record?.requestIds).toContain(failed.error?.requestId)

    // The folder can be written again: Retry saves the kept images, and nothing is sent.
    await rm(blocked)
    engine.retry(batch.id)
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'done')
    const done = engine.get(batch.id).items[0]!
    expect(done.outputs).toHaveLength(1)
    expect(done.outputs[0]?.path.startsWith(blocked)).toBe(true)
    expect(existsSync(done.outputs[0]!.path)).toBe(true)
    expect(done.charged).toBe(failed.charged)
    expect(sandbox.stats().submissions).toHaveLength(1)
    expect(await filesUnder(recoveryDir(join(dir, 'data')))).toEqual([])

    // One history entry for the one request: the saved line replaces the failed one, counted once.
    const after = await historyFor(batch.id)
    expect(after).toHaveLength(1)
    expect(after[0]?.id).toBe(record?.id)
    expect(after[0]?.status).toBe('succeeded')
    expect(after[0]?.outputs.map((o) => o.path)).toEqual(done.outputs.map((o) => o.path))
    const totals = await t.history.totals({ by: 'model', sandbox: true })
    expect(totals.overall.credits).toBe(failed.charged)
  })

  it('can be saved again into another folder the user chooses', async () => {
    sandbox = await startSandbox()
    const [file] = await makeImages(join(dir, 'in'), 1)
    const blocked = join(dir, 'out')
    await writeFile(blocked, 'not a folder')
    t = await openTestEngine(join(dir, 'data'), () => sandbox?.url)
    const { engine } = t
    const batch = await engine.createBatch({ files: [{ path: file! }], prompt: 'white background', models: [model], sandbox: true, outputDir: blocked })
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'failed')
    const elsewhere = join(dir, 'elsewhere')
    engine.saveAgain(batch.id, [engine.get(batch.id).items[0]!.id], elsewhere)
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'done')
    const done = engine.get(batch.id).items[0]!
    expect(done.outputs[0]?.path.startsWith(elsewhere)).toBe(true)
    expect(sandbox.stats().submissions).toHaveLength(1)
  })

  it('when the recovery area cannot be written either, ends "paid, not saved" and downloads again on Retry', async () => {
    sandbox = await startSandbox()
    const [file] = await makeImages(join(dir, 'in'), 1)
    const blocked = join(dir, 'out')
    await writeFile(blocked, 'not a folder')
    const data = join(dir, 'data')
    await mkdir(data, { recursive: true })
    await writeFile(recoveryDir(data), 'not a folder either')
    t = await openTestEngine(data, () => sandbox?.url)
    const { engine } = t
    const batch = await engine.createBatch({ files: [{ path: file! }], prompt: 'white background', models: [model], sandbox: true, outputDir: blocked })
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'failed')
    const failed = engine.get(batch.id).items[0]!
    expect(failed.error?.code).toBe('not_saved')
    expect(failed.error?.message).toMatch(/Retry downloads it again \(no new charge\)/)
    expect(failed.paidResult?.kept).toBeUndefined()
    expect(failed.paidResult?.urls).toHaveLength(1)
    expect((await historyFor(batch.id))[0]?.cost.credits).toBe(failed.charged)

    await rm(blocked)
    const downloadsBefore = sandbox.stats().downloads
    engine.retry(batch.id)
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'done')
    expect(engine.get(batch.id).items[0]?.outputs).toHaveLength(1)
    expect(sandbox.stats().submissions).toHaveLength(1)
    expect(sandbox.stats().downloads).toBe(downloadsBefore + 1)
  })
})

describe('a sync answer whose output URL cannot be downloaded', () => {
  it('is booked as charged, and Retry downloads the URL again instead of sending the request', async () => {
    sandbox = await startSandbox({ faults: { queue: [{ kind: 'redirect', on: 'download', target: 'https://169.254.169.254/latest/meta-data/' }] } })
    const [file] = await makeImages(join(dir, 'in'), 1)
    t = await openTestEngine(join(dir, 'data'), () => sandbox?.url)
    const { engine } = t
    const batch = await engine.createBatch({ files: [{ path: file! }], prompt: 'white background', models: [model], sandbox: true, route: 'sync' })
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'failed')
    const failed = engine.get(batch.id).items[0]!
    expect(failed.error?.code).toBe('download_failed')
    expect(failed.error?.message).toMatch(/Retry fetches it again without a new request or charge/)
    expect(failed.charged).toBeGreaterThan(0)
    const [record] = await historyFor(batch.id)
    expect(record?.status).toBe('failed')
    expect(record?.cost.credits).toBeGreaterThan(0)

    engine.retry(batch.id)
    await waitFor(engine, () => engine.get(batch.id).items[0]?.state === 'done')
    expect(sandbox.stats().submissions).toHaveLength(1)
    expect(engine.get(batch.id).items[0]?.charged).toBe(failed.charged)
    const after = await historyFor(batch.id)
    expect(after).toHaveLength(1)
    expect(after[0]?.status).toBe('succeeded')
    const totals = await t.history.totals({ by: 'model', sandbox: true })
    expect(totals.overall.credits).toBe(failed.charged)
  })
})
