import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Dialogs } from '../../electron/core/dialogs'
import { createKitService } from '../../electron/core/kits/service'
import { kitsDir, listKits } from '../../electron/core/kits/store'
import type { LibraryAsset } from '../../electron/core/library/types'
import { createAssetHandler } from '../../electron/ipc/asset-handler'
import type { Library } from '../../electron/core/library/library'

let logo: Buffer
let style: Buffer

beforeAll(async () => {
  logo = await sharp({ create: { width: 24, height: 24, channels: 4, background: '#c22f' } }).png().toBuffer()
  style = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#345' } }).jpeg().toBuffer()
})

const fresh = () => mkdtempSync(join(tmpdir(), 'pixdesk-kit-service-'))

/** A library of two images on disk, and one entry whose file is not an image. */
function libraryWith(dir: string) {
  writeFileSync(join(dir, 'logo.png'), logo)
  writeFileSync(join(dir, 'look.jpg'), style)
  writeFileSync(join(dir, 'notes.png'), 'not an image')
  const assets: Record<string, Partial<LibraryAsset>> = {
    'a-logo': { id: 'a-logo', path: join(dir, 'logo.png'), verdict: { ok: true } },
    'a-look': { id: 'a-look', path: join(dir, 'look.jpg'), verdict: { ok: true } },
    'a-notes': { id: 'a-notes', path: join(dir, 'notes.png'), verdict: { ok: false, error: { code: 'validation', message: 'The file is not an image.' } } }
  } as Record<string, Partial<LibraryAsset>>
  return { get: (id: string) => assets[id] as LibraryAsset | undefined }
}

/** Dialog answers queued by the test, as the window's native dialogs would give them. */
function dialogsAnswering(answers: { directories?: string[][]; files?: string[][]; saves?: Array<string | null> }): Dialogs {
  const fail = () => Promise.reject(new Error('not asked in this test'))
  return {
    openDirectories: async () => answers.directories?.shift() ?? [],
    openFiles: async () => answers.files?.shift() ?? [],
    saveFile: async () => answers.saves?.shift() ?? null,
    reveal: fail,
    confirm: fail,
    copyText: fail
  }
}

