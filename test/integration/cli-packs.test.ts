import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type Sandbox } from '../../electron/core/sandbox/server'
import { runCli, type CliResult } from '../support/cli-process'
import { realPhotos } from '../support/corpus'

/** `pixdesk pack` and `pixdesk packs` as a child process, in a temporary PIXDESK_HOME, against a sandbox. */

let dir: string
let home: string
let sandbox: Sandbox
let photo: string

const run = (args: string[]): Promise<CliResult> => runCli(args, { home, cwd: dir, baseUrl: sandbox.url })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-packs-'))
  home = join(dir, 'home')
  await mkdir(join(dir, 'in'), { recursive: true })
  // A real photo, brought to a web size so the run stays quick.
  photo = join(dir, 'in', 'shoe.jpg')
  await sharp(realPhotos()[1]!).resize(1600).jpeg({ quality: 90 }).toFile(photo)
  sandbox = await startSandbox()
}, 180_000)

afterAll(async () => {
  await sandbox?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('pixdesk pack', () => {
  it('lists and shows the built-in packs', async () => {
    const list = await run(['packs', 'list', '--json'])
    expect(list.code).toBe(0)
    expect(list.events.filter((e) => e.type === 'pack').map((e) => e.id)).toEqual(['marketplace', 'social', 'web', 'print'])
    const show = await run(['packs', 'show', 'web'])
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/Link preview\s+1200×628\s+jpeg\s+85\s+300 KB/)
  }, 60_000)

  it('an unknown pack: exit 2, the packs listed, nothing sent', async () => {
    const before = sandbox.stats().submissions.length
    const r = await run(['pack', photo, '--pack', 'instagram', '--model', 'gemini-3-pro-image'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--pack: There is no pack "instagram". The packs are: marketplace \(Marketplace\), social \(Social\), web \(Web\), print \(Print\)\./)
    expect(sandbox.stats().submissions.length).toBe(before)
  }, 60_000)

  it('a target larger than the model makes: explained, upscaling offered, nothing sent', async () => {
    const before = sandbox.stats().submissions.length
    const r = await run(['pack', photo, '--pack', 'marketplace', '--model', 'gpt-image-1.5'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/Main image is 2000×2000; the largest gpt-image-1\.5 makes at this aspect ratio is 1024×1024/)
    expect(r.stderr).toMatch(/add --allow-upscale to enlarge them with sharp/)
    expect(sandbox.stats().submissions.length).toBe(before)
  }, 60_000)

  it('--dry-run shows each target with model size, finishing and price, and sends nothing', async () => {
    const before = sandbox.stats().submissions.length
    const r = await run(['pack', photo, '--pack', 'social', '--model', 'gemini-3.1-flash-image', '--dry-run'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Story\s+1080×1920\s+2K 9:16 \(1536×2752\)\s+scale 1536×2752 to cover 1080×1920, crop the overflow, JPEG q90, ≤ 8 MB\s+6/)
    expect(r.stdout).toMatch(/Social with gemini-3\.1-flash-image \(pixapi\): 3 targets × 1 image; 18 credits per image, 18 credits in all\./)
    expect(r.stdout).toMatch(/Dry run: nothing was sent\./)
    expect(sandbox.stats().submissions.length).toBe(before)
  }, 60_000)

  it('runs a pack against the sandbox: every target at its exact size, checks reported', async () => {
    const out = join(dir, 'out-social')
    const r = await run(['pack', join(dir, 'in'), '--pack', 'social', '--model', 'gemini-3.1-flash-image', '--out', out, '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const outputs = r.events.filter((e) => e.type === 'output')
    expect(outputs).toHaveLength(3)
    const sizes = await Promise.all((await readdir(out)).filter((f) => f.endsWith('.jpg')).map(async (f) => sharp(await readFile(join(out, f))).metadata()))
    expect(sizes.map((m) => `${m.width}x${m.height}`).sort()).toEqual(['1080x1080', '1080x1350', '1080x1920'])
    for (const o of outputs) expect((o.checks as Array<{ passed: boolean }>).every((c) => c.passed)).toBe(true)
  }, 180_000)

  it('an output that misses its rule is marked, explained, and the exit code says so', async () => {
    const r = await run(['pack', photo, '--pack', 'marketplace', '--model', 'gemini-3-pro-image', '--out', join(dir, 'out-market')])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/FAIL Main image: .*shoe_gemini-3-pro-image_1_main-image\.jpg/)
    expect(r.stdout).toMatch(/of the border is pure white \(255,255,255\); at least 90% is needed/)
  }, 180_000)

  it('imports, exports and runs a pack from a JSON file', async () => {
    const file = join(dir, 'banner.json')
    await writeFile(file, JSON.stringify({ name: 'Banner', targets: [{ name: 'Wide', width: 1500, height: 500, format: 'png', method: 'pad' }] }))
    const dry = await run(['pack', photo, '--pack', file, '--model', 'gemini-3-pro-image', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/Wide\s+1500×500\s+1K 21:9 \(1584×672\)\s+fit 1584×672 inside 1500×500, pad the sides, PNG/)
    const imported = await run(['packs', 'import', file, '--json'])
    expect(imported.code).toBe(0)
    expect(imported.events.find((e) => e.type === 'pack')?.id).toBe('banner')
    const exported = join(dir, 'export.json')
    expect((await run(['packs', 'export', exported])).code).toBe(0)
    expect(JSON.parse(await readFile(exported, 'utf8'))).toMatchObject({ format: 'pixdesk-packs', version: 1, packs: [{ id: 'banner', name: 'Banner' }] })
    const bad = join(dir, 'bad.json')
    await writeFile(bad, JSON.stringify({ name: 'Bad', targets: [{ name: 'X', width: 10 }] }))
    const refused = await run(['packs', 'import', bad])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/"Bad": targets\.0\.width/)
  }, 120_000)
})
