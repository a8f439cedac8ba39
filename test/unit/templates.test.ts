import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTemplateLibrary, loadTemplates, parseTemplates, placeholders, templateFileSchema, type Template } from '../../electron/core/templates'

const ROOT = join(__dirname, '..', '..')

function lib(prompt: string, variables: Template['variables']) {
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
    expect(() => lib('No variables.', [{ name: 'b', label: 'B', strict: false }])).toThrow(/declares "b" but the prompt never uses it/)
    expect(() => lib('Use {a}.', [{ name: 'a', label: 'A', default: 'z', options: ['x'], strict: true }])).toThrow(/default of "a" is not one of its options/)
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
