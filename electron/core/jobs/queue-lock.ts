import { randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { link, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { z } from 'zod'
import { AppError } from '../../../shared/errors'
import { readJsonFile } from '../atomic'

/**
 * One engine per data folder: two processes running the same queue would send every request twice.
 *
 * The lock is a numbered generation file, `jobs/queue.lock.<n>`, and the holder is the owner of the
 * highest one. A file appears under its name only complete (written under a temporary
 * name, then hard-linked, which fails if the name exists), so nobody ever reads an empty or half-written
 * owner. Taking over from a holder that is gone means creating the NEXT generation, never deleting the
 * current one: of several processes that find the holder gone at once, exactly one creates n+1, and the
 * others see it. The highest generation is never removed (release marks it released in place), so the
 * numbers only grow and a process that decided on a stale view can only create a number below the top,
 * which it then sees and abandons. A holder is gone only when it released, or its pid is not running or
 * runs as another process (start time differs); lower generations, all gone, are swept by the new holder.
 */
const GENERATION = /^queue\.lock\.(\d+)$/
/** Written by versions before generation files: a bare pid, with a JSON note beside it. */
const LEGACY_LOCK = 'queue.lock'
const LEGACY_NOTE = 'queue.lock.json'
/** Each attempt either wins, is refused, or saw another process move; this many means something is wrong. */
const MAX_ATTEMPTS = 200

/** Who holds the queue, as far as this process can tell. */
export interface QueueOwner {
  pid: number
  /** What the holder said it is ("the Pixdesk app", "pixdesk batch"); absent for older versions. */
  name?: string
  since?: string
}

/** The queue is held by another live process: nothing may run here until it lets go. */
export class QueueLockedError extends AppError {
  constructor(
    readonly owner: QueueOwner,
    readonly lockPath: string
  ) {
    const who = owner.name ? `${owner.name}, pid ${owner.pid}${owner.since ? `, since ${owner.since}` : ''}` : `pid ${owner.pid}`
    super({
      code: 'internal',
      path: lockPath,
      message: `The job queue is in use by another Pixdesk process (${who}). Close the other window or command first.`
    })
    this.name = 'QueueLockedError'
  }
}

const ownerRecordSchema = z.object({
  pid: z.number().int().positive(),
  /** The process's start identity where the OS tells it, so a reused pid is not taken for the holder. */
  started: z.string().max(200).optional(),
  name: z.string().max(200).optional(),
  since: z.string().max(100).optional(),
  token: z.string().max(100),
  released: z.literal(true).optional()
})
type OwnerRecord = z.infer<typeof ownerRecordSchema>

const legacyNoteSchema = z.object({ pid: z.number().int().positive(), name: z.string().max(200).optional(), since: z.string().optional() })

export async function acquireQueueLock(dataDir: string, ownerName?: string): Promise<() => Promise<void>> {
  const dir = join(dataDir, 'jobs')
  await mkdir(dir, { recursive: true })
  await refuseLegacyHolder(dir)
  const me: OwnerRecord = {
    pid: process.pid,
    started: await ownIdentity(),
    name: ownerName,
    since: new Date().toISOString(),
    token: randomBytes(12).toString('hex')
  }
  const staged = join(dir, stagedName(me))
  await writeStaged(staged, JSON.stringify(me))
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const generations = await listGenerations(dir)
      const top = generations.at(-1) ?? 0
      if (top > 0) {
        const holder = await readOwner(join(dir, generationName(top)))
        // Released or swept between listing and reading: look again.
        if (holder === 'missing') continue
        if (holder !== 'unreadable' && (await ownerAlive(holder)))
          throw new QueueLockedError({ pid: holder.pid, name: holder.name, since: holder.since }, join(dir, generationName(top)))
        // An unreadable generation file was never a complete lock (files appear only whole):
        // step over it like a dead holder's.
      }
      const mine = top + 1
      const minePath = join(dir, generationName(mine))
      try {
        await link(staged, minePath)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
        throw err
      }
      // A process that listed after us may have seen a newer top and gone past ours: it then holds,
      // not us. Only one of two such generations can survive this check, because the higher one was
      // created knowing the lower one's owner.
      const after = await listGenerations(dir)
      if (after.some((g) => g > mine)) {
        await rm(minePath, { force: true })
        continue
      }
      for (const g of after) if (g < mine) await rm(join(dir, generationName(g)), { force: true })
      await sweepStaged(dir)
      return () => releaseOwn(minePath, me)
    }
  } finally {
    await rm(staged, { force: true })
  }
  throw new AppError({
    code: 'internal',
    path: dir,
    message: `Could not lock the job queue in ${dir}: other processes kept taking it. Close other Pixdesk windows and commands, then try again.`
  })
}

