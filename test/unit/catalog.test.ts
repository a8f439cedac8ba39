import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { assertRequestValid, requestIssues, type RequestFacts } from '../../shared/catalog'
import { AppError } from '../../shared/errors'
import { loadCatalog } from '../../electron/core/catalog'

const catalog = loadCatalog()
const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  kind: 'edit',
  provider: 'pixapi',
  route: 'sync',
  prompt: 'remove the background',
  params: { n: 1, size: '1024x1024' },
  inputs: [{ source: 'file', format: 'png', bytes: 1000, label: 'shoe.png' }],
  ...over
})
const firstIssue = (model: string, over: Partial<RequestFacts>) => requestIssues(catalog.resolve(model, 'pixapi'), facts(over))[0]

describe('bundled catalog', () => {
  it('loads, validates and finds models by id or alias, case-insensitively', () => {
    expect(catalog.models().length).toBeGreaterThanOrEqual(8)
    expect(catalog.get('nano-banana')?.id).toBe('gemini-2.5-flash-image')
    expect(catalog.get('Nano-Banana-Pro')?.id).toBe('gemini-3-pro-image-preview')
    expect(catalog.get('gpt-image-2')?.family).toBe('gpt')
    expect(catalog.get('no-such-model')).toBeUndefined()
  })

  it('prices outputs as in the Pixapi credit table', () => {
    expect(catalog.price('nano-banana', '1024x1024', undefined, 1)).toBe(2)
    expect(catalog.price('nano-banana-2', '512x512', undefined, 1)).toBe(4)
    expect(catalog.price('nano-banana-2', '2K', undefined, 1)).toBe(6)
    expect(catalog.price('nano-banana-2', '4K', undefined, 3)).toBe(24)
    expect(catalog.price('nano-banana-pro', '2048x2048', undefined, 1)).toBe(8)
    expect(catalog.price('nano-banana-pro', '3840x2160', undefined, 1)).toBe(16)
    // gpt-image-2: long edge × quality, auto billed as high, size auto at the 1K tier, × n.
    expect(catalog.price('gpt-image-2', '1024x1536', 'low', 1)).toBe(1)
    expect(catalog.price('gpt-image-2', '2048x1152', 'medium', 1)).toBe(17)
    expect(catalog.price('gpt-image-2', '3840x2160', 'high', 2)).toBe(266)
    expect(catalog.price('gpt-image-2', '2048x2048', 'auto', 1)).toBe(67)
    expect(catalog.price('gpt-image-2', 'auto', 'medium', 1)).toBe(4)
    expect(catalog.price('gpt-image-2', '1024x1024', undefined, 1)).toBe(14)
    // Direct-route-only models have no Pixapi price.
    expect(catalog.price('dall-e-2', '512x512', undefined, 1)).toBeNull()
  })
})

describe('request validation', () => {
  it('accepts a valid request', () => {
    expect(requestIssues(catalog.resolve('gpt-image-2', 'pixapi'), facts({ params: { n: 2, size: '2048x1152', quality: 'high' } }))).toEqual([])
  })

  it('names the field and lists the allowed values', () => {
    const size = firstIssue('nano-banana', { params: { n: 1, size: '2048x2048' } })
    expect(size).toMatchObject({ code: 'validation', field: 'size' })
    expect(size?.message).toContain('"auto", "1024x1024", "1K"')

    const quality = firstIssue('gpt-image-2', { params: { n: 1, quality: 'ultra' } })
    expect(quality?.field).toBe('quality')
    expect(quality?.message).toContain('"low", "medium", "high", "auto"')

    expect(firstIssue('nano-banana', { params: { n: 1, quality: 'high' } })?.message).toMatch(/no quality setting/)
    expect(firstIssue('gpt-image-2', { params: { n: 11 } })).toMatchObject({ field: 'n' })
    expect(firstIssue('gpt-image-2', { prompt: '   ' })).toMatchObject({ field: 'prompt' })
    expect(firstIssue('dall-e-2', { provider: 'openai', prompt: 'x'.repeat(1001) })?.message).toMatch(/1001 characters.*at most 1000/)
  })

  it('checks free-form sizes against the model rule', () => {
    const gpt2 = catalog.resolve('gpt-image-2', 'pixapi')
    expect(requestIssues(gpt2, facts({ params: { n: 1, size: '1280x720' } }))).toEqual([])
    expect(requestIssues(gpt2, facts({ params: { n: 1, size: '1000x1000' } }))[0]?.message).toMatch(/multiples of 16/)
    expect(requestIssues(gpt2, facts({ params: { n: 1, size: '4096x2048' } }))[0]?.message).toMatch(/at most 3840/)
    expect(requestIssues(gpt2, facts({ params: { n: 1, size: '3072x512' } }))[0]?.message).toMatch(/aspect ratio/)
  })

  it('checks input count, format and bytes', () => {
    const png = { source: 'file' as const, format: 'png', bytes: 10, label: 'a.png' }
    expect(firstIssue('nano-banana', { inputs: [png, png, png, png] })?.message).toMatch(/at most 3 input images \(the image to edit plus at most 2 reference images\); 4 were given \(1 \+ 3 references\)/)
    expect(firstIssue('nano-banana', { inputs: [] })?.message).toMatch(/at least 1 input image/)
    expect(firstIssue('nano-banana', { inputs: [{ ...png, format: 'heic', label: 'IMG_1.heic' }] })).toMatchObject({ field: 'inputs[0]' })
    expect(firstIssue('nano-banana', { inputs: [{ ...png, format: 'heic', label: 'IMG_1.heic' }] })?.message).toMatch(/IMG_1.heic is HEIC; .* accepts "png", "jpeg", "webp"/)
    expect(firstIssue('nano-banana', { inputs: [{ ...png, bytes: 30 * 1024 * 1024 }] })?.message).toMatch(/30 MB; .* at most 20 MB/)
    expect(firstIssue('nano-banana', { kind: 'generate', inputs: [png] })?.message).toMatch(/generation takes no input images/)
  })

  it('applies route limits: Gemini direct returns one image per call and takes no web URLs', () => {
    const model = catalog.resolve('nano-banana-pro', 'gemini')
    expect(requestIssues(model, facts({ provider: 'gemini', params: { n: 2 } }))[0]).toMatchObject({ field: 'n' })
    expect(requestIssues(model, facts({ provider: 'gemini', inputs: [{ source: 'url', label: 'x' }] }))[0]?.message).toMatch(/not web URLs/)
    expect(requestIssues(model, facts({ provider: 'gemini', route: 'async' }))[0]).toMatchObject({ field: 'route' })
    expect(requestIssues(catalog.resolve('dall-e-2', 'openai'), facts())[0]).toMatchObject({ field: 'provider' })
  })

  it('throws an AppError for the first issue', () => {
    expect(() => assertRequestValid(catalog.resolve('nano-banana', 'pixapi'), facts({ params: { n: 1, size: '9x9' } }))).toThrow(AppError)
  })
})

