import { describe, expect, it } from 'vitest'
import { capabilitiesFor, parseSize, priceFor, requestIssues } from '../../shared/catalog'
import { builtInPacks, packInputSchema, packTargetSchema, type Pack } from '../../shared/packs'
import { loadCatalog } from '../../electron/core/catalog'
import { chooseFrame, nativeFrames } from '../../electron/core/packs/planner'
import { geminiFrame } from '../../electron/core/providers/gemini-frames'
import { packBatchSpec, planForRun } from '../../electron/core/packs/run'
import type { ProviderId } from '../../shared/providers'

const catalog = loadCatalog()
const pack = (id: string): Pack => builtInPacks.find((p) => p.id === id)!
const plan = (packId: string, model: string, provider: ProviderId = 'pixapi', images = 1) => planForRun(catalog, { pack: pack(packId), model, provider, images })

describe('pack schema', () => {
  it('has the built-in packs with their ids and frames', () => {
    expect(builtInPacks.map((p) => p.id)).toEqual(['marketplace', 'social', 'web', 'print'])
    expect(pack('social').targets.map((t) => `${t.width}x${t.height}`)).toEqual(['1080x1080', '1080x1350', '1080x1920'])
    expect(pack('web').targets.map((t) => `${t.width}x${t.height}`)).toEqual(['1920x1080', '1200x628'])
    expect(pack('marketplace').targets[0]).toMatchObject({ width: 2000, height: 2000, background: 'white' })
    expect(pack('print').targets[0]).toMatchObject({ aspectRatio: '4:5' })
    for (const p of builtInPacks) expect(packInputSchema.safeParse({ name: p.name, description: p.description, targets: p.targets }).success).toBe(true)
  })

  it('refuses targets that cannot be finished, naming the field', () => {
    const issue = (t: unknown) => packTargetSchema.safeParse(t).error?.issues[0]
    expect(issue({ name: 'a', width: 100 })?.path).toEqual(['height'])
    expect(issue({ name: 'a', width: 100, height: 100, aspectRatio: '1:1' })?.message).toMatch(/either/)
    expect(issue({ name: 'a' })?.message).toMatch(/aspect ratio/)
    expect(issue({ name: 'a', width: 100, height: 100, background: 'transparent', format: 'jpeg' })?.message).toMatch(/PNG or WebP/)
    expect(issue({ name: 'a', width: 100, height: 100, colour: 'red' })?.code).toBe('unrecognized_keys')
    const twice = packInputSchema.safeParse({ name: 'p', targets: [{ name: 'A', width: 10 * 10, height: 100 }, { name: 'a', width: 200, height: 200 }] })
    expect(twice.error?.issues[0]?.path).toEqual(['targets', 1, 'name'])
  })
})

