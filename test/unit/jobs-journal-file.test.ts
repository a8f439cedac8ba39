import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { JournalFile } from '../../electron/core/jobs/journal-file'

let dir: string
let file: JournalFile | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-journal-'))
})
afterEach(async () => {
  await file?.close()
  file = undefined
  await rm(dir, { recursive: true, force: true })
})

describe('queue journal file', () => {
  it('lands lines in the order given, durable or not, and empties on truncate', async () => {
    const path = join(dir, 'queue.journal')
    file = new JournalFile(path)
    const lines = Array.from({ length: 50 }, (_, i) => `{"s":${i + 1}}\n`)
    // Not awaited one by one: order must hold even when many are in flight at once.
    await Promise.all(lines.map((line, i) => file!.append(line, i % 7 === 0)))
    expect(await readFile(path, 'utf8')).toBe(lines.join(''))
    await file.truncate()
    await file.append('{"s":51}\n', true)
    expect(await readFile(path, 'utf8')).toBe('{"s":51}\n')
  })

  it('keeps order across a truncate handed over among writes still in flight, and settles every write', async () => {
    const path = join(dir, 'queue.journal')
    file = new JournalFile(path)
    const line = (i: number) => `{"s":${i}}\n`
    const before = Array.from({ length: 20 }, (_, i) => file!.append(line(i), i % 2 === 0))
    const emptied = file.truncate()
    const after = Array.from({ length: 20 }, (_, i) => file!.append(line(100 + i), i % 5 === 0))
    await Promise.all([...before, emptied, ...after])
    expect(await readFile(path, 'utf8')).toBe(Array.from({ length: 20 }, (_, i) => line(100 + i)).join(''))
  })

  it('rejects a write that cannot be made, with the reason, each time it is tried', async () => {
    file = new JournalFile(join(dir, 'missing-folder', 'queue.journal'))
    await expect(file.append('{"s":1}\n', true)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('no such file') })
    await expect(file.append('{"s":2}\n', false)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