describe('brand kits from the window', () => {
  it('are made from library images in order with roles, edited, renamed, duplicated and deleted', async () => {
    const data = fresh()
    const library = libraryWith(fresh())
    const kits = createKitService({ dataDir: data, library, dialogs: dialogsAnswering({}) })
    const made = await kits.create({ name: 'Acme', references: [{ assetId: 'a-look', role: 'style' }, { assetId: 'a-logo', role: 'logo' }], snippets: ['Acme red accents.'] })
    expect(made).toMatchObject({ id: 'acme', name: 'Acme', snippets: ['Acme red accents.'] })
    expect(made.references.map((r) => [r.file, r.role])).toEqual([
      ['look.jpg', 'style'],
      ['logo.png', 'logo']
    ])
    expect(readFileSync(join(kitsDir(data), 'acme', 'logo.png')).equals(logo)).toBe(true)

    // Kept images stay by their file in the kit, in the new order; the name change moves the folder.
    const edited = await kits.update('acme', { name: 'Acme Spring', references: [{ kitFile: 'logo.png', role: 'mark' }, { kitFile: 'look.jpg' }], snippets: [] })
    expect(edited.id).toBe('acme-spring')
    expect(edited.references.map((r) => [r.file, r.role])).toEqual([
      ['logo.png', 'mark'],
      ['look.jpg', undefined]
    ])
    expect((await kits.list()).map((k) => k.id)).toEqual(['acme-spring'])

    const copy = await kits.duplicate('acme-spring')
    expect(copy).toMatchObject({ id: 'acme-spring-copy', name: 'Acme Spring copy' })
    expect(copy.references.map((r) => r.sha256)).toEqual(edited.references.map((r) => r.sha256))
    expect((await kits.duplicate('acme-spring')).name).toBe('Acme Spring copy 2')

    await kits.remove('acme-spring-copy')
    expect((await kits.list()).map((k) => k.id)).toEqual(['acme-spring', 'acme-spring-copy-2'])
    await expect(kits.remove('acme-spring-copy')).rejects.toThrow(/no brand kit "acme-spring-copy"/)
  })

  it('refuse an image the library cannot use or no longer has, and keep nothing', async () => {
    const data = fresh()
    const kits = createKitService({ dataDir: data, library: libraryWith(fresh()), dialogs: dialogsAnswering({}) })
    await expect(kits.create({ name: 'Bad', references: [{ assetId: 'a-logo' }, { assetId: 'a-notes' }] })).rejects.toMatchObject({ data: { field: 'references.1', message: expect.stringMatching(/notes\.png cannot be a reference: The file is not an image/) } })
    await expect(kits.create({ name: 'Gone', references: [{ assetId: 'a-gone' }] })).rejects.toMatchObject({ data: { field: 'references.0', message: expect.stringMatching(/no longer in the library/) } })
    await expect(kits.create({ name: 'Stale', references: [{ kitFile: 'logo.png' }] })).rejects.toMatchObject({ data: { field: 'references.0' } })
    expect((await listKits(data)).kits).toEqual([])
  })

  it('export through the dialogs as a folder and as JSON, and import both back under a free name', async () => {
    const data = fresh()
    const out = fresh()
    mkdirSync(join(out, 'acme'))
    writeFileSync(join(out, 'acme', 'unrelated.txt'), 'kept')
    const answers = { directories: [[out], [join(out, 'acme-2')]], saves: [join(out, 'acme.json') as string | null, null], files: [[join(out, 'acme.json')]] }
    const kits = createKitService({ dataDir: data, library: libraryWith(fresh()), dialogs: dialogsAnswering(answers) })
    const original = await kits.create({ name: 'Acme', references: [{ assetId: 'a-logo', role: 'logo' }], snippets: ['Keep the logo legible.'] })

    // The folder chosen already has an "acme": the export goes beside it, never into it.
    expect(await kits.exportWithDialog('acme', 'folder')).toEqual({ path: join(out, 'acme-2') })
    expect(readdirSync(join(out, 'acme-2')).sort()).toEqual(['kit.json', 'logo.png'])
    expect(readdirSync(join(out, 'acme'))).toEqual(['unrelated.txt'])
    writeFileSync(join(out, 'acme.json'), 'an older export')
    expect(await kits.exportWithDialog('acme', 'json')).toEqual({ path: join(out, 'acme.json') })
    expect(JSON.parse(readFileSync(join(out, 'acme.json'), 'utf8'))).toMatchObject({ format: 'pixdesk-brand-kit', name: 'Acme' })
    expect(await kits.exportWithDialog('acme', 'json')).toEqual({ path: null })

    const fromFolder = await kits.importWithDialog('folder')
    expect(fromFolder).toMatchObject({ id: 'acme-2', name: 'Acme 2', snippets: original.snippets })
    expect(fromFolder?.references.map((r) => [r.role, r.sha256])).toEqual(original.references.map((r) => [r.role, r.sha256]))
    const fromJson = await kits.importWithDialog('json')
    expect(fromJson).toMatchObject({ id: 'acme-3', references: [{ role: 'logo', sha256: original.references[0]!.sha256 }] })
    expect(await kits.importWithDialog('json')).toBeNull()
  })

  it('serves a kit image by kit id and hash only, from the kits folder', async () => {
    const data = fresh()
    const kits = createKitService({ dataDir: data, library: libraryWith(fresh()), dialogs: dialogsAnswering({}) })
    const kit = await kits.create({ name: 'Acme', references: [{ assetId: 'a-logo' }] })
    const sha = kit.references[0]!.sha256
    const handle = createAssetHandler({
      library: {} as Library,
      baseUrl: 'http://127.0.0.1/asset/',
      kitImages: { dir: kitsDir(data), resolve: async (id, hash) => (await listKits(data)).kits.find((k) => k.id === id)?.references.find((r) => r.sha256 === hash)?.path }
    })
    const ok = await handle(new Request(`http://127.0.0.1/asset/kit/acme/${sha}`))
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await ok.arrayBuffer()).equals(logo)).toBe(true)
    expect((await handle(new Request(`http://127.0.0.1/asset/kit/acme/${'0'.repeat(64)}`))).status).toBe(404)
    expect((await handle(new Request(`http://127.0.0.1/asset/kit/acme/logo.png`))).status).toBe(400)
  })
})