describe('planner: the model frame per target, checked against the catalog', () => {
  it('Gemini: the nearest listed aspect ratio, at the smallest tier that covers the target', () => {
    const model = catalog.resolve('gemini-3-pro-image', 'pixapi')
    const caps = capabilitiesFor(model, 'pixapi')!
    const social = plan('social', 'gemini-3-pro-image')
    expect(social.targets.map((t) => [t.model.size, t.model.aspectRatio])).toEqual([
      ['2K', '1:1'],
      ['2K', '4:5'],
      ['2K', '9:16']
    ])
    for (const t of social.targets) {
      // Every parameter sent is one the catalog lists for the model, and passes the request check.
      expect(caps.aspectRatios).toContain(t.model.aspectRatio)
      expect(caps.sizes).toContain(t.model.size)
      expect(t.model.width).toBeGreaterThanOrEqual(t.width)
      expect(t.model.height).toBeGreaterThanOrEqual(t.height)
      expect(t.upscale).toBeNull()
      expect(t.price).toBe(priceFor(model, t.model.size, undefined, 1))
      const issues = requestIssues(model, { kind: 'edit', provider: 'pixapi', route: 'sync', prompt: t.prompt, params: { n: 1, size: t.model.size, aspectRatio: t.model.aspectRatio }, inputs: [{ source: 'file', format: 'png', bytes: 1000, label: 'a.png' }] })
      expect(issues).toEqual([])
    }
    expect(social.perImage).toBe(social.targets.reduce((s, t) => s + (t.price ?? 0), 0))
    const web = plan('web', 'gemini-3.1-flash-image')
    expect(web.targets.map((t) => `${t.model.size} ${t.model.aspectRatio}`)).toEqual(['2K 16:9', '1K 16:9'])
    // 1200×628 is 1.91:1: between 16:9 (1.78) and 21:9 (2.33), nearer 16:9; 1K's 1376×768 covers it.
    expect(web.targets[1]!.price).toBe(4)
    expect(web.targets[0]!.price).toBe(6)
  })

  it('a Gemini ratio named like an object member is unreadable, not a frame of NaN', () => {
    for (const ratio of ['toString', 'constructor', '__proto__']) expect(geminiFrame('3', ratio, 2)).toBeNull()
    expect(geminiFrame('3', '16:9', 2)).toEqual({ width: 2752, height: 1536 })
  })
  it('Gemini 2.5 Flash Image has 1K only: large targets are upscaled, explained, and refused without consent', () => {
    const market = plan('marketplace', 'gemini-2.5-flash-image')
    const t = market.targets[0]!
    expect([t.model.size, t.model.aspectRatio, t.model.width, t.model.height]).toEqual(['1K', '1:1', 1024, 1024])
    expect(t.upscale).toBeCloseTo(1.95, 2)
    expect(t.finishing).toMatch(/upscale ×1\.95 \(flagged\)/)
    expect(market.needsUpscale[0]).toMatch(/Main image is 2000×2000; the largest gemini-2.5-flash-image makes at this aspect ratio is 1024×1024/)
    expect(() => packBatchSpec(market, { files: [{ path: '/a.png' }], allowUpscale: false, route: 'sync', sandbox: true })).toThrow(/Accept upscaling[\s\S]*Nothing was sent/)
    const spec = packBatchSpec(market, { files: [{ path: '/a.png' }], allowUpscale: true, route: 'sync', sandbox: true })
    expect(spec.variants?.[0]?.finish).toMatchObject({ width: 2000, height: 2000, background: 'white' })
  })

  it('GPT image 1.5: the nearest of its three sizes', () => {
    const model = catalog.resolve('gpt-image-1.5', 'pixapi')
    const caps = capabilitiesFor(model, 'pixapi')!
    const social = plan('social', 'gpt-image-1.5')
    expect(social.targets.map((t) => t.model.size)).toEqual(['1024x1024', '1024x1536', '1024x1536'])
    for (const t of social.targets) {
      expect(caps.sizes).toContain(t.model.size)
      const wh = parseSize(t.model.size)!
      expect(t.upscale).toBeCloseTo(Math.max(t.width / wh.width, t.height / wh.height), 2)
    }
    const web = plan('web', 'gpt-image-1.5')
    expect(web.targets.map((t) => t.model.size)).toEqual(['1536x1024', '1536x1024'])
    expect(web.targets[1]!.upscale).toBeNull()
    expect(web.targets[1]!.finishing).toMatch(/scale 1536×1024 to cover 1200×628, crop/)
  })

  it('GPT image 2 takes any size within its rule: the target ratio at the smallest covering size', () => {
    const model = catalog.resolve('gpt-image-2', 'pixapi')
    const social = plan('social', 'gpt-image-2')
    expect(social.targets.map((t) => t.model.size)).toEqual(['1088x1088', '1088x1360', '1088x1920'])
    for (const t of social.targets) {
      const issues = requestIssues(model, { kind: 'edit', provider: 'pixapi', route: 'sync', prompt: 'x', params: { n: 1, size: t.model.size }, inputs: [{ source: 'file', format: 'png', bytes: 1000, label: 'a.png' }] })
      expect(issues).toEqual([])
      expect(t.upscale).toBeNull()
    }
  })

  it('print: 4:5 at the largest size the model makes, an exact 4:5 frame inside it', () => {
    const gemini = plan('print', 'gemini-3-pro-image').targets[0]!
    expect([gemini.model.size, gemini.model.aspectRatio]).toEqual(['4K', '4:5'])
    expect(gemini.width / gemini.height).toBe(0.8)
    expect(gemini.width).toBeLessThanOrEqual(gemini.model.width)
    expect(gemini.height).toBeLessThanOrEqual(gemini.model.height)
    const gpt = plan('print', 'gpt-image-1.5').targets[0]!
    expect(gpt.model.size).toBe('1024x1536')
    expect([gpt.width, gpt.height]).toEqual([1024, 1280])
    const gpt2 = plan('print', 'gpt-image-2').targets[0]!
    expect([gpt2.width, gpt2.height]).toEqual([gpt2.model.width, gpt2.model.height])
    expect(gpt2.width / gpt2.height).toBe(0.8)
    expect(gpt2.model.width * gpt2.model.height).toBeLessThanOrEqual(8294400)
  })

  it('the prompt keeps the product and asks for pure white where the rule says so', () => {
    const t = plan('marketplace', 'gemini-3-pro-image').targets[0]!
    expect(t.prompt).toMatch(/Recompose this image for a square 2000×2000 frame/)
    expect(t.prompt).toMatch(/Keep the product exactly as it is/)
    expect(t.prompt).toMatch(/pure white background \(#FFFFFF\)/)
    expect(t.prompt).toMatch(/about 85% of the frame/)
    expect(plan('social', 'gemini-3-pro-image').targets[0]!.prompt).not.toMatch(/white/)
  })

  it('transparent targets use the model setting where it exists, else a white background keyed out', () => {
    const transparent: Pack = { id: 'cut', name: 'Cut-out', builtIn: false, targets: [packTargetSchema.parse({ name: 'Cut', width: 1024, height: 1024, format: 'png', background: 'transparent' })] }
    const gpt = planForRun(catalog, { pack: transparent, model: 'gpt-image-1.5', provider: 'openai', images: 1 }).targets[0]!
    expect(gpt.params).toMatchObject({ background: 'transparent', outputFormat: 'png' })
    expect(gpt.finish.keyOutWhite).toBe(false)
    const gemini = planForRun(catalog, { pack: transparent, model: 'gemini-3-pro-image', provider: 'pixapi', images: 1 }).targets[0]!
    expect(gemini.params.background).toBeUndefined()
    expect(gemini.finish.keyOutWhite).toBe(true)
    expect(gemini.prompt).toMatch(/pure white background/)
  })

  it('lists every frame of a Gemini model: each listed ratio at each listed tier', () => {
    const model = catalog.resolve('gemini-3.1-flash-image', 'pixapi')
    const frames = nativeFrames(model, capabilitiesFor(model, 'pixapi')!)
    expect(frames).toHaveLength(10 * 3)
    expect(frames.find((f) => f.size === '4K' && f.aspectRatio === '16:9')).toMatchObject({ width: 5504, height: 3072 })
    const flash = catalog.resolve('gemini-2.5-flash-image', 'pixapi')
    expect(nativeFrames(flash, capabilitiesFor(flash, 'pixapi')!).map((f) => f.size)).toEqual(Array(10).fill('1K'))
    expect(chooseFrame(flash, capabilitiesFor(flash, 'pixapi')!, packTargetSchema.parse({ name: 's', width: 768, height: 1344 })).upscale).toBeNull()
  })
})
