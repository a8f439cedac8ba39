import { describe, expect, it } from 'vitest'
import { RenderCache, type RenderKey, type RenderedOutput } from '../../electron/core/sandbox/render-cache'

const key = (over: Partial<RenderKey> = {}): RenderKey => ({ inputSha256: 'aa', prompt: 'warm light', size: '512x512', n: 1, ...over })
const output = (label: string): RenderedOutput[] => [{ bytes: Buffer.from(label), mime: 'image/png' }]

describe('sandbox render reuse', () => {
  it('renders a submission once and answers the same one again from the first render, also while it is still rendering', async () => {
    const cache = new RenderCache()
    let renders = 0
    const render = async () => output(`render ${++renders}`)
    const [a, b] = await Promise.all([cache.get(key(), render), cache.get(key(), render)])
    const c = await cache.get(key(), render)
    expect(renders).toBe(1)
    expect(a).toBe(b)
    expect(c).toBe(a)
  })

  it('renders again when anything that decides the output differs', async () => {
    const cache = new RenderCache()
    let renders = 0
    const render = async () => output(`render ${++renders}`)
    await cache.get(key(), render)
    await cache.get(key({ inputSha256: 'bb' }), render)
    await cache.get(key({ inputSha256: undefined }), render)
    await cache.get(key({ prompt: 'cold light' }), render)
    await cache.get(key({ size: '1024x1024' }), render)
    await cache.get(key({ n: 2 }), render)
    expect(renders).toBe(6)
  })

  it('keeps no failed render: the next identical submission renders again', async () => {
    const cache = new RenderCache()
    let renders = 0
    const failing = async (): Promise<RenderedOutput[]> => {
      renders++
      throw new Error('corrupt input')
    }
    await expect(cache.get(key(), failing)).rejects.toThrow('corrupt input')
    const fine = await cache.get(key(), async () => output(`render ${++renders}`))
    expect(renders).toBe(2)
    expect(fine[0]!.bytes.toString()).toBe('render 2')
  })
})
