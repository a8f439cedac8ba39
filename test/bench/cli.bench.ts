/**
 * Command-line start-up benchmark. Run: npm run bench -- cli
 * `pixdesk --help` and `pixdesk history --json` (a history of 2,000 requests) from the built bundle,
 * against `node -e 0` in the same run: goal ≤ 0.25 s above bare Node for each. The development fallback
 * (TypeScript through tsx) is timed too, for comparison. Runs are interleaved in rounds, so load from
 * elsewhere on the machine hits every command alike; the figure compared with the goal is the median of
 * the per-round differences.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { openHistory } from '../../electron/core/history/history'
import { makeRecord } from '../support/history-fixtures'

const root = resolve(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'pixdesk.cjs')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const GOAL_SECONDS = 0.25

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

interface Subject {
  label: string
  args: string[]
  env?: NodeJS.ProcessEnv
  seconds: number[]
}

function time(subject: Subject, env: NodeJS.ProcessEnv): number {
  const t0 = performance.now()
  const result = spawnSync(process.execPath, subject.args, { cwd: root, env: { ...env, ...subject.env }, stdio: ['ignore', 'ignore', 'pipe'] })
  const seconds = (performance.now() - t0) / 1000
  if (result.status !== 0) throw new Error(`${subject.label} exited with ${result.status}: ${result.stderr.toString().slice(0, 500)}`)
  return seconds
}

async function main() {
  // Always measure a bundle built from the current sources.
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('building the CLI bundle failed')

  const home = mkdtempSync(join(tmpdir(), 'pixdesk-cli-bench-'))
  try {
    const history = openHistory(home)
    const start = Date.parse('2026-09-01T00:00:00Z')
    for (let i = 0; i < 2000; i++) {
      await history.append(makeRecord({ id: `bench-${i}`, startedAt: new Date(start + i * 60_000).toISOString(), status: i % 10 === 0 ? 'failed' : 'succeeded' }))
    }
    await history.close()
    const env: NodeJS.ProcessEnv = { ...process.env, PIXDESK_HOME: home }
    delete env.PIXDESK_CLI_FROM_SOURCE

    const node: Subject = { label: 'node -e 0', args: ['-e', '0'], seconds: [] }
    const help: Subject = { label: 'pixdesk --help', args: [bin, '--help'], seconds: [] }
    const historyJson: Subject = { label: 'pixdesk history --json', args: [bin, 'history', '--json'], seconds: [] }
    const subjects = [node, help, historyJson]
    for (const s of subjects) time(s, env) // warm the file cache
    const overhead = new Map<Subject, number[]>([
      [help, []],
      [historyJson, []]
    ])
    for (let r = 0; r < ROUNDS; r++) {
      const round = new Map<Subject, number>()
      for (let k = 0; k < subjects.length; k++) {
        const s = subjects[(r + k) % subjects.length]!
        const seconds = time(s, env)
        s.seconds.push(seconds)
        round.set(s, seconds)
      }
      for (const s of [help, historyJson]) overhead.get(s)!.push(round.get(s)! - round.get(node)!)
    }

    const fromSource: Subject = { label: 'pixdesk --help (tsx, development)', args: [bin, '--help'], env: { PIXDESK_CLI_FROM_SOURCE: '1' }, seconds: [] }
    for (let r = 0; r < 3; r++) fromSource.seconds.push(time(fromSource, env))

    console.log(`CLI start-up, ${ROUNDS} interleaved rounds (median wall time):`)
    for (const s of [...subjects, fromSource]) console.log(`  ${s.label.padEnd(36)} ${median(s.seconds).toFixed(3)} s`)
    let missed = 0
    for (const [s, diffs] of overhead) {
      const above = median(diffs)
      const ok = above <= GOAL_SECONDS
      if (!ok) missed++
      console.log(`  ${s.label} above bare Node: ${above.toFixed(3)} s (goal ≤ ${GOAL_SECONDS} s): ${ok ? 'meets goal' : 'MISSES goal'}`)
    }
    if (missed) process.exitCode = 1
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

void main()
