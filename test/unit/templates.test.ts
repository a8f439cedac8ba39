import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTemplateLibrary, loadTemplates, parseTemplates, templateFileSchema } from '../../electron/core/templates'
import { placeholders, renderTemplate, templateInputSchema, type TemplateVariable } from '../../shared/templates'

const ROOT = join(__dirname, '..', '..')

function lib(prompt: string, variables: Array<Partial<TemplateVariable> & Pick<TemplateVariable, 'name' | 'label'>>) {
  return createTemplateLibrary(parseTemplates({ version: 1, templates: [{ id: 't', name: 'Test', category: 'c', prompt, variables }] }, 'test.json'))
}

describe('rendering templates', () => {
  const colour = lib('Paint the {part} {colour}; keep the rest.', [
    { name: 'part', label: 'Part', default: 'product', strict: false },
    { name: 'colour', label: 'Colour', options: ['red', 'blue'], strict: true }
  ])

  it('fills variables, uses defaults and appends the extra instructions', () => {
    expect(colour.render('t', { colour: 'red' })).toBe('Paint the product red; keep the rest.')
    expect(colour.render('t', { colour: 'blue', part: ' strap ' }, ' matte finish ')).toBe('Paint the strap blue; keep the rest.\n\nAdditional instructions: matte finish')
  })

  it('names a missing variable', () => {
    expect(() => colour.render('t', {})).toThrow('Fill in "Colour" for template "Test".')
  })

  it('names an unknown variable and lists the known ones', () => {
    expect(() => colour.render('t', { colour: 'red', shade: 'x' })).toThrow('Template "Test" has no variable "shade" (it has: part, colour).')
  })

  it('keeps strict variables to their options', () => {
    expect(() => colour.render('t', { colour: 'green' })).toThrow('"Colour" must be one of: red, blue.')
  })

  it('refuses braces in values and overlong values', () => {
    expect(() => colour.render('t', { colour: 'red', part: '{colour}' })).toThrow('may not contain { or }')
    expect(() => colour.render('t', { colour: 'red', part: 'x'.repeat(501) })).toThrow('501 characters; at most 500')
  })

  it('renders {{ and }} as literal braces and does not treat their content as a variable', () => {
    const json = lib('Write {{brand}} on the {part}.', [{ name: 'part', label: 'Part', strict: false }])
    expect(placeholders('Write {{brand}} on the {part}.')).toEqual(['part'])
    expect(json.render('t', { part: 'lid' })).toBe('Write {brand} on the lid.')
  })

  it('names an unknown template', () => {
    expect(() => colour.render('nope', {})).toThrow('There is no template "nope"')
  })

  it('rejects a template that uses an undeclared variable or declares an unused one', () => {
    expect(() => lib('Use {a}.', [])).toThrow(/uses \{a\} but does not declare it/)
    expect(() => lib('No variables.', [{ name: 'b', label: 'B', strict: false }])).toThrow(/"b" is declared but the prompt never uses \{b\}/)
    expect(() => lib('Use {a}.', [{ name: 'a', label: 'A', default: 'z', options: ['x'], strict: true }])).toThrow(/the default of "a" is not one of its options/)
  })
})

describe('the bundled template library', () => {
  const json = JSON.parse(readFileSync(join(ROOT, 'resources', 'templates.json'), 'utf8')) as unknown

  it('validates, with unique ids', () => {
    const parsed = templateFileSchema.safeParse(json)
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues[0])).toBe(true)
  })

  it('uses every declared variable and renders every template with its defaults or first option', () => {
    const library = loadTemplates(join(ROOT, 'resources', 'templates.json'))
    expect(library.list().length).toBeGreaterThan(0)
    for (const t of library.list()) {
      expect(placeholders(t.prompt).sort(), t.id).toEqual(t.variables.map((v) => v.name).sort())
      const values = Object.fromEntries(t.variables.map((v) => [v.name, v.default ?? v.options?.[0] ?? 'sample value']))
      const prompt = library.render(t.id, values)
      expect(prompt, t.id).not.toMatch(/\{[a-z][a-z0-9_]*\}/)
    }
  })
})

describe('{prompt}, optional variables and the avoid text', () => {
  const base = { name: 'Style', variables: [] as TemplateVariable[] }

  it('puts the typed text where {prompt} stands and refuses to render without it', () => {
    const t = { ...base, prompt: 'A product photo, {prompt}, cinematic light' }
    expect(renderTemplate(t, {}, ' on a beach ')).toBe('A product photo, on a beach, cinematic light')
    expect(() => renderTemplate(t, {}, '  ')).toThrow(/puts your text where it says \{prompt\}/)
  })

  it('adds the typed text as instructions when the template has no {prompt}, then the avoid text last', () => {
    const t = { ...base, prompt: 'Relight it.', negativePrompt: 'blur, watermarks' }
    expect(renderTemplate(t, {}, 'warmer')).toBe('Relight it.\n\nAdditional instructions: warmer\n\nAvoid: blur, watermarks')
  })

  it('leaves an optional variable empty but names a required one', () => {
    const variables: TemplateVariable[] = [
      { name: 'extra', label: 'Extra detail', required: false, strict: false },
      { name: 'scene', label: 'Scene', required: true, strict: false }
    ]
    const t = { ...base, prompt: 'Put it in {scene}.{extra}', variables }
    expect(renderTemplate(t, { scene: 'a kitchen' })).toBe('Put it in a kitchen.')
    expect(() => renderTemplate(t, { extra: ' x' })).toThrow('Fill in "Scene" for template "Style".')
    try {
      renderTemplate(t, {})
    } catch (err) {
      expect((err as { data: { field: string } }).data.field).toBe('variables.scene')
    }
  })

  it('refuses "prompt" as a variable name and unmatched braces in the prompt', () => {
    const named = templateInputSchema.safeParse({ name: 'x', prompt: 'Use {prompt}.', variables: [{ name: 'prompt', label: 'P' }] })
    expect(named.success).toBe(false)
    expect(JSON.stringify(named.error?.issues)).toContain('reserved')
    const unmatched = templateInputSchema.safeParse({ name: 'x', prompt: 'Use a { brace.' })
    expect(unmatched.error?.issues[0]?.message).toMatch(/unmatched \{ or \}/)
    expect(templateInputSchema.safeParse({ name: 'x', prompt: 'Write {{brand}} here.' }).success).toBe(true)
  })
})

describe('the built-in templates cover every workflow', () => {
  const library = loadTemplates(join(ROOT, 'resources', 'templates.json'))
  it.each([
    ['background replacement', 'background-replace'],
    ['product variants', 'colour-variant'],
    ['creative resizing to channel sizes', 'resize-story'],
    ['style transfer', 'style-transfer'],
    ['cleanup', 'packshot-cleanup']
  ])('%s (%s)', (_workflow, id) => {
    expect(library.get(id)?.builtIn).toBe(true)
  })

  it('gives every channel resize an aspect ratio the Gemini models accept', () => {
    const resizes = library.list().filter((t) => t.category === 'Resize')
    expect(resizes.length).toBeGreaterThanOrEqual(4)
    for (const t of resizes) expect(['1:1', '4:5', '9:16', '16:9'], t.id).toContain(t.params?.aspectRatio)
  })
})
