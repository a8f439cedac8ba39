import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTemplateStore, templatesFile, usageFromHistory, type TemplateService } from '../../electron/core/template-store'
import { readBundledTemplates } from '../../electron/core/templates'
import { openHistory } from '../../electron/core/history/history'
import type { TemplateInput } from '../../shared/templates'
import { makeRecord } from '../support/history-fixtures'

const ROOT = join(__dirname, '..', '..')
const builtIns = readBundledTemplates(join(ROOT, 'resources', 'templates.json'))

const mine: TemplateInput = {
  name: 'Spring shelf',
  category: 'Campaign',
  prompt: 'Put the product on a {surface} with {flowers}.',
  variables: [
    { name: 'surface', label: 'Surface', default: 'white oak shelf' },
    { name: 'flowers', label: 'Flowers', description: 'A few stems, never covering the label.' }
  ]
}

let dir: string
let store: TemplateService
const open = () => openTemplateStore({ dataDir: dir, builtIns, now: () => new Date('2026-03-01T10:00:00Z') })

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-templates-'))
  store = await open()
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('templates the user owns', () => {
  it('creates, edits, duplicates and deletes, keeping them on disk between runs', async () => {
    const made = await store.create(mine)
    expect(made).toMatchObject({ id: 'spring-shelf', builtIn: false, createdAt: '2026-03-01T10:00:00.000Z', usage: { count: 0, lastUsedAt: null } })
    expect(made.variables[0]).toMatchObject({ required: true, strict: false })

    const edited = await store.update('spring-shelf', { ...mine, name: 'Spring shelf, pastel', negativePrompt: 'people' })
    expect(edited).toMatchObject({ id: 'spring-shelf', name: 'Spring shelf, pastel', negativePrompt: 'people' })
    const copy = await store.duplicate('spring-shelf')
    expect(copy).toMatchObject({ id: 'spring-shelf-pastel-copy', name: 'Spring shelf, pastel (copy)', builtIn: false })

    const reopened = await open()
    expect(reopened.list().filter((t) => !t.builtIn).map((t) => t.id)).toEqual(['spring-shelf', 'spring-shelf-pastel-copy'])
    expect(reopened.render('spring-shelf', { flowers: 'tulips' })).toBe('Put the product on a white oak shelf with tulips.\n\nAvoid: people')

    await reopened.remove('spring-shelf')
    expect((await open()).get('spring-shelf')).toBeUndefined()
  })

  it('gives a second template of the same name its own id, never one a built-in has', async () => {
    expect((await store.create(mine)).id).toBe('spring-shelf')
    expect((await store.create(mine)).id).toBe('spring-shelf-2')
    expect((await store.create({ ...mine, name: 'Relight' })).id).toBe('relight-2')
  })

  it('duplicates a built-in but will not edit or delete one', async () => {
    const copy = await store.duplicate('background-replace')
    expect(copy).toMatchObject({ builtIn: false, name: 'Replace background with a scene (copy)' })
    await expect(store.update('background-replace', mine)).rejects.toThrow(/built in and cannot be changed. Duplicate it/)
    await expect(store.remove('background-replace')).rejects.toThrow(/built in and cannot be deleted/)
    await expect(store.remove('no-such')).rejects.toThrow('There is no template "no-such"')
  })

  it('refuses an invalid template with the field to fix and writes nothing', async () => {
    await expect(store.create({ ...mine, variables: [mine.variables![0]!] })).rejects.toMatchObject({ data: { field: 'prompt', message: expect.stringMatching(/uses \{flowers\} but does not declare it/) } })
    await expect(store.create({ ...mine, name: '  ' })).rejects.toMatchObject({ data: { field: 'name' } })
    await expect(readFile(templatesFile(dir))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('sees what another process wrote to the file', async () => {
    const other = await open()
    await other.create(mine)
    expect(store.get('spring-shelf')).toBeUndefined()
    await store.refresh()
    expect(store.get('spring-shelf')?.name).toBe('Spring shelf')
    // A change made here starts from the file, so the other process's template survives it.
    await store.create({ ...mine, name: 'Second' })
    expect((await open()).list().filter((t) => !t.builtIn).map((t) => t.id)).toEqual(['spring-shelf', 'second'])
  })

  it('keeps serial changes from one process in order', async () => {
    await Promise.all(['One', 'Two', 'Three', 'Four'].map((name) => store.create({ ...mine, name })))
    expect((await open()).list().filter((t) => !t.builtIn).map((t) => t.name)).toEqual(['One', 'Two', 'Three', 'Four'])
  })
})

describe('a damaged templates file', () => {
  it('keeps an entry that no longer validates in the file and says why it is not offered', async () => {
    await store.create(mine)
    const doc = JSON.parse(await readFile(templatesFile(dir), 'utf8')) as { templates: unknown[] }
    doc.templates.push({ id: 'broken', name: 'Broken', prompt: 'Uses {nothing}.', variables: [], createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' })
    await writeFile(templatesFile(dir), JSON.stringify(doc))
    const reopened = await open()
    expect(reopened.get('broken')).toBeUndefined()
    expect(reopened.warnings()).toEqual([expect.stringMatching(/entry 2 \("Broken"\) is not offered: prompt uses \{nothing\}.*stays in the file/)])
    await reopened.create({ ...mine, name: 'After' })
    const after = JSON.parse(await readFile(templatesFile(dir), 'utf8')) as { templates: Array<{ id: string }> }
    expect(after.templates.map((t) => t.id)).toEqual(['spring-shelf', 'after', 'broken'])
  })

  it('copies a file that is not JSON aside, starts empty and says where the copy is', async () => {
    await writeFile(templatesFile(dir), '{"version":1,"templates":[{"id":"half')
    const reopened = await open()
    expect(reopened.list().every((t) => t.builtIn)).toBe(true)
    const [warning] = reopened.warnings()
    expect(warning).toMatch(/could not be used \(not valid JSON.*kept as .*templates\.json\.corrupt-/)
    const copies = (await readdir(dir)).filter((f) => f.startsWith('templates.json.corrupt-'))
    expect(copies).toHaveLength(1)
    expect(await readFile(join(dir, copies[0]!), 'utf8')).toBe('{"version":1,"templates":[{"id":"half')
  })

  it('a process killed halfway through a write leaves the previous list whole', async () => {
    // A file-size limit (ulimit -f, in 512-byte blocks) kills the writer in the middle of the write that
    // crosses it. The file must then hold every template of the last whole write.
    const writer = join(ROOT, 'test', 'support', 'template-writer.ts')
    const child = spawn('sh', ['-c', 'ulimit -f 400 && exec "$0" "$@"', process.execPath, '--import', 'tsx', writer, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok) => child.once('exit', (c, s) => ok([c, s])))
    // Killed by SIGXFSZ mid-write, or (where the signal is ignored) the write failed with EFBIG.
    if (signal) expect(signal).toBe('SIGXFSZ')
    else expect([code, /failed (\w+)/.exec(out)?.[1]]).toEqual([3, 'EFBIG'])
    const written = Number(/ok (\d+)\n(?!.*ok)/s.exec(out)?.[1])
    expect(written).toBeGreaterThan(5)
    const doc = JSON.parse(await readFile(templatesFile(dir), 'utf8')) as { templates: unknown[] }
    expect(doc.templates).toHaveLength(written)
    const reopened = await open()
    expect(reopened.warnings()).toEqual([])
    expect(reopened.list().filter((t) => !t.builtIn)).toHaveLength(written)
  }, 60_000)
})

describe('usage from the history', () => {
  it('counts the requests made with each template and the newest one', async () => {
    const history = openHistory(dir, { persistIndex: false })
    const record = (id: string, templateId: string | undefined, startedAt: string) => makeRecord({ id, startedAt, finishedAt: startedAt, ...(templateId ? { templateId } : {}) })
    await history.append(record('r1', 'relight', '2026-02-01T10:00:00.000Z'))
    await history.append(record('r2', 'relight', '2026-02-03T10:00:00.000Z'))
    await history.append(record('r3', undefined, '2026-02-04T10:00:00.000Z'))
    const counted = await openTemplateStore({ dataDir: dir, builtIns, usageOf: usageFromHistory(history) })
    const views = await counted.views()
    expect(views.find((t) => t.id === 'relight')?.usage).toEqual({ count: 2, lastUsedAt: '2026-02-03T10:00:00.000Z' })
    expect(views.find((t) => t.id === 'colour-variant')?.usage).toEqual({ count: 0, lastUsedAt: null })
    await history.close()
  })
})
