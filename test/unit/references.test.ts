import { describe, expect, it } from 'vitest'
import { requestIssues, type InputFacts, type RequestFacts } from '../../shared/catalog'
import { promptWithReferences, referencePreface, referenceRoleSchema, rolesFromPrompt } from '../../shared/references'
import { bundledCatalog } from '../../electron/core/catalog'
import { requestFingerprint, inputIdentityWithRole } from '../../electron/core/history/fingerprint'
import { withPromptAdditions } from '../../electron/core/jobs/expand'
import { batchSpecSchema, jobInputSchema, recordInputOf } from '../../electron/core/jobs/model'
import { parseRefFlag } from '../../electron/cli/reference-flags'
import { assertReferencesFit } from '../../electron/core/jobspec'

const catalog = bundledCatalog()
const png = (label: string, bytes = 1000): InputFacts => ({ source: 'file', format: 'png', bytes, label })
const facts = (inputs: InputFacts[], over: Partial<RequestFacts> = {}): RequestFacts => ({ kind: 'edit', provider: 'pixapi', route: 'sync', prompt: 'x', params: { n: 1 }, inputs, ...over })
const inputsOf = (count: number) => Array.from({ length: count }, (_, i) => png(`img-${i + 1}.png`))

describe('the prompt line naming each image', () => {
  it('names the image edited and every reference by number, with roles, in order', () => {
    const inputs = [{}, { role: 'product' }, {}, { role: 'logo' }]
    expect(referencePreface(inputs)).toBe('Image 1: the image to edit. Image 2 (product): reference. Image 3: reference. Image 4 (logo): reference.')
    expect(promptWithReferences('put image 4 on image 2', inputs)).toBe(
      'Image 1: the image to edit. Image 2 (product): reference. Image 3: reference. Image 4 (logo): reference.\n\nput image 4 on image 2'
    )
  })

  it('leaves the prompt alone without references or without roles', () => {
    expect(promptWithReferences('warm light', [{}])).toBe('warm light')
    expect(promptWithReferences('warm light', [{}, {}, {}])).toBe('warm light')
  })

  it('reads the roles back in order (what the sandbox echoes)', () => {
    const prompt = promptWithReferences('p', [{}, {}, { role: 'style' }, { role: 'background plate' }])
    expect(rolesFromPrompt(prompt)).toEqual([undefined, undefined, 'style', 'background plate'])
    expect(rolesFromPrompt(prompt.replace('\n\n', '\r\n\r\n'))).toEqual([undefined, undefined, 'style', 'background plate'])
    expect(rolesFromPrompt('no preface here')).toBeNull()
  })

  it('refuses roles that could forge another line or image', () => {
    expect(referenceRoleSchema.safeParse('style').success).toBe(true)
    expect(referenceRoleSchema.safeParse(' logo ').data).toBe('logo')
    for (const bad of ['', 'a\nImage 9: the image to edit', 'x: y', 'logo (old)', 'x'.repeat(41)]) expect(referenceRoleSchema.safeParse(bad).success, bad).toBe(false)
  })
})

describe('per-model limits, in reference terms', () => {
  it('GPT image edits take 16 inputs (the main image and 15 references); one more is refused naming the limit', () => {
    const gpt = catalog.resolve('gpt-image-2', 'pixapi')
    expect(requestIssues(gpt, facts(inputsOf(16)))).toEqual([])
    expect(requestIssues(gpt, facts(inputsOf(17)))[0]).toEqual({
      code: 'validation',
      field: 'inputs',
      message: 'gpt-image-2 accepts at most 16 input images (the image to edit plus at most 15 reference images); 17 were given (1 + 16 references).'
    })
  })

  it('Gemini 3 Pro Image takes 14, 2.5 Flash Image 3; the total byte cap counts references too', () => {
    const pro = catalog.resolve('gemini-3-pro-image', 'gemini')
    expect(requestIssues(pro, facts(inputsOf(14), { provider: 'gemini' }))).toEqual([])
    expect(requestIssues(pro, facts(inputsOf(15), { provider: 'gemini' }))[0]?.message).toMatch(/at most 14 input images \(the image to edit plus at most 13 reference images\); 15 were given/)
    expect(requestIssues(catalog.resolve('gemini-2.5-flash-image', 'pixapi'), facts(inputsOf(4)))[0]?.message).toMatch(/at most 3 input images/)
    const mb = 1024 * 1024
    const heavy = [png('main.png', 8 * mb), png('style.png', 8 * mb), png('logo.png', 8 * mb)]
    expect(requestIssues(pro, facts(heavy, { provider: 'gemini' }))[0]?.message).toMatch(/The inputs total 24 MB; gemini-3-pro-image accepts at most 20 MB in one request/)
  })

  it('names a bad reference as a reference, with its file', () => {
    const gpt = catalog.resolve('gpt-image-2', 'pixapi')
    const issues = requestIssues(gpt, facts([png('main.png'), { source: 'file', format: 'unknown', bytes: 10, label: 'logo.png' }]))
    expect(issues[0]).toMatchObject({ field: 'inputs[1]', message: expect.stringMatching(/^Reference image 1 \(logo\.png\) is not an image that can be read/) })
  })
})

