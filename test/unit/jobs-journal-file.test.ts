import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsyncPlacement, JournalFile, QUICK_FSYNC_RUN, SLOW_FSYNC_MS } from '../../electron/core/jobs/journal-file'

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

/** A placement that ignores what it measures: always the calling thread, always the writer thread, or each in turn. */
function fixed(where: 'calling' | 'writer' | 'alternating') {
  let turn = 0
  return { inline: () => (where === 'alternating' ? turn++ % 2 === 0 : where === 'calling'), measured: () => undefined }
}

describe.each(['calling', 'writer', 'alternating'] as const)('queue journal file, lines written on the %s thread', (where) => {
  it('lands lines in the order given, durable or not, and empties on truncate', async () => {
    const path = join(dir, 'queue.journal')
    file = new JournalFile(path, { placement: fixed(where) })
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
    file = new JournalFile(path, { placement: fixed(where) })
    const line = (i: number) => `{"s":${i}}\n`
    const before = Array.from({ length: 20 }, (_, i) => file!.append(line(i), i % 2 === 0))
    const emptied = file.truncate()
    const after = Array.from({ length: 20 }, (_, i) => file!.append(line(100 + i), i % 5 === 0))
    await Promise.all([...before, emptied, ...after])
    expect(await readFile(path, 'utf8')).toBe(Array.from({ length: 20 }, (_, i) => line(100 + i)).join(''))
  })

  it('rejects a write that cannot be made, with the reason, each time it is tried', async () => {
    file = new JournalFile(join(dir, 'missing-folder', 'queue.journal'), { placement: fixed(where) })
    await expect(file.append('{"s":1}\n', true)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('no such file') })
    await expect(file.append('{"s":2}\n', false)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('appends after what an earlier writer left in the file', async () => {
    const path = join(dir, 'queue.journal')
    const earlier = new JournalFile(path, { placement: fixed(where) })
    await earlier.append('{"s":1}\n', true)
    await earlier.close()
    file = new JournalFile(path, { placement: fixed(where) })
    await file.append('{"s":2}\n', true)
    expect(await readFile(path, 'utf8')).toBe('{"s":1}\n{"s":2}\n')
  })
})

describe('where a journal fsync is made', () => {
  it('a durable line resolves only after its fsync, made where the placement says', async () => {
    const path = join(dir, 'queue.journal')
    file = new JournalFile(path, { placement: fixed('writer') })
    await file.append('{"s":1}\n', true)
    expect(file.fsyncs).toEqual({ inline: 0, thread: 1 })
    await file.append('{"s":2}\n', false)
    expect(file.fsyncs).toEqual({ inline: 0, thread: 1 })
    await file.close()

    file = new JournalFile(path, { placement: fixed('calling') })
    await file.append('{"s":3}\n', true)
    expect(file.fsyncs).toEqual({ inline: 1, thread: 0 })
  })

  it('lines waiting on the writer thread keep later lines there, whatever the placement says', async () => {
    const path = join(dir, 'queue.journal')
    let inline = false
    file = new JournalFile(path, { placement: { inline: () => inline, measured: () => undefined } })
    const first = file.append('{"s":1}\n', true)
    inline = true
    const second = file.append('{"s":2}\n', true)
    await Promise.all([first, second])
    expect(file.fsyncs.inline).toBe(0)
    expect(await readFile(path, 'utf8')).toBe('{"s":1}\n{"s":2}\n')
    // Nothing waits any more: the next line is written and fsync'd here.
    await file.append('{"s":3}\n', true)
    expect(file.fsyncs.inline).toBe(1)
  })

  it('a slow fsync sends the lines after it to the writer thread', async () => {
    const path = join(dir, 'queue.journal')
    // Every fsync counts as slow: the first is made here (the disk is trusted until it is measured), the rest there.
    file = new JournalFile(path, { placement: new FsyncPlacement(-1) })
    for (let i = 1; i <= 4; i++) await file.append(`{"s":${i}}\n`, true)
    expect(file.fsyncs).toEqual({ inline: 1, thread: 3 })
    expect(await readFile(path, 'utf8')).toBe('{"s":1}\n{"s":2}\n{"s":3}\n{"s":4}\n')
  })
})

describe('fsync placement', () => {
  it('trusts the calling thread until an fsync is slow, then wants a run of quick ones before trusting it again', () => {
    const placement = new FsyncPlacement()
    expect(placement.inline()).toBe(true)
    placement.measured(SLOW_FSYNC_MS)
    expect(placement.inline()).toBe(true)
    placement.measured(SLOW_FSYNC_MS + 0.1)
    expect(placement.inline()).toBe(false)
    for (let i = 1; i < QUICK_FSYNC_RUN; i++) placement.measured(0.5)
    expect(placement.inline()).toBe(false)
    placement.measured(50)
    for (let i = 1; i < QUICK_FSYNC_RUN; i++) placement.measured(0.5)
    expect(placement.inline()).toBe(false)
    placement.measured(0.5)
    expect(placement.inline()).toBe(true)
  })
})
