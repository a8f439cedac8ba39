/**
 * Takes and releases the queue lock in a loop for the lock stress test, and checks that nobody else is
 * inside at the same time: each holder creates a marker file exclusively while it holds the lock. Prints
 * "OVERLAP <pid>" when the marker of another live process is found, "TOOK <n>" every 10 acquisitions
 * and "DONE <n>" once the test creates the stop file.
 */
import { existsSync } from 'node:fs'
import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { acquireQueueLock, QueueLockedError } from '../../electron/core/jobs/queue-lock'

const dataDir = process.env.LOCK_DATA_DIR
if (!dataDir) throw new Error('LOCK_DATA_DIR is required')
const marker = join(dataDir, 'inside')
const stop = join(dataDir, 'stop')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function enter(): Promise<void> {
  for (;;) {
    try {
      const handle = await open(marker, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const other = Number(await readFile(marker, 'utf8').catch(() => '0'))
      // A holder killed while inside leaves its marker: that is not an overlap.
      if (other > 0 && other !== process.pid && alive(other)) {
        console.log(`OVERLAP ${other}`)
        return
      }
      await rm(marker, { force: true })
    }
  }
}

async function main(): Promise<void> {
  let taken = 0
  while (!existsSync(stop)) {
    let release: () => Promise<void>
    try {
      release = await acquireQueueLock(dataDir!, `lock worker ${process.pid}`)
    } catch (err) {
      if (!(err instanceof QueueLockedError)) throw err
      await new Promise((r) => setTimeout(r, Math.random() * 2))
      continue
    }
    await enter()
    // Stay inside a little, so an overlap has time to show.
    await new Promise((r) => setImmediate(r))
    const inside = await readFile(marker, 'utf8').catch(() => '')
    if (inside === String(process.pid)) await rm(marker, { force: true })
    await release()
    if (++taken % 10 === 0) console.log(`TOOK ${taken}`)
  }
  console.log(`DONE ${taken}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
