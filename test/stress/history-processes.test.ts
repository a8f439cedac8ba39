import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openHistory, type History } from '../../electron/core/history/history'
import { makeRecord } from '../support/history-fixtures'

/**
 * Real processes writing one history: the desktop app and the CLI at the same time, and writers killed
 * with SIGKILL in the middle of their work.
 */
const writerScript = resolve(__dirname, '../support/history-writer.ts')
let dataDir: string

function startWriter(prefix: string, count: number): { child: ChildProcess; reported: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dataDir, prefix, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const reported: string[] = []
  let buffered = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) if (line.startsWith('ok ')) reported.push(line.slice(3))
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((done, fail) => {
    child.on('error', fail)
    child.on('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') fail(new Error(`writer ${prefix} exited with ${code ?? signal}: ${stderr}`))
      else done(code)
    })
  })
  return { child, reported, exited }
}

async function allIds(history: History): Promise<{ ids: string[]; warnings: number }> {
  const ids: string[] = []
  let page = 1
  let result = await history.query({ pageSize: 500, page, sort: 'oldest' })
  for (;;) {
    ids.push(...result.items.map((i) => i.id))
    if (page >= result.pages) break
    result = await history.query({ pageSize: 500, page: ++page, sort: 'oldest' })
  }
  return { ids, warnings: result.readWarnings.length }
}

async function rawLines(): Promise<string[]> {
  // Month files only: the persisted indexes in history/.index are not ledger lines.
  const files = (await readdir(join(dataDir, 'history'))).filter((f) => f.endsWith('.jsonl'))
  const texts = await Promise.all(files.map((f) => readFile(join(dataDir, 'history', f), 'utf8')))
  return texts.flatMap((t) => t.split('\n').filter(Boolean))
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-history-proc-'))
})
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

describe('history written by several processes', () => {
  it('keeps 20,000 valid records when two processes append 10,000 each at once', async () => {
    const a = startWriter('app', 10_000)
    const b = startWriter('cli', 10_000)
    await Promise.all([a.exited, b.exited])
    expect(a.reported).toHaveLength(10_000)
    expect(b.reported).toHaveLength(10_000)

    const lines = await rawLines()
    expect(lines).toHaveLength(20_000)
    const parsed = lines.map((l) => JSON.parse(l) as { type: string; record: { id: string } })
    const ids = parsed.map((p) => p.record.id)
    expect(new Set(ids).size).toBe(20_000)
    // Each writer's lines stay in the order it wrote them.
    for (const prefix of ['app', 'cli']) {
      const own = ids.filter((id) => id.startsWith(`${prefix}-`)).map((id) => Number(id.split('-')[1]))
      expect(own).toEqual([...Array(10_000).keys()])
    }

    const history = openHistory(dataDir)
    const page = await history.query({ pageSize: 1 })
    expect(page.total).toBe(20_000)
    expect(page.readWarnings).toEqual([])
    const totals = await history.totals({ by: 'batch' })
    expect(totals.rows.map((r) => [r.key, r.count])).toEqual([['app', 10_000], ['cli', 10_000]])
    await history.close()
    await rm(join(dataDir, 'history'), { recursive: true })
  })

  it('keeps every reported line and never returns a corrupt one when writers are killed with SIGKILL', async () => {
    const reported: string[] = []
    const kills = 6
    for (let round = 0; round < kills; round++) {
      const w = startWriter(`kill${round}`, 0)
      // Kill at a different point each round, while the writer is busy appending.
      const target = 40 + round * 37
      await new Promise<void>((done) => {
        const timer = setInterval(() => {
          if (w.reported.length >= target) {
            clearInterval(timer)
            done()
          }
        }, 2)
      })
      w.child.kill('SIGKILL')
      await w.exited
      reported.push(...w.reported)
    }

    const history = openHistory(dataDir)
    const { ids, warnings } = await allIds(history)
    const found = new Set(ids)
    expect(reported.filter((id) => !found.has(id))).toEqual([])
    // Only ids that writers produced, each once (a line cut by the kill may or may not have landed).
    expect(ids.every((id) => /^kill\d-\d+$/.test(id))).toBe(true)
    expect(found.size).toBe(ids.length)
    // Each kill can leave at most one torn line, which is reported, not returned.
    expect(warnings).toBeLessThanOrEqual(kills)
    const lines = await rawLines()
    const unparsable = lines.filter((l) => {
      try {
        JSON.parse(l)
        return false
      } catch {
        return true
      }
    })
    expect(unparsable.length).toBe(warnings)

    // Appending after the crashes still works and is read back.
    await history.append(makeRecord({ id: 'after-crash' }))
    expect((await history.query({ pageSize: 1 })).items[0]?.id).toBe('after-crash')
    expect((await history.query({ pageSize: 1 })).total).toBe(ids.length + 1)
    await history.close()
  })
})
