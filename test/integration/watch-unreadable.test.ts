import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadQueue } from '../../electron/core/jobs/store'
import { startCli, type CliProcess } from '../support/cli-process'
import { makeImages } from '../support/jobs-fixtures'

/**
 * `pixdesk watch` on a folder it may not read. File modes do not hold root back, so under root (CI
 * containers) the command runs without root's file-permission override; everyone else runs it as
 * themselves. The folder's mode is the only thing that changes.
 */

const asRoot = process.getuid?.() === 0

let dir: string
let home: string
let sources: string[]

function watchAs(folder: string): CliProcess {
  return startCli(['--sandbox', 'watch', folder, '--prompt', 'white background', '--model', 'nano-banana', '--include-existing', '--settle', '300ms', '--json'], {
    home,
    cwd: dir,
    // HOME too: the command must not reach into the runner's own home folder.
    env: { HOME: home },
    withoutFileOverride: asRoot
  })
}

type WatchEvent = { type: string; state?: string; message?: string; outcome?: string; path?: string }
const eventsOf = (watching: CliProcess) => watching.events() as WatchEvent[]
/** How long a state change may take to show before the test gives up on it. */
const STATE_TIMEOUT_MS = 30_000

async function sentSources(): Promise<string[]> {
  const { batches } = await loadQueue(home)
  return batches.flatMap((b) => b.items.map((i) => i.snapshot.inputs[0]!.path))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-watch-unreadable-'))
  home = join(dir, 'home')
  await mkdir(home)
  sources = await makeImages(join(dir, 'src'), 2)
}, 60_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('a watch folder that cannot be read', () => {
  it('says so, naming the folder and what to do, sends nothing, and carries on once the folder can be read again', async () => {
    const inbox = join(dir, 'inbox')
    await mkdir(inbox)
    await copyFile(sources[0]!, join(inbox, 'first.png'))
    await chmod(inbox, 0o000)

    const run = watchAs(inbox)
    try {
      await run.until(() => eventsOf(run).some((e) => e.type === 'watch.state' && e.state === 'folder_unreadable'), 'the unreadable state', STATE_TIMEOUT_MS)
      const said = eventsOf(run).find((e) => e.state === 'folder_unreadable')!
      expect(said.message).toContain(`The folder ${inbox} cannot be read (permission denied), so nothing in it is sent.`)
      expect(said.message).toMatch(/Give the user running Pixdesk permission to read and open it .*starts again by itself once the folder can be read/)
      // Said on stderr too, which is another pipe: it may arrive a moment after the event.
      await expect.poll(() => run.stderr(), { timeout: 5_000 }).toContain(`pixdesk: The folder ${inbox} cannot be read`)
      await new Promise((r) => setTimeout(r, 1500))
      expect(await sentSources()).toEqual([])

      // Readable again: the rule starts by itself and sends what is there, once.
      await chmod(inbox, 0o755)
      await run.until(() => eventsOf(run).some((e) => e.type === 'watch.item' && e.state === 'done'), 'the file sent after recovery', 60_000)
      expect(eventsOf(run).filter((e) => e.type === 'watch.state').map((e) => e.state)).toEqual(['folder_unreadable', 'watching'])

      // Unreadable while watching (it can still be written to, not listed): said again, and a file added
      // meanwhile waits for the folder to be readable.
      await chmod(inbox, 0o300)
      await run.until(() => eventsOf(run).filter((e) => e.state === 'folder_unreadable').length >= 2, 'unreadable while watching', STATE_TIMEOUT_MS)
      await copyFile(sources[1]!, join(inbox, 'second.png'))
      await new Promise((r) => setTimeout(r, 1500))
      expect(await sentSources()).toEqual([join(inbox, 'first.png')])
      await chmod(inbox, 0o755)
      await run.until(() => eventsOf(run).filter((e) => e.type === 'watch.item' && e.state === 'done').length >= 2, 'the file added while unreadable', 60_000)
      expect((await sentSources()).sort()).toEqual([join(inbox, 'first.png'), join(inbox, 'second.png')])
    } finally {
      await chmod(inbox, 0o755).catch(() => undefined)
      expect((await run.stop('SIGTERM')).code, run.stderr()).toBe(0)
    }
  }, 180_000)
})
