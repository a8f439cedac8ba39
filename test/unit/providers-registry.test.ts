import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestIssues, type RequestFacts } from '../../shared/catalog'
import { AppError } from '../../shared/errors'
import { factsOf, providerFacts, providerIds, type ProviderId } from '../../shared/providers'
import { defaultSettings } from '../../shared/settings'
import { bundledCatalog } from '../../electron/core/catalog'
import { executeImageRequest, normaliseBaseUrl, resumeAsyncTask, testKey } from '../../electron/core/providers/execute'
import { allProviderAdapters, providerAdapter, providerEnvironmentVariables, providerRegistry } from '../../electron/core/providers/registry'
import type { ImageRequest } from '../../electron/core/providers/types'

const UNKNOWN = 'Unknown provider "midjourney". Use one of: pixapi, openai, gemini.'
const midjourney = 'midjourney' as ProviderId

/** A server that only counts: a request with an unknown provider must never reach any address. */
let hits = 0
let baseUrl = ''
const server = createServer((_req, res) => {
  hits++
  res.writeHead(500).end()
})
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function request(provider: ProviderId, extra: Partial<ImageRequest> = {}): ImageRequest {
  return { kind: 'generate', provider, model: 'nano-banana', prompt: 'a red bag', params: { n: 1 }, route: 'sync', inputs: [], ...extra }
}

async function rejection(run: () => Promise<unknown>): Promise<AppError> {
  const error = await run().then(
    () => undefined,
    (err: unknown) => err
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('provider registry', () => {
  it('has one adapter per provider id, each carrying the shared facts under its own id', () => {
    expect(Object.keys(providerRegistry).sort()).toEqual([...providerIds].sort())
    expect(allProviderAdapters().map((a) => a.id)).toEqual([...providerIds])
    for (const id of providerIds) {
      const adapter = providerAdapter(id)
      expect(adapter.id).toBe(id)
      expect(adapter).toMatchObject(providerFacts[id])
      expect(adapter.keyEnvVar).toMatch(/^[A-Z][A-Z0-9_]+$/)
    }
    expect(new Set(allProviderAdapters().map((a) => a.keyEnvVar)).size).toBe(providerIds.length)
  })

  it('declares billing, async support and labels as the app shows them', () => {
    const summary = Object.fromEntries(allProviderAdapters().map((a) => [a.id, [a.label, a.name, a.billing, a.asyncTasks, a.defaultBaseUrl]]))
    expect(summary).toEqual({
      pixapi: ['Pixapi', 'Pixapi', 'credits', true, 'https://api.pixapi.ai'],
      openai: ['OpenAI (direct)', 'OpenAI', 'tokens', false, 'https://api.openai.com'],
      gemini: ['Google Gemini (direct)', 'Gemini', 'tokens', false, 'https://generativelanguage.googleapis.com']
    })
  })

  it('offers resuming exactly where it offers asynchronous tasks, and a settings route only there', () => {
    for (const adapter of allProviderAdapters()) {
      expect({ id: adapter.id, resume: adapter.resume !== undefined }).toEqual({ id: adapter.id, resume: adapter.asyncTasks })
      if (!adapter.asyncTasks) expect(adapter.routeFromSettings).toBeUndefined()
    }
    const asyncSettings = { ...defaultSettings, provider: { ...defaultSettings.provider, pixapi: { ...defaultSettings.provider.pixapi, route: 'async' as const } } }
    expect(providerAdapter('pixapi').routeFromSettings?.(asyncSettings)).toBe('async')
  })

  it('gives fresh settings every provider, from the facts', () => {
    for (const id of providerIds) {
      expect(defaultSettings.provider.baseUrls[id]).toBe(providerAdapter(id).defaultBaseUrl)
      expect(defaultSettings.generation.defaultModel[id]).toBe(providerFacts[id].defaultModel)
      expect(defaultSettings.jobs.perProviderConcurrency[id]).toBe(providerFacts[id].defaultConcurrency)
    }
  })

  it('names the environment variables the command line reads', () => {
    expect(providerEnvironmentVariables()).toEqual(['PIXAPI_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'PIXAPI_BASE_URL'])
  })
})

describe('an unknown provider', () => {
  it('is refused by name by the registry and the shared facts', () => {
    expect(() => providerAdapter(midjourney)).toThrow(UNKNOWN)
    expect(() => factsOf(midjourney)).toThrow(UNKNOWN)
    // Inherited names are not providers either.
    expect(() => providerAdapter('toString' as ProviderId)).toThrow(/Unknown provider "toString"/)
  })

  it('sends nothing anywhere: no request, no key check, no base URL, no resume', async () => {
    const sent = await rejection(() => executeImageRequest(request(midjourney), { baseUrl }))
    expect(sent.data).toMatchObject({ code: 'validation', field: 'provider', message: UNKNOWN })
    expect((await rejection(() => resumeAsyncTask('task_1', request(midjourney), { baseUrl }))).message).toBe(UNKNOWN)
    expect((await rejection(() => testKey(midjourney, 'sk_0123456789abcdef', baseUrl))).message).toBe(UNKNOWN)
    expect(() => normaliseBaseUrl(baseUrl, midjourney)).toThrow(UNKNOWN)
    expect(hits).toBe(0)
  })

  it('is a validation issue in the catalog, not a Pixapi request', () => {
    const model = bundledCatalog().resolve('nano-banana', 'pixapi')
    const facts: RequestFacts = { kind: 'generate', provider: midjourney, route: 'async', prompt: 'x', params: { n: 1 }, inputs: [] }
    expect(requestIssues(model, facts)[0]).toMatchObject({ field: 'provider' })
  })
})

describe('provider traits in messages', () => {
  const catalog = bundledCatalog()
  const facts = (provider: ProviderId, extra: Partial<RequestFacts> = {}): RequestFacts => ({
    kind: 'edit',
    provider,
    route: 'sync',
    prompt: 'x',
    params: { n: 1 },
    inputs: [{ source: 'file', label: 'bag.png', format: 'png', bytes: 1000 }],
    ...extra
  })

  it('words the route checks as before, from the facts', () => {
    const gpt = catalog.resolve('gpt-image-1.5', 'openai')
    expect(requestIssues(gpt, facts('openai', { route: 'async' }))[0]?.message).toBe('Only Pixapi offers asynchronous tasks; use route "sync".')
    const banana = catalog.resolve('nano-banana-pro', 'gemini')
    expect(requestIssues(banana, facts('gemini', { params: { n: 2 } }))[0]?.message).toBe(`n (images per request) must be between 1 and 1 for ${banana.id} on the Gemini route.`)
    expect(requestIssues(banana, facts('pixapi', { params: { n: 9 } }))[0]?.message).toBe(`n (images per request) must be between 1 and 4 for ${banana.id}.`)
    expect(requestIssues(banana, facts('gemini', { inputs: [{ source: 'url', label: 'bag.png' }] }))[0]?.message).toBe(
      'The Gemini route takes local files or data URLs, not web URLs: download bag.png first or use Pixapi.'
    )
  })

  it('refuses to resume a task on a provider without tasks', async () => {
    const error = await rejection(() => resumeAsyncTask('task_1', request('openai', { model: 'gpt-image-1.5' }), { baseUrl }))
    expect(error.data).toMatchObject({ field: 'provider', message: 'Only Pixapi tasks can be resumed; other routes answer in one request.' })
    expect(hits).toBe(0)
  })
})
