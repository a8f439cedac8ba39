// `npm run bench`: every benchmark in test/bench, one after another (they share two cores, so never in
// parallel). Each prints its own figures and ratios against a reference measured in the same run.
// `npm run bench -- history` runs only the benchmarks whose file name contains "history".
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { BENCH_PACKAGES, ensurePackages } from './system-packages.mjs'

const root = resolve(import.meta.dirname, '..')
const filters = process.argv.slice(2)
const benches = readdirSync(join(root, 'test', 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
  .sort()

if (benches.length === 0) {
  console.error(`No benchmark matches ${filters.join(', ') || '(none found in test/bench)'}`)
  process.exit(2)
}
if (!ensurePackages(BENCH_PACKAGES)) process.exit(1)

let failed = 0
for (const file of benches) {
  console.log(`\n=== ${file}`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join('test', 'bench', file)], {
    cwd: root,
    stdio: 'inherit'
  })
  if (result.status !== 0) {
    failed++
    console.log(`${file} exited with ${result.status ?? result.signal}`)
  }
}
console.log(`\n${benches.length - failed} benchmarks ran, ${failed} failed`)
process.exit(failed ? 1 : 0)
