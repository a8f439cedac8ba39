// The Electron security scan: @doyensec/electronegativity over electron/ and the built renderer, in one
// pass so its app-wide checks (navigation limits, permission handler, CSP) see main and renderer together.
// Fails on any finding above LOW that test/security/electronegativity-exceptions.json does not justify,
// and on any exception that no longer matches a finding (so the list cannot silently go stale).
//
// The scanner always exits 0, so its findings are read and judged here. Its Electron-releases check downloads
// the release list from GitHub with no timeout (a long pause offline) and is switched off: the Electron
// version is kept current by the dependency updates, not by this scan.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const exceptionsFile = join(root, 'test', 'security', 'electronegativity-exceptions.json')
const SEVERITY_RANK = { INFORMATIONAL: 0, LOW: 1, MEDIUM: 2, HIGH: 3 }

function scan(input, reportFile) {
  const entry = createRequire(import.meta.url).resolve('@doyensec/electronegativity')
  const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version
  const options = {
    input,
    customScan: [],
    excludeFromScan: ['availablesecurityfixesglobalcheck'],
    isRelative: true,
    electronVersionOverride: electronVersion,
    parserPlugins: []
  }
  // Its CSV writer starts the header and the rows as two concurrent asynchronous writes, so the file
  // is sometimes corrupt; the result object of its programmatic interface carries the same fields
  // (and, unlike its SARIF, the severity). A child process keeps its console chatter out of ours.
  const program = [
    `const m = require(${JSON.stringify(entry)})`,
    `;(m.default ?? m)(${JSON.stringify(options)}, false)`,
    `.then((r) => require('node:fs').writeFileSync(${JSON.stringify(reportFile)}, JSON.stringify({ errors: r.errors, issues: r.issues.map((i) => ({ id: i.id, severity: i.severity.name, confidence: i.confidence.name, file: i.file, location: i.location.line + ':' + i.location.column, description: i.description })) })))`,
    '.catch((e) => { console.error(e); process.exit(1) })'
  ].join('')
  const result = spawnSync(process.execPath, ['-e', program], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 })
  if (result.status !== 0 || !existsSync(reportFile)) {
    throw new Error(`electronegativity did not finish (status ${result.status}): ${result.stderr || result.stdout}`)
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'))
  // A file it could not parse is a file it did not check.
  const unparsed = report.errors.filter((e) => !e.tolerable)
  if (unparsed.length) throw new Error(`electronegativity could not parse: ${unparsed.map((e) => `${e.file}: ${e.message}`).join('; ')}`)
  return report.issues
}

function main() {
  const renderer = join(root, 'out', 'renderer')
  if (!existsSync(join(renderer, 'index.html'))) {
    console.error('out/renderer is missing: run the build first (npm test does).')
    process.exit(1)
  }
  const work = mkdtempSync(join(tmpdir(), 'pixdesk-electronegativity-'))
  try {
    cpSync(join(root, 'electron'), join(work, 'electron'), { recursive: true })
    cpSync(renderer, join(work, 'out', 'renderer'), { recursive: true })
    const findings = scan(work, join(work, 'report.json'))
    const exceptions = JSON.parse(readFileSync(exceptionsFile, 'utf8'))
    const excused = (f) => exceptions.find((e) => e.id === f.id && e.file === f.file)
    let failed = false
    for (const f of findings) {
      const rank = SEVERITY_RANK[f.severity]
      if (rank === undefined) throw new Error(`Unknown severity "${f.severity}" in the report`)
      const exception = rank > SEVERITY_RANK.LOW ? excused(f) : undefined
      const verdict = rank <= SEVERITY_RANK.LOW ? 'ok (low)' : exception ? 'excepted' : 'FAIL'
      if (verdict === 'FAIL') failed = true
      console.log(`${verdict.padEnd(9)} ${f.severity.padEnd(6)} ${f.id} ${f.file}:${f.location} — ${f.description}`)
      if (exception) console.log(`          because: ${exception.reason}`)
    }
    for (const e of exceptions) {
      if (!findings.some((f) => f.id === e.id && f.file === e.file)) {
        failed = true
        console.log(`STALE     exception ${e.id} ${e.file} matches no finding: remove it from ${exceptionsFile}`)
      }
    }
    console.log(`${findings.length} findings, ${failed ? 'failing' : 'none above LOW without a reason'}`)
    process.exit(failed ? 1 : 0)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

main()
