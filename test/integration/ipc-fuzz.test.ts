import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { channelNames, channels, type Channel, type Envelope } from '../../shared/contract'
import { appErrorSchema } from '../../shared/errors'
import { connectRenderer } from '../../electron/ipc/connection'
import type { Dispatch } from '../../electron/ipc/dispatch'
import { createKeychain } from '../../electron/core/keychain'
import { createServices, type Services } from '../../electron/core/services'

/**
 * Every channel of the contract, called the way a hostile renderer could: arbitrary values, valid
 * payloads with one field swapped for garbage, extra keys (prototype-polluting ones above all), each
 * passed through a structured clone first, as Electron's IPC does. The real dispatcher and services
 * answer, on a throwaway data folder.
 */

/** One valid payload per channel, the seed the mutations start from. */
const validPayloads: Record<Channel, Record<string, unknown>> = {
  'app.info': {},
  'app.ping': { message: 'hello' },
  'settings.get': {},
  'settings.update': { patch: {} },
  'settings.pickOutputFolder': {},
  'keys.status': {},
  'keys.set': { provider: 'openai', key: 'sk-fuzz-12345678' },
  'keys.delete': { provider: 'openai' },
  'keys.test': { provider: 'openai' },
  'catalog.models': {},
  'catalog.addCustom': { id: 'fuzz-model', provider: 'openai' },
  'catalog.removeCustom': { id: 'fuzz-model' },
  'templates.list': {},
  'kits.list': {},
  'kits.create': { kit: { name: 'Fuzz kit', references: [{ assetId: 'asset-1', role: 'logo' }], snippets: ['Keep it red.'] } },
  'kits.update': { id: 'fuzz-kit', kit: { name: 'Fuzz kit', references: [{ kitFile: 'logo.png' }] } },
  'kits.duplicate': { id: 'fuzz-kit' },
  'kits.delete': { id: 'fuzz-kit' },
  'kits.import': { form: 'json' },
  'kits.export': { id: 'fuzz-kit', form: 'folder' },
  'templates.warnings': {},
  'templates.create': { template: { name: 'Fuzz', prompt: 'Paint it {colour}.', variables: [{ name: 'colour', label: 'Colour' }] } },
  'templates.update': { id: 'fuzz', template: { name: 'Fuzz', prompt: 'Brighter.' } },
  'templates.duplicate': { id: 'relight' },
  'templates.delete': { id: 'fuzz' },
  'templates.import': {},
  'templates.export': {},
  'packs.list': {},
  'packs.save': { pack: { name: 'Fuzz', targets: [{ name: 'Square', width: 500, height: 500 }] } },
  'packs.delete': { id: 'fuzz' },
  'packs.import': {},
  'packs.export': {},
  'packs.plan': { packId: 'social', assetIds: ['asset-1'], model: 'gpt-image-1' },
  'packs.run': { packId: 'social', assetIds: ['asset-1'], model: 'gpt-image-1' },
  'library.pick': { kind: 'files' },
  'library.import': { paths: ['/nonexistent/pixdesk-fuzz'] },
  'library.paste': { base64: 'aGVsbG8=', name: 'pasted.png' },
  'library.roots': {},
  'library.removeRoot': { rootId: 'root-1' },
  'library.assets': { filter: 'all' },
  'library.check': { assetIds: ['asset-1'], model: 'gpt-image-1' },
  'jobs.estimate': { assetIds: ['asset-1'], prompt: 'brighter', models: ['gpt-image-1'] },
  'jobs.start': { assetIds: ['asset-1'], prompt: 'brighter', models: ['gpt-image-1'] },
  'jobs.list': {},
  'jobs.get': { batchId: 'batch-1' },
  'jobs.pause': { batchId: 'batch-1' },
  'jobs.resume': { batchId: 'batch-1' },
  'jobs.cancel': { batchId: 'batch-1' },
  'jobs.retry': { batchId: 'batch-1' },
  'jobs.reorder': { batchId: 'batch-1', itemIds: ['item-1'] },
  'jobs.saveAgain': { batchId: 'batch-1', itemIds: ['item-1'], chooseFolder: false },
  'jobs.resolveDuplicates': { batchId: 'batch-1', decision: 'run' },
  'jobs.setBudget': { batchId: 'batch-1', credits: null },
  'jobs.network': {},
  'jobs.continueFrom': { recordId: 'record-1', outputIndex: 0, prompt: 'brighter', model: 'gpt-image-1' },
  'compare.verdict': { compareGroup: 'group-1', verdict: 'tie' },
  'history.query': { page: 1 },
  'history.get': { id: 'record-1' },
  'history.totals': { by: 'model' },
  'history.export': { format: 'csv' },
  'outputs.reveal': { recordId: 'record-1', index: 0 },
  'history.delete': { id: 'record-1', deleteFiles: false },
  'history.spend': { by: 'week' },
  'history.supportBundle': { id: 'record-1' },
  'history.lineage': { recordId: 'record-1' },
  'clipboard.write': { text: 'req-1' },
  'sandbox.status': {},
  'watch.list': {},
  'watch.pickFolder': {},
  'watch.create': { rule: { folder: '/nonexistent-fuzz-folder', prompt: 'x', models: ['gpt-image-1'] } },
  'watch.update': { id: 'fuzz', rule: { folder: '/nonexistent-fuzz-folder', prompt: 'x', models: ['gpt-image-1'] } },
  'watch.setPaused': { id: 'fuzz', paused: true },
  'watch.delete': { id: 'fuzz' }
}