describe('custom models', () => {
  it('refuses an unknown id until it is added, then validates with borrowed limits', () => {
    const c = loadCatalog()
    expect(() => c.resolve('gemini-4-image', 'pixapi')).toThrow(/Unknown model "gemini-4-image".*custom model/)
    const added = c.addCustomModel({ id: 'gemini-4-image', provider: 'pixapi', basedOn: 'nano-banana-pro' })
    expect(added).toMatchObject({ custom: true, family: 'gemini' })
    expect(c.resolve('gemini-4-image', 'pixapi').capabilities.maxInputs).toBe(14)
    expect(c.price('gemini-4-image', '4K', undefined, 1)).toBe(16)
    expect(c.models().at(-1)?.id).toBe('gemini-4-image')
    expect(c.removeCustomModel('gemini-4-image')).toBe(true)
    expect(c.get('gemini-4-image')).toBeUndefined()
  })

  it('rejects bad custom ids and ids the catalog already has', () => {
    const c = loadCatalog()
    expect(() => c.addCustomModel({ id: 'has space', provider: 'openai' })).toThrow(AppError)
    expect(() => c.addCustomModel({ id: 'NANO-BANANA', provider: 'pixapi' })).toThrow(/already in the catalog/)
    expect(() => c.addCustomModel({ id: 'x-1', provider: 'pixapi', basedOn: 'nope' })).toThrow(/basedOn|borrow/)
    const plain = c.addCustomModel({ id: 'my-local-sd', provider: 'openai' })
    expect(plain.pricing).toBeNull()
    expect(c.price('my-local-sd', '1024x1024', undefined, 1)).toBeNull()
  })
})

describe('catalog file validation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pixdesk-catalog-'))
  it('reports the bad field and the file', () => {
    const path = join(dir, 'models.json')
    writeFileSync(path, JSON.stringify({ version: 1, updated: 'x', models: [{ id: 'm', label: 'M', family: 'gpt', routes: {}, capabilities: { kinds: [] }, pricing: null }] }))
    expect(() => loadCatalog(path)).toThrow(/models\.json is invalid at models\.0\.capabilities/)
  })
  it('refuses an alias used twice and a size without a price', () => {
    const bundled = loadCatalog().models()
    const a = bundled[0]!
    const path = join(dir, 'dup.json')
    writeFileSync(path, JSON.stringify({ version: 1, updated: 'x', models: [a, { ...a, id: 'other' }] }))
    expect(() => loadCatalog(path)).toThrow(/used by both/)
    const gpt2 = bundled.find((m) => m.id === 'gpt-image-2')!
    writeFileSync(path, JSON.stringify({ version: 1, updated: 'x', models: [{ ...gpt2, capabilities: { ...gpt2.capabilities, sizes: ['8192x8192'] } }] }))
    expect(() => loadCatalog(path)).toThrow(/no price for size 8192x8192/)
  })
  it('reports an unreadable file', () => {
    expect(() => loadCatalog(join(dir, 'missing.json'))).toThrow(/Cannot read the model catalog/)
  })
})
