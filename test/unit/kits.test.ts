import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { exportKit, importKit } from '../../electron/core/kits/files'
import { deleteKit, findKit, kitsDir, kitView, listKits, saveKit } from '../../electron/core/kits/store'

let logo: Buffer
let style: Buffer

beforeAll(async () => {
  logo = await sharp({ create: { width: 24, height: 24, channels: 4, background: '#c22f' } }).png().toBuffer()
  style = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#345' } }).jpeg().toBuffer()
})

const fresh = () => mkdtempSync(join(tmpdir(), 'pixdesk-kits-'))
const content = () => ({
  name: 'Acme Spring',
  description: 'Spring campaign',
  snippets: ['Use the Acme red (#cc2222) for accents.', 'Keep the logo legible.'],
  images: [
    { file: 'logo.png', role: 'logo', bytes: logo },
    { file: 'look.jpg', role: 'style', bytes: style }
  ]
})

describe('brand kits', () => {
  it('are kept in the data folder, found by name or id, with images in order and their hashes', async () => {
    const data = fresh()
    const kit = await saveKit(data, content())
    expect(kit.id).toBe('acme-spring')
    expect(kit.dir).toBe(join(kitsDir(data), 'acme-spring'))
    expect((await findKit(data, 'ACME spring')).id).toBe('acme-spring')
    expect((await findKit(data, 'acme-spring')).references.map((r) => [r.file, r.role])).toEqual([
      ['logo.png', 'logo'],
      ['look.jpg', 'style']
    ])
    expect(readFileSync(kit.references[0]!.path).equals(logo)).toBe(true)
    await expect(findKit(data, 'nope')).rejects.toThrow(/There is no brand kit "nope". Kits: "Acme Spring"/)
    await expect(saveKit(data, content())).rejects.toThrow(/already exists/)
    expect((await saveKit(data, { ...content(), snippets: ['Only this.'] }, { replace: true })).manifest.snippets).toEqual(['Only this.'])
    // No staging folders are left behind.
    expect(readdirSync(kitsDir(data))).toEqual(['acme-spring'])
  })

  it('round-trip through a folder and through one JSON file, unchanged', async () => {
    const data = fresh()
    const original = kitView(await saveKit(data, content()))
    const out = fresh()
    await exportKit(data, 'Acme Spring', join(out, 'folder'), 'folder')
    await exportKit(data, 'Acme Spring', join(out, 'kit.json'), 'json')
    expect(readdirSync(join(out, 'folder')).sort()).toEqual(['kit.json', 'logo.png', 'look.jpg'])
    await expect(exportKit(data, 'Acme Spring', join(out, 'kit.json'), 'json')).rejects.toThrow(/already exists/)

    const fromFolder = fresh()
    expect(kitView(await importKit(fromFolder, join(out, 'folder')))).toEqual(original)
    const fromJson = fresh()
    expect(kitView(await importKit(fromJson, join(out, 'kit.json')))).toEqual(original)
    expect(kitView(await importKit(fromJson, join(out, 'kit.json'), { name: 'Acme copy' }))).toMatchObject({ id: 'acme-copy', references: original.references })
    expect((await listKits(fromJson)).kits.map((k) => k.id)).toEqual(['acme-copy', 'acme-spring'])
  })

  it('refuse a kit with a damaged image, naming it, and keep nothing', async () => {
    const source = fresh()
    writeFileSync(join(source, 'logo.png'), logo.subarray(0, 40))
    writeFileSync(join(source, 'kit.json'), JSON.stringify({ version: 1, name: 'Broken', references: [{ file: 'logo.png', role: 'logo' }] }))
    const data = fresh()
    await expect(importKit(data, source)).rejects.toThrow(/Brand kit image logo\.png cannot be used: .*(damaged|truncated)/)
    expect((await listKits(data)).kits).toEqual([])
    expect(readdirSync(kitsDir(data))).toEqual([])
  })

  it('refuse a kit.json that names a file outside the folder or a missing one', async () => {
    const source = fresh()
    writeFileSync(join(source, 'kit.json'), JSON.stringify({ version: 1, name: 'Sly', references: [{ file: '../secret.png' }] }))
    await expect(importKit(fresh(), source)).rejects.toThrow(/references.0.file must be a plain file name inside the kit folder/)
    writeFileSync(join(source, 'kit.json'), JSON.stringify({ version: 1, name: 'Gone', references: [{ file: 'gone.png' }] }))
    await expect(importKit(fresh(), source)).rejects.toThrow(/names gone\.png, which is not in the folder/)
  })

  it('are deleted whole', async () => {
    const data = fresh()
    await saveKit(data, content())
    await deleteKit(data, 'Acme Spring')
    expect((await listKits(data)).kits).toEqual([])
    expect(readdirSync(kitsDir(data))).toEqual([])
  })
})