/**
 * Channels whose accepted payloads are not run here: they reach outside the throwaway folder (any path
 * on this machine, the keychain, the network, output folders). Their refusals are still fuzzed.
 */
const notRunWhenValid = new Set<Channel>(['library.import', 'keys.set', 'keys.test', 'jobs.start', 'settings.update', 'packs.run'])

const pollutingKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__']
const anyValue = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withNullPrototype: true,
  withSparseArray: true,
  key: fc.oneof(fc.string(), fc.constantFrom(...pollutingKeys))
})
/** {"__proto__": …} as JSON.parse makes it: an own property, which is what reaches a handler. */
const pollutingObject = fc
  .tuple(fc.constantFrom(...pollutingKeys), fc.constantFrom('{"polluted":"yes"}', '{"prototype":{"polluted":"yes"}}', '"yes"', '[1]'))
  .map(([key, value]) => JSON.parse(`{"${key}":${value}}`) as Record<string, unknown>)

function payloads(seed: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(seed)
  const someKey = keys.length ? fc.oneof(fc.constantFrom(...keys), fc.string()) : fc.string()
  return fc.oneof(
    anyValue,
    // One field replaced by anything.
    fc.tuple(someKey, anyValue).map(([key, value]) => ({ ...seed, [key]: value })),
    // One field removed.
    fc.constantFrom(...(keys.length ? keys : [''])).map((key) => Object.fromEntries(Object.entries(seed).filter(([k]) => k !== key))),
    // Valid fields plus a polluting or unknown one.
    pollutingObject.map((extra) => Object.assign(JSON.parse(JSON.stringify(seed)) as object, extra)),
    fc.tuple(pollutingObject, someKey).map(([extra, key]) => ({ ...seed, [key]: extra })),
    fc.constant(seed)
  )
}

/** What Electron does to a payload: a structured clone, or nothing sent at all when it cannot be cloned. */
function cloned(value: unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: structuredClone(value) }
  } catch {
    return { ok: false }
  }
}

const prototypes = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype, String: String.prototype }
const snapshot = () => Object.fromEntries(Object.entries(prototypes).map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort()]))

describe('IPC fuzz over every channel', () => {
  let home: string
  let services: Services
  let dispatch: Dispatch
  const before = snapshot()
  const crashes: unknown[] = []
  const onCrash = (err: unknown) => crashes.push(err)
  const tally = { refused: 0, ran: 0, skipped: 0, uncloneable: 0 }

  beforeAll(async () => {
    process.on('uncaughtException', onCrash)
    process.on('unhandledRejection', onCrash)
    home = await mkdtemp(join(tmpdir(), 'pixdesk-fuzz-'))
    services = await createServices({
      paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') },
      env: { HOME: home },
      keychain: createKeychain({ env: {}, service: 'Pixdesk tests (fuzz)' }),
      watchFolders: false,
      dialogs: {
        openDirectories: async () => [],
        openFiles: async () => [],
        saveFile: async () => null,
        reveal: async () => undefined,
        confirm: async () => false,
        copyText: async () => undefined
      }
    })
    dispatch = connectRenderer(services).dispatch
  })

  afterAll(async () => {
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
    await services?.dispose()
    await rm(home, { recursive: true, force: true })
  })

  it('has a valid seed for every channel of the contract', () => {
    expect(Object.keys(validPayloads).sort()).toEqual([...channelNames].sort())
    for (const name of channelNames) expect(channels[name].payload.safeParse(validPayloads[name]).success, name).toBe(true)
  })

  it.each(channelNames)('%s: every bad payload gets a typed error, every answer survives the trip back', async (name) => {
    await fc.assert(
      fc.asyncProperty(payloads(validPayloads[name]), async (payload) => {
        const sent = cloned(payload)
        if (!sent.ok) {
          tally.uncloneable++
          return
        }
        const accepted = channels[name].payload.safeParse(sent.value ?? {}).success
        if (accepted && notRunWhenValid.has(name)) {
          tally.skipped++
          return
        }
        const envelope = (await dispatch(name, sent.value)) as Envelope
        const back = cloned(envelope)
        expect(back.ok, 'the answer can be structured-cloned back to the renderer').toBe(true)
        if (!envelope.ok) expect(appErrorSchema.safeParse(envelope.error).success, JSON.stringify(envelope.error)).toBe(true)
        if (!accepted) {
          tally.refused++
          expect(envelope).toMatchObject({ ok: false, error: { code: 'validation' } })
        } else tally.ran++
      }),
      { numRuns: 300 }
    )
  })

  it('unknown channels and non-string names are refused the same way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.constantFrom(...pollutingKeys, 'hasOwnProperty', '__proto__.polluted')), anyValue, async (channel, payload) => {
        if (Object.hasOwn(channels, channel)) return
        const envelope = await dispatch(channel, cloned(payload).ok ? structuredClone(payload) : undefined)
        expect(envelope).toMatchObject({ ok: false, error: { code: 'validation' } })
      }),
      { numRuns: 300 }
    )
  })

  it('leaves the prototypes untouched and the process serving', async () => {
    expect(snapshot()).toEqual(before)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined()
    expect(crashes).toEqual([])
    expect(await dispatch('app.ping', { message: 'still here' })).toMatchObject({ ok: true, value: { echo: 'still here' } })
    // Sanity: the fuzz reached both sides of the validation.
    expect(tally.refused).toBeGreaterThan(1000)
    expect(tally.ran).toBeGreaterThan(100)
  })
})
