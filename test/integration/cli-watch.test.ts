import { spawn } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { loadQueue } from '../../electron/core/jobs/store'
import { builtInPacks } from '../../shared/packs'
import { runCli, startCli, type CliProcess, type CliResult } from '../support/cli-process'
import { realPhotos } from '../support/corpus'
import { makeImages } from '../support/jobs-fixtures'

/** `pixdesk watch` in the foreground, as a server or a script runs it (the built CLI, against its own sandbox). */

let dir: string
let home: string
let sources: string[]

const start = (args: string[]): CliProcess => startCli(args, { home, cwd: dir })
const run = (args: string[]): Promise<CliResult> => runCli(args, { home, cwd: dir })

const lines = (watching: CliProcess) =>
  watching.events() as Array<{ type: string; state?: string; source?: string; outcome?: string; queued?: number; done?: number; outputs?: string[] }>

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function sentItems(): Promise<string[]> {
  const { batches } = await loadQueue(home)
  return batches.flatMap((b) => b.items.filter((i) => i.state !== 'skipped').map((i) => i.snapshot.inputs[0]!.path))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-watch-'))
  home = join(dir, 'home')
  sources = await makeImages(join(dir, 'images'), 4)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('pixdesk watch', () => {
  it('sends each new image once, prints what it sends, stops cleanly on SIGTERM, and a second run sends only what is new', async () => {
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    const args = ['--sandbox', 'watch', inbox, '--prompt', 'white background', '--model', 'nano-banana', '--settle', '400ms', '--json']
    const first = start(args)
    await first.until(() => lines(first).some((l) => l.type === 'watch.state' && l.state === 'watching'), 'watching')
    await copyFile(sources[0]!, join(inbox, 'a.png'))
    await copyFile(sources[1]!, join(inbox, 'b.png'))
    await first.until(() => lines(first).filter((l) => l.type === 'watch.item' && l.state === 'done').length >= 2, 'two results')
    // Renamed, and copied under another name: already processed.
    await rename(join(inbox, 'a.png'), join(inbox, 'a-renamed.png'))
    await copyFile(sources[1]!, join(inbox, 'b-again.png'))
    await first.until(() => lines(first).filter((l) => l.type === 'watch.file' && l.outcome === 'skipped_duplicate').length >= 2, 'the duplicates passed over')
    expect((await first.stop('SIGTERM')).code, first.stderr()).toBe(0)
    const summary = lines(first).find((l) => l.type === 'summary')
    expect(summary).toMatchObject({ queued: 2, done: 2 })
    expect((await sentItems()).sort()).toEqual([join(inbox, 'a.png'), join(inbox, 'b.png')])

    // Added while nothing watched: found by the next run of the same command, which sends nothing twice.
    await copyFile(sources[2]!, join(inbox, 'c.png'))
    const second = start(args)
    await second.until(() => lines(second).some((l) => l.type === 'watch.item' && l.state === 'done'), 'the file added meanwhile')
    await pause(1500)
    expect((await second.stop('SIGINT')).code, second.stderr()).toBe(0)
    expect((await sentItems()).sort()).toEqual([join(inbox, 'a.png'), join(inbox, 'b.png'), join(inbox, 'c.png')])
  }, 120_000)

  it('--pack: each new photo made once into every target of the pack at its exact size; a second run sends nothing again', async () => {
    const inbox = join(dir, 'pack-inbox')
    const out = join(dir, 'pack-out')
    await mkdir(inbox)
    const social = builtInPacks.find((p) => p.id === 'social')!
    const args = ['--sandbox', 'watch', inbox, '--pack', 'social', '--model', 'gemini-3-pro-image', '--out', out, '--settle', '400ms', '--json']
    const first = start(args)
    await first.until(() => lines(first).some((l) => l.type === 'watch.state' && l.state === 'watching'), 'watching')
    // The plan is printed before anything is watched: one row per target.
    expect(lines(first).find((l) => l.type === 'plan')).toMatchObject({ packId: 'social', targets: expect.arrayContaining([expect.objectContaining({ target: 'Story', width: 1080, height: 1920 })]) })
    const [photo] = realPhotos()
    await copyFile(photo!, join(inbox, 'photo.jpg'))
    await first.until(() => lines(first).filter((l) => l.type === 'watch.item' && l.state === 'done').length >= 3, 'the three targets', 120_000)
    await pause(1000)
    expect((await first.stop('SIGTERM')).code, first.stderr()).toBe(0)
    const done = lines(first).filter((l) => l.type === 'watch.item' && l.state === 'done')
    expect(done).toHaveLength(3)
    const sizes = await Promise.all(done.map(async (l) => sharp(l.outputs![0]!).metadata()))
    expect(sizes.map((m) => `${m.width}×${m.height}`).sort()).toEqual(social.targets.map((t) => `${t.width}×${t.height}`).sort())

    const again = start(args)
    await again.until(() => lines(again).some((l) => l.type === 'watch.state' && l.state === 'watching'), 'watching again')
    await copyFile(photo!, join(inbox, 'same-photo.jpg'))
    await again.until(() => lines(again).some((l) => l.type === 'watch.file' && l.outcome === 'skipped_duplicate'), 'the copy passed over')
    expect((await again.stop('SIGTERM')).code, again.stderr()).toBe(0)
    expect((await sentItems()).filter((p) => p.startsWith(inbox))).toEqual([join(inbox, 'photo.jpg'), join(inbox, 'photo.jpg'), join(inbox, 'photo.jpg')])
  }, 180_000)

  it('--pack: an unknown pack, or a pack with a prompt, is refused before anything is sent (exit 2)', async () => {
    const unknown = await run(['--sandbox', 'watch', join(dir, 'images'), '--pack', 'no-such-pack', '--model', 'gemini-3-pro-image'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/--pack: There is no pack "no-such-pack"\. The packs are: .*social \(Social\).*Nothing was sent/)
    const both = await run(['--sandbox', 'watch', join(dir, 'images'), '--pack', 'social', '--prompt', 'x', '--model', 'gemini-3-pro-image'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--prompt and --pack: a rule runs either a pack or an edit/)
    const upscale = await run(['--sandbox', 'watch', join(dir, 'images'), '--pack', 'marketplace', '--model', 'gpt-image-1.5'])
    expect(upscale.code).toBe(2)
    expect(upscale.stderr).toMatch(/larger than .* makes; add --allow-upscale/)
  }, 60_000)

  it('refuses a daily budget of 0 and a missing folder before anything is sent (exit 2)', async () => {
    const zero = await run(['--sandbox', 'watch', join(dir, 'images'), '--prompt', 'x', '--model', 'nano-banana', '--daily-budget', '0'])
    expect(zero.code).toBe(2)
    expect(zero.stderr).toMatch(/budget of 0 credits sends nothing/)
    const missing = await run(['--sandbox', 'watch', join(dir, 'nowhere'), '--prompt', 'x', '--model', 'nano-banana'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/does not exist/)
  }, 60_000)

  it('takes the queue like any request command: refused while another process holds it (exit 75)', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      await mkdir(join(home, 'jobs'), { recursive: true })
      await writeFile(join(home, 'jobs', 'queue.lock'), String(holder.pid))
      await writeFile(join(home, 'jobs', 'queue.lock.json'), JSON.stringify({ pid: holder.pid, name: 'the Pixdesk app', since: new Date().toISOString() }))
      const busy = await run(['--sandbox', 'watch', join(dir, 'images'), '--prompt', 'x', '--model', 'nano-banana'])
      expect(busy.code).toBe(75)
      expect(busy.stderr).toContain('the Pixdesk app')
    } finally {
      holder.kill('SIGKILL')
      await rm(join(home, 'jobs', 'queue.lock'), { force: true })
      await rm(join(home, 'jobs', 'queue.lock.json'), { force: true })
    }
  }, 60_000)
})
