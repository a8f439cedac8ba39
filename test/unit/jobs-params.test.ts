import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { JobEngine } from '../../electron/core/jobs/engine'
import type { BatchSpec, ItemSnapshot } from '../../electron/core/jobs/model'
import { fakeDeps, limits } from '../support/jobs-fakes'

let dir: string
let engine: JobEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-params-'))
})
afterEach(async () => {
  await engine?.close()
  engine = undefined
  await rm(dir, { recursive: true, force: true })
})

/** Priced by quality, like the GPT tiers, so an estimate shows which params it was computed from. */
const priceOf = (s: ItemSnapshot) => ({ low: 1, medium: 4 })[s.params.quality ?? ''] ?? 14

const spec: BatchSpec = {
  files: [{ path: '/photos/bottle.png' }],
  prompt: 'Wet slate, rim light',
  models: [
    { model: 'gemini-3-pro-image-preview', provider: 'pixapi', params: { aspectRatio: '4:5' } },
    { model: 'gpt-image-1.5', provider: 'pixapi', params: { quality: 'low', size: undefined } }
  ],
  params: { n: 2, size: '1024x1024' },
  compare: true,
  sandbox: true,
  duplicates: 'run'
}

it("merges each model's own params over the shared ones, into its items' snapshots and estimates", async () => {
  const fake = fakeDeps()
  fake.deps.estimate = priceOf
  engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(1) })).engine

  const estimate = await engine.estimate(spec)
  expect(estimate.perModel).toEqual([
    { model: 'gemini-3-pro-image-preview', perItem: 14, items: 1, total: 14 },
    { model: 'gpt-image-1.5', perItem: 1, items: 1, total: 1 }
  ])

  const batch = await engine.createBatch(spec)
  engine.pause(batch.id)
  const [gemini, gpt] = engine.get(batch.id).items
  // An override left unset keeps the shared value rather than clearing it.
  expect(gemini!.snapshot.params).toEqual({ n: 2, size: '1024x1024', aspectRatio: '4:5' })
  expect(gpt!.snapshot.params).toEqual({ n: 2, size: '1024x1024', quality: 'low' })
  expect([gemini!.estimate, gpt!.estimate]).toEqual([14, 1])
})

it('refuses an override that is not a request parameter, naming the field', async () => {
  engine = (await JobEngine.open({ dataDir: dir, deps: fakeDeps().deps, limits: limits(1) })).engine
  const bad = { ...spec, compare: false, models: [{ model: 'gpt-image-1.5', provider: 'pixapi', params: { n: 0 } }] } as BatchSpec
  await expect(engine.createBatch(bad)).rejects.toMatchObject({ data: { code: 'validation', field: 'models.0.params.n' } })
})
