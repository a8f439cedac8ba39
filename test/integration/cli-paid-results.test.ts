import { existsSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadQueue } from '../../electron/core/jobs/store'
import { recoveryDir } from '../../electron/core/paid-results'
import { runCli, type CliResult } from '../support/cli-process'
import { makeImages } from '../support/jobs-fixtures'

/** A paid result the command line could not write: kept, shown by `batch status`, saved by `batch resume`. */

let dir: string
let home: string

const run = (args: string[]): Promise<CliResult> => runCli(args, { home, cwd: dir })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-paid-'))
  home = join(dir, 'home')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('pixdesk batch with an output folder that cannot be written', () => {
  it('keeps the paid result, says so in batch status, and batch resume --save-to saves it', async () => {
    const images = await makeImages(join(dir, 'shoot'), 2)
    // A folder inside a file: it can never be created.
    await writeFile(join(dir, 'taken'), 'a file')
    const out = join(dir, 'taken', 'results')
    const first = await run(['--sandbox', 'batch', join(dir, 'shoot'), '--prompt', 'white background', '--model', 'nano-banana', '--out', out, '--json'])
    expect(first.code, first.stderr).toBe(1)
    expect(first.stdout).toMatch(/Paid, not saved/)

    const { batches } = await loadQueue(home)
    const batch = batches.at(-1)!
    expect(batch.items.map((i) => i.error?.code)).toEqual(['not_saved', 'not_saved'])
    const kept = await readdir(recoveryDir(home), { recursive: true })
    expect(kept.map(String).filter((n) => n.endsWith('.png'))).toHaveLength(images.length)

    const status = await run(['batch', 'status', batch.id])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/paid, not saved \(kept in the recovery folder/)
    const statusJson = await run(['batch', 'status', batch.id, '--json'])
    // Every line of the --json output is an event.
    expect(statusJson.events).toHaveLength(statusJson.stdout.trim().split('\n').length)
    const items = statusJson.events.filter((e) => e.type === 'item') as Array<{ type: string; paidNotSaved?: { kept: string[] } }>
    expect(items.map((i) => i.paidNotSaved?.kept.length)).toEqual([1, 1])

    const elsewhere = join(dir, 'delivered')
    const resumed = await run(['--sandbox', 'batch', 'resume', batch.id, '--save-to', elsewhere, '--json'])
    expect(resumed.code, resumed.stderr).toBe(0)
    const saved = (await loadQueue(home)).batches.find((b) => b.id === batch.id)!
    expect(saved.items.map((i) => i.state)).toEqual(['done', 'done'])
    for (const item of saved.items) {
      expect(item.outputs[0]?.path.startsWith(elsewhere)).toBe(true)
      expect(existsSync(item.outputs[0]!.path)).toBe(true)
    }
    // Nothing was sent again: the charges are the first run's, and the recovery folder is empty.
    expect(saved.items.map((i) => i.charged)).toEqual(batch.items.map((i) => i.charged))
    expect((await readdir(recoveryDir(home), { recursive: true })).map(String).filter((n) => n.endsWith('.png'))).toEqual([])
  })
})