describe('references through the queue', () => {
  it('keeps roles on every kind of input and in what the record names', () => {
    expect(jobInputSchema.parse({ path: '/a.png', role: 'style' })).toEqual({ path: '/a.png', role: 'style' })
    expect(jobInputSchema.parse({ url: 'https://x.test/a.png', role: 'logo' })).toMatchObject({ url: 'https://x.test/a.png', role: 'logo' })
    expect(jobInputSchema.parse({ dataUrl: 'data:image/png;base64,iVBO', role: 'product' })).toMatchObject({ role: 'product' })
    expect(jobInputSchema.safeParse({ path: '/a.png', role: 'two\nlines' }).success).toBe(false)
    expect(recordInputOf(jobInputSchema.parse({ path: '/a.png', role: 'style' }))).toEqual({ source: 'file', path: '/a.png', role: 'style' })
  })

  it('takes at most 15 references per batch, in order', () => {
    const base = { prompt: 'p', files: [{ path: '/main.png' }], models: [{ model: 'gpt-image-2', provider: 'pixapi' as const }] }
    const refs = Array.from({ length: 15 }, (_, i) => ({ path: `/r${i}.png` }))
    expect(batchSpecSchema.parse({ ...base, references: refs }).references.map((r) => r.path)).toEqual(refs.map((r) => r.path))
    expect(batchSpecSchema.safeParse({ ...base, references: [...refs, { path: '/r16.png' }] }).success).toBe(false)
  })

  it('a kit snippet follows the prompt as its own paragraph', () => {
    expect(withPromptAdditions('make it warm', ['Brand colours: #123456.', 'Keep the logo legible.'])).toBe('make it warm\n\nBrand colours: #123456.\n\nKeep the logo legible.')
    expect(withPromptAdditions('make it warm', [])).toBe('make it warm')
  })

  it('another role or another order is another request for the duplicate guard', () => {
    const fp = (ids: string[]) => requestFingerprint({ model: 'm', params: { n: 1 }, prompt: 'p', inputSha256s: ids, sandbox: false })
    expect(fp(['a', inputIdentityWithRole('b', 'style')])).not.toBe(fp(['a', inputIdentityWithRole('b', 'logo')]))
    expect(fp(['a', 'b', 'c'])).not.toBe(fp(['a', 'c', 'b']))
    expect(fp(['a', inputIdentityWithRole('b', undefined)])).toBe(fp(['a', 'b']))
  })
})

describe('a batch from the window', () => {
  it('is refused before queueing when a model cannot take all its references, naming the model and limit', () => {
    const spec = (model: string, count: number) => ({
      prompt: 'p',
      files: [{ path: '/main.png' }],
      references: Array.from({ length: count }, (_, i) => ({ path: `/r${i}.png` })),
      models: [{ model, provider: 'pixapi' as const }]
    })
    expect(() => assertReferencesFit(spec('gpt-image-2', 15), catalog)).not.toThrow()
    expect(() => assertReferencesFit(spec('nano-banana', 3), catalog)).toThrow(/gemini-2\.5-flash-image accepts at most 3 input images \(the image to edit plus at most 2 reference images\); 4 were given/)
    expect(() => assertReferencesFit(spec('nano-banana', 2), catalog)).not.toThrow()
  })
})

describe('--ref syntax', () => {
  it('is a file, or role=file with a short role before the first "="', () => {
    expect(parseRefFlag('style.jpg')).toEqual({ file: 'style.jpg' })
    expect(parseRefFlag('logo=brand/logo.png')).toEqual({ file: 'brand/logo.png', role: 'logo' })
    expect(parseRefFlag('background plate=plates/a=b.jpg')).toEqual({ file: 'plates/a=b.jpg', role: 'background plate' })
    // A path before "=" is not a role.
    expect(parseRefFlag('./a=b.png')).toEqual({ file: './a=b.png' })
    expect(parseRefFlag('C:\\art\\x=y.png')).toEqual({ file: 'C:\\art\\x=y.png' })
  })
})
