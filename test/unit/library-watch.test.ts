import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FolderWatcher } from '../../electron/core/library/watch'

/** What a pending add() settles to within `ms`: 'resolved', or 'pending' when it would wait forever. */
async function settles(adding: Promise<void>, ms = 3000): Promise<'resolved' | 'pending'> {
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([adding.then(() => 'resolved' as const), new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)))])
  clearTimeout(timer)
  return outcome
}

describe('FolderWatcher', () => {
  let root: string
  beforeAll(() => {
    // Enough folders that the first walk is still going when the watcher is stopped.
    root = mkdtempSync(join(tmpdir(), 'pixdesk-watch-'))
    for (let i = 0; i < 200; i++) {
      mkdirSync(join(root, `folder-${i}`))
      writeFileSync(join(root, `folder-${i}`, 'a.png'), 'x')
    }
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('an add still walking the folder returns when the watcher is closed, instead of waiting forever', async () => {
    const watcher = new FolderWatcher(() => undefined)
    const adding = watcher.add(root)
    await watcher.close()
    expect(await settles(adding)).toBe('resolved')
  })

  it('an add still walking the folder returns when that folder is removed', async () => {
    const watcher = new FolderWatcher(() => undefined)
    const adding = watcher.add(root)
    await watcher.remove(root)
    expect(await settles(adding)).toBe('resolved')
    await watcher.close()
  })

  it('an add that finishes its walk resolves once the folder is watched', async () => {
    const changes: string[] = []
    const watcher = new FolderWatcher((c) => changes.push(...c.map((x) => x.path)), { debounceMs: 20 })
    await watcher.add(root)
    writeFileSync(join(root, 'new.png'), 'y')
    await expect.poll(() => changes, { timeout: 5000 }).toContain(join(root, 'new.png'))
    await watcher.close()
  })
})
