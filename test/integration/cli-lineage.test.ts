import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openHistory } from '../../electron/core/history/history'
import { runCli, type CliResult } from '../support/cli-process'
import { makeImages } from '../support/jobs-fixtures'

/** Chains of edits on the command line: edit the edit, branch, lose a file, read the chain back. */

let dir: string
let home: string
let image: string

const run = (args: string[]): Promise<CliResult> => runCli(args, { home, cwd: dir })

/** Runs one sandbox edit and gives back its request id and output path. */
async function edit(args: string[]): Promise<{ requestId: string; output: string }> {
  const r = await run(['--sandbox', 'edit', ...args, '--model', 'nano-banana', '--json'])
  expect(r.code, r.stderr).toBe(0)
  const summary = r.events.find((e) => e.type === 'summary') as unknown as { outputs: string[] }
  const items = r.events.filter((e) => e.type === 'item.updated') as unknown as Array<{ item: { state: string; requestIds: string[] } }>
  const done = items.findLast((e) => e.item.state === 'done')!
  return { requestId: done.item.requestIds.at(-1)!, output: summary.outputs[0]! }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-chain-'))
  home = join(dir, 'home')
  image = (await makeImages(join(dir, 'shoot'), 1))[0]!
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('pixdesk edit --parent and history lineage', () => {
  it('keeps a chain three edits deep with a branch, and reads it back intact after a middle file is deleted', async () => {
    const first = await edit([image, '--prompt', 'white background'])
    const second = await edit(['--parent', first.requestId, '--prompt', 'add a soft shadow'])
    const third = await edit(['--parent', `${second.requestId}:1`, '--prompt', 'warmer light'])
    const branch = await edit(['--parent', first.requestId, '--prompt', 'grey background'])

    // The records name their parent and share the original's hash; the files embed the parent's id.
    const history = openHistory(home)
    const page = await history.query({ pageSize: 10, sort: 'oldest' })
    await history.close()
    const [r1, r2, r3, r4] = page.items
    expect(r1?.parent).toBeUndefined()
    expect(r2?.parent).toMatchObject({ recordId: r1?.id, requestId: first.requestId, outputIndex: 0 })
    expect(r3?.parent?.recordId).toBe(r2?.id)
    expect(r4?.parent?.recordId).toBe(r1?.id)
    expect(new Set(page.items.map((i) => i.rootSha256)).size).toBe(1)
    expect(r1?.rootSha256).toBe(r1?.inputs[0]?.sha256)
    expect(r2?.inputs[0]?.path).toBe(first.output)

    await rm(second.output)
    const lineage = await run(['history', 'lineage', third.requestId, '--json'])
    expect(lineage.code, lineage.stderr).toBe(0)
    const versions = lineage.events.filter((e) => e.type === 'version') as unknown as Array<{ requestId: string; depth: number; outputs: Array<{ fileMissing: boolean }> }>
    expect(versions.map((v) => [v.requestId, v.depth])).toEqual([
      [first.requestId, 0],
      [second.requestId, 1],
      [third.requestId, 2],
      [branch.requestId, 1]
    ])
    expect(versions[1]?.outputs[0]?.fileMissing).toBe(true)
    const summary = lineage.events.find((e) => e.type === 'summary') as unknown as { versions: number; credits: number }
    expect(summary.versions).toBe(4)
    expect(summary.credits).toBe(page.items.reduce((n, i) => n + i.cost.credits, 0))

    const text = await run(['history', 'lineage', branch.requestId])
    expect(text.stdout).toMatch(/1 of 1 file missing/)
    expect(text.stdout).toMatch(/4 versions/)

    // Continuing from the missing file, or from an id that does not exist, is refused before sending.
    const gone = await run(['--sandbox', 'edit', '--parent', second.requestId, '--prompt', 'again', '--model', 'nano-banana'])
    expect(gone.code).toBe(2)
    expect(gone.stderr).toMatch(/output file of request .* is missing/)
    const unknown = await run(['--sandbox', 'edit', '--parent', 'req_does_not_exist', '--prompt', 'again', '--model', 'nano-banana'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no request "req_does_not_exist" in the history/)
    const after = openHistory(home)
    expect((await after.query({ pageSize: 10 })).total).toBe(4)
    await after.close()
  })
})
