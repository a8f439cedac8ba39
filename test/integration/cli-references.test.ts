import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openHistory } from '../../electron/core/history/history'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { runCli, type CliResult } from '../support/cli-process'
import { makeImages } from '../support/jobs-fixtures'

/**
 * Reference images and brand kits on the command line (`npm run build` first): the built CLI runs as a
 * child process against a sandbox in this process, whose stats say exactly what arrived.
 */

let dir: string
let home: string
let sandbox: Sandbox
let photos: string[]
let style: string
let logo: string

const run = (args: string[]): Promise<CliResult> => runCli(args, { home, cwd: dir, baseUrl: sandbox.url })

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')
const summaryOf = (r: CliResult) => r.events.find((e) => e.type === 'summary') as { outputs?: string[] } | undefined

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-refs-'))
  home = join(dir, 'home')
  photos = await makeImages(join(dir, 'shoot'), 2)
  await mkdir(join(dir, 'brand'))
  style = join(dir, 'brand', 'look.jpg')
  logo = join(dir, 'brand', 'logo.png')
  await sharp({ create: { width: 30, height: 20, channels: 3, background: '#a52' } }).jpeg().toFile(style)
  await sharp({ create: { width: 16, height: 16, channels: 4, background: '#118f' } }).png().toFile(logo)
  sandbox = await startSandbox()
})
afterAll(async () => {
  await sandbox.close()
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => sandbox.reset())

describe('pixdesk edit --ref', () => {
  it('sends the image, then each reference in order with its role; the record and the output keep them', async () => {
    const r = await run(['edit', photos[0]!, '--ref', `style=${style}`, '--ref', logo, '--prompt', 'use the palette of image 2', '--model', 'gpt-image-2', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const got = sandbox.stats().submissions
    expect(got).toHaveLength(1)
    expect(got[0]!.inputs.map((i) => i.sha256)).toEqual([sha(photos[0]!), sha(style), sha(logo)])
    expect(got[0]!.references).toMatchObject({ count: 2, prefaced: true, items: [{ image: 2, role: 'style', width: 30, height: 20 }, { image: 3, width: 16, height: 16 }] })

    const history = openHistory(home)
    const [record] = (await history.query({})).items
    await history.close()
    expect(record!.inputs.map((i) => [i.path, i.sha256, i.role])).toEqual([
      [photos[0], sha(photos[0]!), undefined],
      [style, sha(style), 'style'],
      [logo, sha(logo), undefined]
    ])
    // The output file carries the references in its embedded parameters (PNG iTXt).
    const output = summaryOf(r)!.outputs![0]!
    const embedded = readFileSync(output).toString('utf8')
    expect(embedded).toContain(`"references":[{"image":2,"name":"look.jpg","sha256":"${sha(style)}","role":"style"},{"image":3,"name":"logo.png","sha256":"${sha(logo)}"}]`)
  })

  it('refuses a corrupt reference, naming it, with exit 2 and nothing sent', async () => {
    const broken = join(dir, 'brand', 'broken.jpg')
    writeFileSync(broken, readFileSync(style).subarray(0, 60))
    const r = await run(['edit', photos[0]!, '--ref', `style=${style}`, '--ref', `logo=${broken}`, '--prompt', 'x', '--model', 'gpt-image-2'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Reference image 2: "broken\.jpg" .*The file is damaged/)
    expect(r.stderr).toContain('Nothing was sent.')
    expect(sandbox.stats().submissions).toHaveLength(0)
  })

  it('refuses more references than the model takes, naming the limit, exit 2, nothing sent', async () => {
    const refs = ['--ref', style, '--ref', logo, '--ref', photos[1]!]
    const r = await run(['edit', photos[0]!, ...refs, '--prompt', 'x', '--model', 'nano-banana'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/gemini-2\.5-flash-image accepts at most 3 input images \(the image to edit plus at most 2 reference images\); 4 were given/)
    expect(sandbox.stats().submissions).toHaveLength(0)
    const bad = await run(['edit', photos[0]!, '--ref', 'two\nlines=x.png', '--prompt', 'x', '--model', 'nano-banana'])
    expect(bad.code).toBe(2)
    expect(sandbox.stats().submissions).toHaveLength(0)
  })
})

describe('brand kits and batches', () => {
  it('imports a kit folder, uses it on every item of a batch with --ref after it, exports and re-imports it as JSON', async () => {
    const kitDir = join(dir, 'acme-kit')
    await mkdir(kitDir)
    writeFileSync(join(kitDir, 'logo.png'), readFileSync(logo))
    writeFileSync(join(kitDir, 'kit.json'), JSON.stringify({ version: 1, name: 'Acme', references: [{ file: 'logo.png', role: 'logo' }], snippets: ['Brand red is #cc2222.'] }))
    const imported = await run(['kits', 'import', kitDir])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toContain('Imported brand kit "Acme" (acme): 1 reference image, 1 snippet.')
    const listed = await run(['kits', 'list'])
    expect(listed.stdout).toMatch(/acme\s+Acme\s+2 logo\s+1/)

    const r = await run(['batch', ...photos, '--kit', 'acme', '--ref', `style=${style}`, '--prompt', 'put the logo on the box', '--model', 'gpt-image-2', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const got = sandbox.stats().submissions
    expect(got).toHaveLength(2)
    for (const submission of got) {
      expect(submission.inputs.slice(1).map((i) => i.sha256)).toEqual([sha(logo), sha(style)])
      expect(submission.references?.items.map((i) => i.role)).toEqual(['logo', 'style'])
      expect(submission.prompt.replace(/\r\n/g, '\n')).toBe(
        'Image 1: the image to edit. Image 2 (logo): reference. Image 3 (style): reference.\n\nput the logo on the box\n\nBrand red is #cc2222.'
      )
    }
    expect(got.map((s) => s.inputs[0]!.sha256).sort()).toEqual(photos.map(sha).sort())

    const exported = await run(['kits', 'export', 'Acme', join(dir, 'acme.json')])
    expect(exported.code, exported.stderr).toBe(0)
    expect((await run(['kits', 'delete', 'acme'])).code).toBe(2)
    expect((await run(['kits', 'delete', 'acme', '--yes'])).code).toBe(0)
    expect((await run(['edit', photos[0]!, '--kit', 'acme', '--prompt', 'x', '--model', 'gpt-image-2'])).stderr).toMatch(/--kit: There is no brand kit "acme"/)
    const back = await run(['kits', 'import', join(dir, 'acme.json')])
    expect(back.code, back.stderr).toBe(0)
    const shown = await run(['kits', 'show', 'acme', '--json'])
    const kit = JSON.parse(shown.stdout.split('\n')[0]!) as { references: Array<{ sha256: string; role: string }>; snippets: string[] }
    expect(kit.references).toMatchObject([{ sha256: sha(logo), role: 'logo' }])
    expect(kit.snippets).toEqual(['Brand red is #cc2222.'])
  })
})
