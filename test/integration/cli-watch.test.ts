import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadQueue } from '../../electron/core/jobs/store'
import { makeImages } from '../support/jobs-fixtures'

/** `pixdesk watch` in the foreground, as a server or a script runs it (the built CLI, against its own sandbox). */

const root = resolve(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'pixdesk.cjs')

let dir: string
let home: string
let sources: string[]

function envFor(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PIXDESK_HOME: home }
  for (const name of ['PIXAPI_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'PIXAPI_BASE_URL']) delete env[name]
  return env
}

interface Watching {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

function start(args: string[]): Watching {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: envFor() })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; state?: string; source?: string; outcome?: string; queued?: number; done?: number })

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
    await until(() => lines(first.stdout()).some((l) => l.type === 'watch.state' && l.state === 'watching'), 'watching')
    await copyFile(sources[0]!, join(inbox, 'a.png'))
    await copyFile(sources[1]!, join(inbox, 'b.png'))
    await until(() => lines(first.stdout()).filter((l) => l.type === 'watch.item' && l.state === 'done').length >= 2, 'two results')
    // Renamed, and copied under another name: already processed.
    await rename(join(inbox, 'a.png'), join(inbox, 'a-renamed.png'))
    await copyFile(sources[1]!, join(inbox, 'b-again.png'))
    await until(() => lines(first.stdout()).filter((l) => l.type === 'watch.file' && l.outcome === 'skipped_duplicate').length >= 2, 'the duplicates passed over')
    first.child.kill('SIGTERM')
    expect(await first.exited, first.stderr()).toBe(0)
    const summary = lines(first.stdout()).find((l) => l.type === 'summary')
    expect(summary).toMatchObject({ queued: 2, done: 2 })
    expect((await sentItems()).sort()).toEqual([join(inbox, 'a.png'), join(inbox, 'b.png')])

    // Added while nothing watched: found by the next run of the same command, which sends nothing twice.
    await copyFile(sources[2]!, join(inbox, 'c.png'))
    const second = start(args)
    await until(() => lines(second.stdout()).some((l) => l.type === 'watch.item' && l.state === 'done'), 'the file added meanwhile')
    await pause(1500)
    second.child.kill('SIGINT')
    expect(await second.exited, second.stderr()).toBe(0)
    expect((await sentItems()).sort()).toEqual([join(inbox, 'a.png'), join(inbox, 'b.png'), join(inbox, 'c.png')])
  }, 120_000)

  it('refuses a daily budget of 0 and a missing folder before anything is sent (exit 2)', async () => {
    const zero = start(['--sandbox', 'watch', join(dir, 'images'), '--prompt', 'x', '--model', 'nano-banana', '--daily-budget', '0'])
    expect(await zero.exited).toBe(2)
    expect(zero.stderr()).toMatch(/budget of 0 credits sends nothing/)
    const missing = start(['--sandbox', 'watch', join(dir, 'nowhere'), '--prompt', 'x', '--model', 'nano-banana'])
    expect(await missing.exited).toBe(2)
    expect(missing.stderr()).toMatch(/does not exist/)
  }, 60_000)

  it('takes the queue like any request command: refused while another process holds it (exit 75)', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      await mkdir(join(home, 'jobs'), { recursive: true })
      await writeFile(join(home, 'jobs', 'queue.lock'), String(holder.pid))
      await writeFile(join(home, 'jobs', 'queue.lock.json'), JSON.stringify({ pid: holder.pid, name: 'the Pixdesk app', since: new Date().toISOString() }))
      const busy = start(['--sandbox', 'watch', join(dir, 'images'), '--prompt', 'x', '--model', 'nano-banana'])
      expect(await busy.exited).toBe(75)
      expect(busy.stderr()).toContain('the Pixdesk app')
    } finally {
      holder.kill('SIGKILL')
      await rm(join(home, 'jobs', 'queue.lock'), { force: true })
      await rm(join(home, 'jobs', 'queue.lock.json'), { force: true })
    }
  }, 60_000)
})