/** The live process holding the queue, if any: for read-only looks at a queue someone may be running. */
export async function queueHolder(dataDir: string): Promise<QueueOwner | undefined> {
  const dir = join(dataDir, 'jobs')
  const top = (await listGenerations(dir).catch(() => [])).at(-1)
  if (top !== undefined) {
    const holder = await readOwner(join(dir, generationName(top)))
    if (typeof holder === 'object' && (await ownerAlive(holder))) return { pid: holder.pid, name: holder.name, since: holder.since }
  }
  const legacy = Number((await readFile(join(dir, LEGACY_LOCK), 'utf8').catch(() => '')).trim())
  return Number.isInteger(legacy) && legacy > 0 && legacy !== process.pid && pidRunning(legacy) ? { pid: legacy } : undefined
}

/**
 * Marks this owner's generation released, replacing it whole (rename over it): the file stays, so the
 * top generation is never absent. Only the owner's own file is touched, never someone else's.
 */
async function releaseOwn(path: string, me: OwnerRecord): Promise<void> {
  const current = await readOwner(path)
  if (typeof current !== 'object' || current.token !== me.token || current.released) return
  const staged = join(dirname(path), stagedName(me, 'released'))
  await writeStaged(staged, JSON.stringify({ ...me, released: true } satisfies OwnerRecord))
  await rename(staged, path)
}

/** Staged owner files name their pid, so a holder can sweep those left by processes that died. */
const STAGED = /^\.queue\.lock\.(\d+)\.[0-9a-f]+(\.released)?\.tmp$/

function stagedName(me: OwnerRecord, what?: 'released'): string {
  return `.queue.lock.${me.pid}.${me.token}${what ? `.${what}` : ''}.tmp`
}

async function sweepStaged(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(STAGED.exec(name)?.[1])
    if (pid > 0 && pid !== process.pid && !pidRunning(pid)) await rm(join(dir, name), { force: true })
  }
}

function generationName(n: number): string {
  return `queue.lock.${n}`
}

async function listGenerations(dir: string): Promise<number[]> {
  const names = await readdir(dir)
  return names
    .map((name) => GENERATION.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0)
    .sort((a, b) => a - b)
}

async function readOwner(path: string): Promise<OwnerRecord | 'missing' | 'unreadable'> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing'
    throw err
  }
  try {
    const parsed = ownerRecordSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : 'unreadable'
  } catch {
    return 'unreadable'
  }
}

/**
 * Written whole before it gets its real name. Not flushed: while processes run they all see the same
 * bytes, and after a power cut, the only time a name could point at an empty file, every holder is
 * gone, which is how an unreadable generation is treated.
 */
async function writeStaged(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    await handle.writeFile(text)
  } finally {
    await handle.close()
  }
}

/**
 * Alive means: not released, that pid runs, and is the same process that wrote the record. A record
 * written by this very process counts as gone: it is left by an earlier process that had the same pid (containers
 * restart at the same pids), and one process runs one engine per data folder.
 */
async function ownerAlive(owner: OwnerRecord): Promise<boolean> {
  if (owner.released || owner.pid === process.pid) return false
  if (!pidRunning(owner.pid)) return false
  if (owner.started === undefined) return true
  const now = await processIdentity(owner.pid)
  // Where the OS does not tell a start time, a running pid is taken as the holder: refusing wrongly
  // costs the user a retry; taking over wrongly could send a paid request twice.
  return now === undefined || now === owner.started
}

function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const execFileAsync = promisify(execFile)
let own: Promise<string | undefined> | undefined
const ownIdentity = () => (own ??= processIdentity(process.pid))
let bootId: Promise<string> | undefined

/**
 * A string that names one run of a process: the boot plus its start time on Linux, `ps`'s start time
 * on macOS. Undefined where neither exists (Windows) or the process is gone.
 */
export async function processIdentity(pid: number): Promise<string | undefined> {
  if (process.platform === 'linux') {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const startTicks = fields[19]
      bootId ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((s) => s.trim(), () => '')
      return startTicks ? `${await bootId}:${startTicks}` : undefined
    } catch {
      return undefined
    }
  }
  if (process.platform === 'darwin') {
    try {
      const { stdout } = await execFileAsync('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 2000 })
      return stdout.trim() || undefined
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * An older Pixdesk holding the queue the old way (a bare pid in `queue.lock`) is respected while it
 * runs; once it is gone its files are cleared, since nothing creates them any more.
 */
async function refuseLegacyHolder(dir: string): Promise<void> {
  const path = join(dir, LEGACY_LOCK)
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return
  const pid = Number(text.trim())
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidRunning(pid)) {
    const read = await readJsonFile(join(dir, LEGACY_NOTE))
    const note = read.kind === 'ok' ? legacyNoteSchema.safeParse(read.value) : undefined
    // A note left by an earlier holder describes someone else: only the pid is trusted then.
    throw new QueueLockedError(note?.success && note.data.pid === pid ? note.data : { pid }, path)
  }
  await rm(path, { force: true })
  await rm(join(dir, LEGACY_NOTE), { force: true })
}
