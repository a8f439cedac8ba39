import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RuleLedger } from '../../electron/core/watch/ledger'
import { compilePatterns } from '../../electron/core/watch/patterns'

describe('watch rule patterns', () => {
  it('match names case-insensitively, paths below the folder when they have a slash, alternatives and classes', () => {
    const images = compilePatterns(['*.jpg', '*.png'])
    expect(images('IMG_0001.JPG')).toBe(true)
    expect(images('sub/shot.png')).toBe(true)
    expect(images('notes.txt')).toBe(false)
    expect(images('archive.png.zip')).toBe(false)
    const raw = compilePatterns(['raw/**/*.{tif,tiff}', 'shot-[0-9]?.webp'])
    expect(raw('raw/a.tif')).toBe(true)
    expect(raw('raw/2026/11/a.TIFF')).toBe(true)
    expect(raw('other/a.tif')).toBe(false)
    expect(raw('shot-12.webp')).toBe(true)
    expect(raw('shot-x2.webp')).toBe(false)
  })
})

describe('a rule ledger', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pixdesk-ledger-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads back what was sent after a reopen, skips a torn last line, and frees a released claim', async () => {
    const at = new Date().toISOString()
    const ledger = await RuleLedger.open(dir, 'r1')
    expect(ledger.started()).toBe(false)
    await ledger.append([
      { t: 'opened', at },
      { t: 'pending', hash: 'a', path: '/in/a.png', size: 1, mtimeMs: 1, at, token: 't1', estimate: 2 },
      { t: 'queued', hash: 'a', path: '/in/a.png', at, token: 't1', batchId: 'b1', estimate: 2 },
      { t: 'pending', hash: 'b', path: '/in/b.png', size: 1, mtimeMs: 1, at, token: 't2', estimate: 2 }
    ])
    // A crash in the middle of a line.
    await appendFile(join(dir, 'watch', 'r1.jsonl'), '{"t":"queued","hash":"b","pa')

    const reopened = await RuleLedger.open(dir, 'r1')
    expect(reopened.started()).toBe(true)
    expect(reopened.unreadableLines()).toBe(1)
    expect(reopened.has('a')).toBe(true)
    expect(reopened.has('b')).toBe(true)
    expect(reopened.unconfirmed().map((c) => c.hash)).toEqual(['b'])
    expect(reopened.committedSince(new Date(Date.now() - 60_000))).toBe(4)
    expect(reopened.committedSince(new Date(Date.now() + 60_000))).toBe(0)

    await reopened.append([{ t: 'released', hash: 'b', token: 't2', at }])
    expect(reopened.has('b')).toBe(false)
    expect((await RuleLedger.open(dir, 'r1')).has('b')).toBe(false)
    expect(reopened.committedSince(new Date(Date.now() - 60_000))).toBe(2)
  })
})
