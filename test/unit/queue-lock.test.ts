import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireQueueLock, processIdentity, QueueLockedError } from '../../electron/core/jobs/queue-lock'

const ROOT = resolve(import.meta.dirname, '../..')
const HOLDER = join(ROOT, 'test/support/lock-holder.ts')
let dataDir: string
const jobs = () => join(dataDir, 'jobs')
const children: ChildProcess[] = []

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-lock-'))
  await mkdir(jobs(), { recursive: true })
})
afterEach(async () => {
  for (const child of children.splice(0)) await kill(child)
  await rm(dataDir, { recursive: true, force: true })
})

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

/** Another process that takes the lock and holds it until killed. */
async function holderProcess(name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER], {
    cwd: ROOT,
    env: { ...process.env, LOCK_DATA_DIR: dataDir, LOCK_NAME: name },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  children.push(child)
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('HELD') && resolve())
    child.once('exit', (code) => reject(new Error(`the holder exited with ${code} before taking the lock`)))
  })
  return child
}

function sleeper(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
  children.push(child)
  return child
}

const generations = async () => (await readdir(jobs())).filter((n) => /^queue\.lock\.\d+$/.test(n)).sort()

describe('queue lock', () => {
  it('refuses a second owner while the first is alive, naming it; takes over once it is gone', async () => {
    const holder = await holderProcess('the Pixdesk app')
    const refused = await acquireQueueLock(dataDir, 'pixdesk batch').then(
      () => null,
      (err: unknown) => err
    )
    expect(refused).toBeInstanceOf(QueueLockedError)
    expect((refused as QueueLockedError).owner).toMatchObject({ pid: holder.pid, name: 'the Pixdesk app' })
    expect((refused as Error).message).toContain(`in use by another Pixdesk process (the Pixdesk app, pid ${holder.pid}, since `)

    await kill(holder)
    const release = await acquireQueueLock(dataDir, 'pixdesk batch')
    // The dead holder's generation is swept; ours is the only one, complete from the start.
    const [mine] = await generations()
    expect(await generations()).toHaveLength(1)
    expect(JSON.parse(await readFile(join(jobs(), mine!), 'utf8'))).toMatchObject({ pid: process.pid, name: 'pixdesk batch' })
    await release()
    expect(JSON.parse(await readFile(join(jobs(), mine!), 'utf8'))).toMatchObject({ pid: process.pid, released: true })
    // Released: the next owner goes one generation up and the old one is swept.
    const again = await acquireQueueLock(dataDir)
    expect(await generations()).toEqual([`queue.lock.${Number(mine!.split('.').pop()) + 1}`])
    await again()
    expect((await readdir(jobs())).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('a holder whose pid now belongs to another process is gone', async () => {
    const other = sleeper()
    await new Promise((r) => setTimeout(r, 50))
    const identity = await processIdentity(other.pid!)
    // Only where the OS tells start times can a reused pid be told apart.
    if (identity === undefined) return
    const record = { pid: other.pid, started: `${identity}-earlier-run`, name: 'the Pixdesk app', since: '2026-03-01T10:00:00.000Z', token: 'aa' }
    await writeFile(join(jobs(), 'queue.lock.7'), JSON.stringify(record))
    const release = await acquireQueueLock(dataDir)
    expect(await generations()).toEqual(['queue.lock.8'])
    await release()
    // The same record naming the process as it really is: refused.
    await writeFile(join(jobs(), 'queue.lock.9'), JSON.stringify({ ...record, started: identity }))
    await expect(acquireQueueLock(dataDir)).rejects.toThrow(`(the Pixdesk app, pid ${other.pid}, since 2026-03-01T10:00:00.000Z)`)
  })

  it('release never touches a lock that is no longer its own', async () => {
    const release = await acquireQueueLock(dataDir)
    const [mine] = await generations()
    const someoneElse = JSON.stringify({ pid: 1, token: 'bb', since: 'now' })
    await writeFile(join(jobs(), mine!), someoneElse)
    await release()
    expect(await readFile(join(jobs(), mine!), 'utf8')).toBe(someoneElse)
  })

  it('an unreadable generation file is stepped over, never taken for a holder', async () => {
    await writeFile(join(jobs(), 'queue.lock.3'), '')
    const release = await acquireQueueLock(dataDir)
    expect(await generations()).toEqual(['queue.lock.4'])
    await release()
  })

  it('respects an older version holding the queue the old way, and clears its files once it is gone', async () => {
    const child = sleeper()
    await writeFile(join(jobs(), 'queue.lock'), String(child.pid))
    await writeFile(join(jobs(), 'queue.lock.json'), JSON.stringify({ pid: child.pid, name: 'the Pixdesk app', since: '2026-03-01T10:00:00.000Z' }))
    const refused = await acquireQueueLock(dataDir, 'pixdesk batch').then(
      () => null,
      (err: unknown) => err
    )
    expect((refused as QueueLockedError).owner).toEqual({ pid: child.pid, name: 'the Pixdesk app', since: '2026-03-01T10:00:00.000Z' })
    // A note from an earlier holder describes someone else: only the pid is trusted then.
    await writeFile(join(jobs(), 'queue.lock.json'), JSON.stringify({ pid: child.pid! + 1, name: 'the Pixdesk app' }))
    await expect(acquireQueueLock(dataDir)).rejects.toThrow(`(pid ${child.pid})`)
    await kill(child)
    const release = await acquireQueueLock(dataDir)
    expect(await readdir(jobs())).not.toContain('queue.lock')
    expect(await readdir(jobs())).not.toContain('queue.lock.json')
    await release()
  })
})
