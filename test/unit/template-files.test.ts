import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseCsv, parseTemplateFile } from '../../electron/core/template-files'
import { openTemplateStore, type TemplateService } from '../../electron/core/template-store'
import { readBundledTemplates } from '../../electron/core/templates'
import { renderTemplate } from '../../shared/templates'

const ROOT = join(__dirname, '..', '..')
const builtIns = readBundledTemplates(join(ROOT, 'resources', 'templates.json'))

let dir: string
let store: TemplateService
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-template-files-'))
  store = await openTemplateStore({ dataDir: join(dir, 'data'), builtIns })
})
afterEach(() => rm(dir, { recursive: true, force: true }))

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

describe('CSV records', () => {
  it('reads quoted commas, doubled quotes, line breaks inside quotes, CRLF and a byte-order mark', () => {
    const text = '\uFEFFname,prompt\r\n"A, b","say ""hi""\nthen go"\r\nC,d\n\n'
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['name', 'prompt'] },
      { line: 2, fields: ['A, b', 'say "hi"\nthen go'] },
      { line: 4, fields: ['C', 'd'] }
    ])
  })

  it('names the line of a quote that is never closed', () => {
    expect(() => parseCsv('name,prompt\nx,"open\n')).toThrow('a quoted field that starts on line 2 is never closed')
  })
})

describe("importing InvokeAI's style presets", () => {
  const csv = [
    'name,prompt,negative_prompt,',
    'Cinematic,"{prompt}, soft cinematic light, (hdr:1.2)","b&w, blur",',
    'Watercolour,"watercolour painting, {red|blue} palette",,',
    'Only negative,,"watermark, text",'
  ].join('\n')

  it('maps name, prompt and negative_prompt; {prompt} is the typed text, other braces stay literal', async () => {
    const result = await store.importFile(await file('styles.csv', csv))
    expect(result).toMatchObject({ format: 'invokeai-csv', renamed: [] })
    expect(result.imported.map((t) => [t.id, t.name, t.category])).toEqual([
      ['cinematic', 'Cinematic', 'Imported styles'],
      ['watercolour', 'Watercolour', 'Imported styles'],
      ['only-negative', 'Only negative', 'Imported styles']
    ])
    const [cinematic, watercolour, negative] = result.imported
    expect(renderTemplate(cinematic!, {}, 'a red sneaker')).toBe('a red sneaker, soft cinematic light, (hdr:1.2)\n\nAvoid: b&w, blur')
    expect(renderTemplate(watercolour!, {}, 'on a desk')).toBe('watercolour painting, {red|blue} palette\n\nAdditional instructions: on a desk')
    expect(renderTemplate(negative!, {}, 'clean it up')).toBe('clean it up\n\nAvoid: watermark, text')
    expect((await store.views()).filter((t) => !t.builtIn)).toHaveLength(3)
  })

  it('reads the JSON list InvokeAI also accepts (prompt or positive_prompt)', async () => {
    const path = await file('presets.json', JSON.stringify([{ name: 'Moody', positive_prompt: 'moody, {prompt}', negative_prompt: '' }]))
    const result = await store.importFile(path)
    expect(result.format).toBe('invokeai-json')
    expect(result.imported[0]).toMatchObject({ name: 'Moody', prompt: 'moody, {prompt}' })
  })

  it('lists every bad row by line and imports none of them', async () => {
    const bad = ['name,prompt,negative_prompt', ',"no name",', 'Empty,,', `Long,"${'x'.repeat(8001)}",`, 'Fine,"fine",'].join('\n')
    const error = (await store.importFile(await file('bad.csv', bad)).then(
      () => null,
      (err: unknown) => err
    )) as Error & { data: { path: string } }
    expect(error.message).toContain('bad.csv cannot be imported (3 problems):')
    expect(error.message).toContain('- line 2: the name is empty')
    expect(error.message).toContain('- line 3 ("Empty"): both prompt and negative_prompt are empty')
    expect(error.message).toMatch(/- line 4 \("Long"\) › prompt: .*8000/)
    expect(error.message).toContain('Nothing was imported.')
    expect(error.data.path).toContain('bad.csv')
    expect(store.list().every((t) => t.builtIn)).toBe(true)
  })

  it('names missing and unknown columns', async () => {
    await expect(store.importFile(await file('cols.csv', 'title,text\nA,b\n'))).rejects.toThrow(/line 1: the header must name the columns name, prompt and negative_prompt \(found: title, text\)/)
    await expect(store.importFile(await file('extra.csv', 'name,prompt,negative_prompt,seed\nA,b,,1\n'))).rejects.toThrow(/line 1: unknown column "seed"/)
  })
})

