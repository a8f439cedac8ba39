import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CliContext } from '../../electron/cli/context'
import { Output } from '../../electron/cli/output'
import { resolveInputs } from '../../electron/cli/request'
import { printReport, runBatch } from '../../electron/cli/run'
import { JobEngine } from '../../electron/core/jobs/engine'
import type { BatchSpec, SkippedInput } from '../../electron/core/jobs/model'
import { fakeDeps, limits } from '../support/jobs-fakes'

let dir: string
let engine: JobEngine | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-skipped-'))
})
afterEach(async () => {
  await engine?.close()
  engine = undefined
  await rm(dir, { recursive: true, force: true })
})

const reason = '"shoe-3.jpg" is a damaged or truncated JPEG (premature end of file); export it again.'
const spec: BatchSpec = {
  files: [{ path: '/shoot/shoe-1.png' }, { path: '/shoot/shoe-2.png' }],
  skipped: [{ path: '/shoot/shoe-3.jpg', reason: { code: 'corrupt', message: reason, path: '/shoot/shoe-3.jpg' } }],
  prompt: 'White background',
  models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }],
  sandbox: true,
  duplicates: 'run'
}

/** Captures what the command would print: stdout (tables or JSON lines) and stderr (notes). */
function capture(json: boolean) {
  const text = { stdout: '', stderr: '' }
  const stream = (key: 'stdout' | 'stderr') => ({ isTTY: false, write: (chunk: string) => ((text[key] += chunk), true) }) as unknown as NodeJS.WriteStream
  const out = new Output(json, { stdout: stream('stdout'), stderr: stream('stderr') })
  const ctx = { out, signal: new AbortController().signal } as unknown as CliContext
  return { ctx, text }
}

/** Runs the batch the way `pixdesk batch` does, answering every request with a success. */
async function runToEnd(json: boolean) {
  const fake = fakeDeps()
  engine = (await JobEngine.open({ dataDir: dir, deps: fake.deps, limits: limits(4) })).engine
  const { ctx, text } = capture(json)
  const answering = setInterval(() => fake.held.splice(0).forEach((h) => h.succeed()), 5)
  try {
    const result = await runBatch(ctx, engine, { spec }, 'batch')
    printReport(ctx, result)
    return { result, text }
  } finally {
    clearInterval(answering)
  }
}

describe('pixdesk batch with a file that cannot be used', () => {
  it('says so when it starts, lists it under Skipped with its reason, counts it, and exits 1', async () => {
    const { result, text } = await runToEnd(false)
    expect(result.exitCode).toBe(1)
    expect(text.stderr).toContain(`shoe-3.jpg · gemini-2.5-flash-image: skipped, nothing sent: ${reason}`)
    expect(text.stdout).toMatch(/model\s+items\s+done\s+failed\s+skipped/)
    expect(text.stdout).toMatch(/gemini-2\.5-flash-image\s+3\s+2\s+0\s+1/)
    expect(text.stdout).toContain('Skipped (the file cannot be used; nothing sent, no credits):')
    expect(text.stdout).toContain(`shoe-3.jpg · gemini-2.5-flash-image: skipped, nothing sent: ${reason}`)
    expect(text.stdout).toMatch(/: 2 done, 0 failed, 1 skipped, /)
  })

  it('gives scripts the skipped file, its reason and the counts in --json', async () => {
    const { text } = await runToEnd(true)
    const lines = text.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown> & { type: string })
    const summary = lines.at(-1)!
    expect(summary).toMatchObject({ type: 'summary', counts: { total: 3, done: 2, skipped: 1 }, exitCode: 1 })
    expect(summary.skipped).toEqual([{ itemId: expect.any(String), source: '/shoot/shoe-3.jpg', model: 'gemini-2.5-flash-image', reason: expect.objectContaining({ code: 'corrupt', message: reason }) }])
    const skippedEvents = lines.filter((l) => l.type === 'item.updated' && (l.item as { state: string }).state === 'skipped')
    expect(skippedEvents.length).toBeGreaterThan(0)
    expect(skippedEvents[0]!.item).toMatchObject({ source: '/shoot/shoe-3.jpg', error: { message: reason } })
  })
})

describe('inputs of pixdesk batch', () => {
  it('hands over damaged images, named or found in a folder, with their reason; a stray text file only gets a note', async () => {
    const shoot = join(dir, 'shoot')
    await mkdir(shoot)
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#457b9d' } }).png().toFile(join(shoot, 'good.png'))
    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ffffff' } }).jpeg().toBuffer()
    await writeFile(join(shoot, 'torn.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)))
    await writeFile(join(shoot, 'notes.txt'), 'shot list\n')
    const named = join(dir, 'named-torn.jpg')
    await writeFile(named, jpeg.subarray(0, Math.floor(jpeg.length / 3)))

    const skipped: SkippedInput[] = []
    const notes: string[] = []
    const files = await resolveInputs([shoot, named, join(shoot, 'torn.jpg')], { folders: true, note: (t) => notes.push(t), skip: (s) => skipped.push(s) })
    expect(files).toEqual([join(shoot, 'good.png')])
    expect(skipped.map((s) => [s.path, s.reason.code, s.reason.path])).toEqual([
      [join(shoot, 'torn.jpg'), 'corrupt', join(shoot, 'torn.jpg')],
      [named, 'corrupt', named]
    ])
    expect(skipped[0]!.reason.message).toMatch(/torn\.jpg.*(damaged|truncated)/)
    expect(notes).toEqual([expect.stringMatching(/skipped 1 file in .*shoot that is not a usable image/)])
  })

  it('still takes a named file without looking inside when the command does not skip (edit, compare)', async () => {
    const named = join(dir, 'named.jpg')
    await writeFile(named, 'not really a jpeg')
    expect(await resolveInputs([named], { folders: false })).toEqual([named])
  })
})
