import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundledCatalog } from '../../electron/core/catalog'
import { openHistory } from '../../electron/core/history/history'
import { openJobEngine } from '../../electron/core/jobs/pipeline'
import { loadQueue } from '../../electron/core/jobs/store'
import { defaultSettings } from '../../shared/settings'
import { runCli, type CliResult } from '../support/cli-process'
import { makeImages } from '../support/jobs-fixtures'

/**
 * The command line shares the job queue with the desktop app: it runs only the batches it starts, and
 * says plainly who holds the queue when it cannot have it.
 */

let dir: string
let home: string
let image: string

const run = (args: string[]): Promise<CliResult> => runCli(args, { home, cwd: dir })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-queue-'))
  home = join(dir, 'home')
  image = (await makeImages(join(dir, 'images'), 1))[0]!
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('pixdesk and the shared job queue', () => {
  it('runs its own batch and leaves the queued batches of others untouched', async () => {
    // The app's batch: queued, not paused, waiting for the app to run it.
    const history = openHistory(home)
    const { engine } = await openJobEngine({
      dataDir: home,
      catalog: bundledCatalog(),
      history,
      getKey: async () => null,
      settings: () => defaultSettings,
      runOnly: () => false
    })
    const files = await makeImages(join(dir, 'app-shoot'), 2)
    const theirs = await engine.createBatch({
      files: files.map((path) => ({ path })),
      prompt: 'App batch',
      models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }],
      sandbox: true,
      duplicates: 'run'
    })
    await engine.close()
    await history.close()

    const r = await run(['--sandbox', 'edit', image, '--prompt', 'white background', '--model', 'nano-banana', '--json'])
    expect(r.code, r.stderr).toBe(0)

    const { batches } = await loadQueue(home)
    const after = batches.find((b) => b.id === theirs.id)!
    expect(after.paused).toBe(false)
    expect(after.items.map((i) => i.state)).toEqual(['queued', 'queued'])
    expect(after.items.every((i) => i.attempts === 0 && i.requestIds.length === 0)).toBe(true)
    const mine = batches.filter((b) => b.id !== theirs.id)
    expect(mine).toHaveLength(1)
    expect(mine[0]!.items.map((i) => i.state)).toEqual(['done'])
  })

  it('while the app holds the queue: a request command says who and what to do (exit 75, nothing sent); look-ups still work', async () => {
    const holder: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      await mkdir(join(home, 'jobs'), { recursive: true })
      await writeFile(join(home, 'jobs', 'queue.lock'), String(holder.pid))
      await writeFile(join(home, 'jobs', 'queue.lock.json'), JSON.stringify({ pid: holder.pid, name: 'the Pixdesk app', since: new Date().toISOString() }))
      const before = (await loadQueue(home)).batches.length

      const edit = await run(['--sandbox', 'edit', image, '--prompt', 'x', '--model', 'nano-banana', '--json'])
      expect(edit.code).toBe(75)
      expect(edit.stderr).toContain(`the Pixdesk app (pid ${holder.pid}`)
      expect(edit.stderr).toMatch(/Nothing was sent\. Quit the app/)
      const error = edit.events.find((l) => l.type === 'error')
      expect(error).toMatchObject({ exitCode: 75 })
      expect((await loadQueue(home)).batches.length).toBe(before)

      for (const args of [['history', '--json'], ['models', '--json'], ['templates', '--json'], ['scan', image, '--json'], ['batch', 'list', '--json'], ['key', 'status', '--json']]) {
        const r = await run(args)
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(75)
        expect(r.stderr, args.join(' ')).not.toMatch(/in use by/)
      }
    } finally {
      holder.kill('SIGKILL')
      await new Promise((r) => holder.once('exit', r))
    }
  })
})
