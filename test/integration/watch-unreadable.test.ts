import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { chmod, chown, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadQueue } from '../../electron/core/jobs/store'
import { makeImages } from '../support/jobs-fixtures'
import { UNPRIVILEGED_ID } from '../support/library-fixtures'

/**
 * `pixdesk watch` on a folder it may not read. File modes do not hold root back, so under root (CI
 * containers) the command runs as the unprivileged user, in folders that user owns; everyone else runs
 * it as themselves. The folder's mode is the only thing that changes.
 */

const root = resolve(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'pixdesk.cjs')
const asRoot = process.getuid?.() === 0

let dir: string
let home: string
let sources: string[]

/** Gives the folder (and what is in it) to the user the command runs as. */
async function own(path: string): Promise<void> {
  if (asRoot) await chown(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
}

function watchAs(folder: string): { child: ChildProcessWithoutNullStreams; events: () => Array<{ type: string; state?: string; message?: string; outcome?: string; path?: string }>; stderr: () => string; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = { ...process.env, PIXDESK_HOME: home, HOME: home }
  for (const name of ['PIXAPI_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'PIXAPI_BASE_URL']) delete env[name]
  const child = spawn(process.execPath, [bin, '--sandbox', 'watch', folder, '--prompt', 'white background', '--model', 'nano-banana', '--include-existing', '--settle', '300ms', '--json'], {
    cwd: dir,
    env,
    ...(asRoot ? { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID } : {})
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
  const events = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; state?: string; message?: string; outcome?: string; path?: string })
  return { child, events, stderr: () => stderr, exited }
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function sentSources(): Promise<string[]> {
  const { batches } = await loadQueue(home)
  return batches.flatMap((b) => b.items.map((i) => i.snapshot.inputs[0]!.path))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-watch-unreadable-'))
  // The temporary folder is the user's own; under root it is opened to the unprivileged user.
  await chmod(dir, 0o755)
  home = join(dir, 'home')
  await mkdir(home)
  await own(home)
  sources = await makeImages(join(dir, 'src'), 2)
  for (const s of sources) await chmod(s, 0o644)
  if (asRoot) {
    const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(bin)}, require('fs').constants.R_OK)`], { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID })
    if (probe.status !== 0) throw new Error(`uid ${UNPRIVILEGED_ID} cannot read ${bin}: the checkout must be readable by that user for this test (it runs pixdesk as that user, since root reads any folder).`)
  }
}, 60_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('a watch folder that cannot be read', () => {
  it('says so, naming the folder and what to do, sends nothing, and carries on once the folder can be read again', async () => {
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    await own(inbox)
    await copyFile(sources[0]!, join(inbox, 'first.png'))
    await own(join(inbox, 'first.png'))
    await chmod(inbox, 0o000)

    const run = watchAs(inbox)
    try {
      await until(() => run.events().some((e) => e.type === 'watch.state' && e.state === 'folder_unreadable'), 'the unreadable state')
      const said = run.events().find((e) => e.state === 'folder_unreadable')!
      expect(said.message).toContain(`The folder ${inbox} cannot be read (permission denied), so nothing in it is sent.`)
      expect(said.message).toMatch(/Give the user running Pixdesk permission to read and open it .*starts again by itself once the folder can be read/)
      expect(run.stderr()).toContain(`pixdesk: The folder ${inbox} cannot be read`)
      await new Promise((r) => setTimeout(r, 1500))
      expect(await sentSources()).toEqual([])

      // Readable again: the rule starts by itself and sends what is there, once.
      await chmod(inbox, 0o755)
      await until(() => run.events().some((e) => e.type === 'watch.item' && e.state === 'done'), 'the file sent after recovery', 60_000)
      expect(run.events().filter((e) => e.type === 'watch.state').map((e) => e.state)).toEqual(['folder_unreadable', 'watching'])

      // Unreadable while watching: said again, and a file added meanwhile waits for the folder to be readable.
      await chmod(inbox, 0o000)
      await until(() => run.events().filter((e) => e.state === 'folder_unreadable').length >= 2, 'unreadable while watching')
      await copyFile(sources[1]!, join(inbox, 'second.png'))
      await own(join(inbox, 'second.png'))
      await new Promise((r) => setTimeout(r, 1500))
      expect(await sentSources()).toEqual([join(inbox, 'first.png')])
      await chmod(inbox, 0o755)
      await until(() => run.events().filter((e) => e.type === 'watch.item' && e.state === 'done').length >= 2, 'the file added while unreadable', 60_000)
      expect((await sentSources()).sort()).toEqual([join(inbox, 'first.png'), join(inbox, 'second.png')])
    } finally {
      await chmod(inbox, 0o755).catch(() => undefined)
      run.child.kill('SIGTERM')
      expect(await run.exited, run.stderr()).toBe(0)
    }
  }, 180_000)
})