describe('Pixdesk JSON export and import', () => {
  it('round-trips the user templates, giving a taken id a new one', async () => {
    await store.create({ name: 'Shelf', prompt: 'On a {surface}.', variables: [{ name: 'surface', label: 'Surface', description: 'Any flat surface.', default: 'oak shelf' }], negativePrompt: 'dust' })
    const out = join(dir, 'export.json')
    expect(await store.exportFile(out)).toEqual({ path: out, count: 1 })
    const doc = JSON.parse(await readFile(out, 'utf8')) as { format: string; templates: Array<Record<string, unknown>> }
    expect(doc.format).toBe('pixdesk-templates')
    expect(doc.templates[0]).not.toHaveProperty('builtIn')

    const again = await store.importFile(out)
    expect(again.renamed).toEqual([{ from: 'shelf', to: 'shelf-2' }])
    expect(again.imported[0]).toMatchObject({ id: 'shelf-2', name: 'Shelf', negativePrompt: 'dust', variables: [{ name: 'surface', description: 'Any flat surface.' }] })

    const fresh = await openTemplateStore({ dataDir: join(dir, 'other'), builtIns })
    const moved = await fresh.importFile(out)
    expect(moved).toMatchObject({ format: 'pixdesk-json', renamed: [], imported: [{ id: 'shelf' }] })
  })

  it('exports built-ins on request; with none of the user own and no ids it says so', async () => {
    await expect(store.exportFile(join(dir, 'none.json'))).rejects.toThrow(/no templates of your own to export/)
    expect((await store.exportFile(join(dir, 'b.json'), ['relight', 'style-transfer'])).count).toBe(2)
  })

  it('names the file, the template and the field of every problem', async () => {
    const doc = {
      version: 1,
      templates: [
        { name: 'Good', prompt: 'Fine.' },
        { name: 'Bad vars', prompt: 'Use {Colour}.', variables: [{ name: 'Colour', label: 'C' }] },
        { name: '', prompt: 'x', varaibles: [] }
      ]
    }
    const error = (await store.importFile(await file('team.json', JSON.stringify(doc))).then(
      () => null,
      (err: unknown) => err
    )) as Error
    expect(error.message).toMatch(/^team\.json cannot be imported \(\d+ problems\):/)
    expect(error.message).toContain('- template 2 ("Bad vars") › variables[0].name: variable names use lower-case letters')
    expect(error.message).toMatch(/- template 3 › name: give the template a name/)
    expect(error.message).toMatch(/- template 3: Unrecognized key.*"varaibles"/)
    expect(store.list().every((t) => t.builtIn)).toBe(true)
  })

  it('refuses what is not a template file, in words', () => {
    expect(() => parseTemplateFile('{"version": 2, "templates": []}', '/x/t.json')).toThrow(/t\.json cannot be imported.*\n- the file › version: only version 1 is known/s)
    expect(() => parseTemplateFile('{nope', '/x/t.json')).toThrow(/it is not valid JSON/)
    expect(() => parseTemplateFile('   ', '/x/t.csv')).toThrow(/the file is empty/)
  })
})
