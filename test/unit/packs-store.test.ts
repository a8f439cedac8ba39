import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openPackStore, packsFile } from '../../electron/core/packs/store'

const fresh = () => mkdtempSync(join(tmpdir(), 'pixdesk-packs-'))
const input = { name: 'Shop banners', targets: [{ name: 'Banner', width: 1600, height: 400, format: 'webp' as const, maxBytes: 200 * 1024 }] }

describe('pack store', () => {
  it('offers the built-ins, saves, edits and deletes packs of the user in packs.json', async () => {
    const dir = fresh()
    const store = await openPackStore({ dataDir: dir })
    expect((await store.list()).map((p) => p.id)).toEqual(['marketplace', 'social', 'web', 'print'])
    const made = await store.save(input)
    expect(made).toMatchObject({ id: 'shop-banners', builtIn: false, targets: [{ name: 'Banner', quality: 90, background: 'keep', method: 'recompose' }] })
    const onDisk = JSON.parse(readFileSync(packsFile(dir), 'utf8')) as { version: number; packs: Array<{ id: string }> }
    expect(onDisk.version).toBe(1)
    expect(onDisk.packs.map((p) => p.id)).toEqual(['shop-banners'])
    // Another process (the command line) sees and changes the same file.
    const other = await openPackStore({ dataDir: dir })
    await other.save({ ...input, name: 'Shop banners 2' }, 'shop-banners')
    expect((await store.get('shop-banners'))?.name).toBe('Shop banners 2')
    expect((await store.find('SHOP BANNERS 2')).id).toBe('shop-banners')
    await store.remove('shop-banners')
    expect(await other.get('shop-banners')).toBeUndefined()
  })

  it('refuses to change built-ins and names the field of a bad target', async () => {
    const store = await openPackStore({ dataDir: fresh() })
    await expect(store.save(input, 'social')).rejects.toThrow(/built in/)
    await expect(store.remove('marketplace')).rejects.toThrow(/built in/)
    await expect(store.save({ name: 'x', targets: [{ name: 'a', width: 100 }] } as never)).rejects.toMatchObject({ data: { field: 'targets.0.height' } })
  })

  it('an unknown pack is an error listing the packs there are', async () => {
    const store = await openPackStore({ dataDir: fresh() })
    await expect(store.find('instagram')).rejects.toThrow('There is no pack "instagram". The packs are: marketplace (Marketplace), social (Social), web (Web), print (Print).')
  })

  it('exports and imports JSON, renaming ids already taken', async () => {
    const a = await openPackStore({ dataDir: fresh() })
    await a.save(input)
    const file = join(fresh(), 'packs.json')
    expect(await a.exportFile(file)).toEqual({ path: file, count: 1 })
    const b = await openPackStore({ dataDir: fresh() })
    expect((await b.importFile(file)).imported.map((p) => p.id)).toEqual(['shop-banners'])
    const again = await b.importFile(file)
    expect(again.renamed).toEqual([{ from: 'shop-banners', to: 'shop-banners-2' }])
    // A single pack object is accepted as well; a bad one names the file, the pack and the field.
    expect((await b.importText(JSON.stringify({ name: 'One', targets: [{ name: 'S', width: 500, height: 500 }] }), 'one.json')).imported[0]?.id).toBe('one')
    await expect(b.importText(JSON.stringify({ name: 'Bad', targets: [{ name: 'S', width: 500, height: 500, format: 'gif' }] }), 'bad.json')).rejects.toThrow(/^bad.json, "Bad": targets.0.format/)
    await expect(b.importText('{not json', 'x.json')).rejects.toThrow(/not valid JSON/)
  })

  it('keeps an entry that no longer validates and a file that is not JSON', async () => {
    const dir = fresh()
    writeFileSync(packsFile(dir), JSON.stringify({ version: 1, packs: [{ id: 'broken', name: 'Broken', targets: [] }] }))
    const store = await openPackStore({ dataDir: dir })
    expect(store.warnings()[0]).toMatch(/"Broken"\) is not offered/)
    await store.save(input)
    expect((JSON.parse(readFileSync(packsFile(dir), 'utf8')) as { packs: Array<{ id: string }> }).packs.map((p) => p.id)).toEqual(['shop-banners', 'broken'])
    writeFileSync(packsFile(dir), '{oops')
    const again = await openPackStore({ dataDir: dir })
    expect(again.warnings()[0]).toMatch(/could not be used/)
    expect(readdirSync(dir).some((f) => f.startsWith('packs.json.corrupt-'))).toBe(true)
  })
})
