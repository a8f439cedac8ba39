// `npm test`: every suite in one command — typecheck, lint, unused code, build, unit and integration tests (vitest),
// browser end-to-end tests (Playwright in Debian's Chromium) and the Electron end-to-end test where the
// Electron runtime exists. Ends with one line `N passed, N failed, N skipped` summing all suites.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import electron from './electron-binary.cjs'
import { ELECTRON_PACKAGES, TEST_PACKAGES, ensureAptLists, ensurePackages } from './system-packages.mjs'

const root = resolve(import.meta.dirname, '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const resultsDir = join(root, 'test-results')
mkdirSync(resultsDir, { recursive: true })

const totals = { passed: 0, failed: 0, skipped: 0 }
const failures = []
const skips = []

function step(name, command, args, options = {}) {
  console.log(`\n=== ${name}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  const ok = result.status === 0
  if (ok) totals.passed++
  else {
    totals.failed++
    failures.push(name)
  }
  return ok
}

function finish() {
  console.log('')
  for (const s of skips) console.log(`skipped: ${s}`)
  for (const f of failures) console.log(`failed: ${f}`)
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
  process.exit(totals.failed > 0 ? 1 : 0)
}

// 1. System packages, installed when we are root, otherwise named with the command to run.
const electronBinary = electron.electronBinary()
const needed = [...TEST_PACKAGES, ...(electronBinary && !process.env.DISPLAY ? ELECTRON_PACKAGES : [])]
if (!ensurePackages(needed) || !ensureAptLists()) {
  totals.failed++
  failures.push('system packages (see above)')
  finish()
}

// keytar (optional, native) builds against libsecret during install. If libsecret arrived only now, npm
// either left it unbuilt or dropped it: build or fetch it now, at the version the lockfile pins.
if (spawnSync(process.execPath, ['-e', "require('keytar')"], { cwd: root, stdio: 'ignore' }).status !== 0) {
  if (existsSync(join(root, 'node_modules', 'keytar', 'package.json'))) {
    console.log('keytar is not built yet; building it against libsecret...')
    spawnSync('npm', ['rebuild', 'keytar'], { cwd: root, stdio: 'inherit' })
  } else {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
    const version = lock.packages?.['node_modules/keytar']?.version ?? '7.9.0'
    console.log(`keytar was skipped at install time; installing keytar@${version} against libsecret...`)
    spawnSync('npm', ['install', '--no-save', `keytar@${version}`], { cwd: root, stdio: 'inherit' })
  }
}

// 2. Static checks and the build the browser tests load.
step('typecheck (main, preload, core, tests)', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit'])
step('typecheck (renderer)', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit'])
step('typecheck (end-to-end tests)', bin('tsc'), ['-p', 'tsconfig.e2e.json', '--noEmit'])
step('lint', bin('eslint'), ['--max-warnings', '0', '.'])
// Unused files, exports and dependencies: code nobody calls is code nobody tests (knip.json says what counts).
step('unused code (knip)', bin('knip'), [])
const built = step('build (out/main, out/preload, out/renderer)', bin('electron-vite'), ['build'])
// The command-line bundle (out/cli): the CLI tests then run what `npm run build` ships.
step('build (out/cli)', process.execPath, [join(root, 'scripts', 'build-cli.mjs')])
if (built) step('Electron security scan (electronegativity)', process.execPath, [join(root, 'scripts', 'electronegativity.mjs')])

// 3. Runtime suites, inside a private D-Bus session with a throwaway unlocked keyring and a temp HOME,
// so the keychain tests use a real Secret Service and the user's own keychain is never touched.
const sessionHome = mkdtempSync(join(tmpdir(), 'pixdesk-test-home-'))
const vitestJson = join(resultsDir, 'vitest.json')
const playwrightJson = join(resultsDir, 'playwright.json')
rmSync(vitestJson, { force: true })
rmSync(playwrightJson, { force: true })
const keyringPassword = `pixdesk-test-${process.pid}`
const inSession = (cmd) =>
  `printf %s '${keyringPassword}' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && ${cmd}`
const sessionEnv = { ...process.env, HOME: sessionHome, PIXDESK_TEST_SESSION: '1', XDG_RUNTIME_DIR: sessionHome }
delete sessionEnv.PIXDESK_HOME

/** Runs one vitest configuration in the keyring session and adds its results to the totals. */
function vitestSuite(title, reportPath, extraArgs = '') {
  console.log(`\n=== ${title}`)
  spawnSync(
    'dbus-run-session',
    ['--', 'sh', '-c', inSession(`"${bin('vitest')}" run ${extraArgs} --reporter=default --reporter=json --outputFile.json="${reportPath}"`)],
    { cwd: root, stdio: 'inherit', env: sessionEnv }
  )
  if (!existsSync(reportPath)) {
    totals.failed++
    failures.push(`${title}: vitest produced no report`)
    return
  }
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  totals.passed += report.numPassedTests
  totals.failed += report.numFailedTests
  totals.skipped += report.numPendingTests + report.numTodoTests
  // A file that fails outside its tests (it does not load, or a beforeAll/afterAll hook throws) has no
  // failed test of its own, and its tests are reported as skipped: count it, or the failure would vanish.
  const brokenFiles = report.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((t) => t.status === 'failed'))
  totals.failed += brokenFiles.length
  for (const f of brokenFiles) failures.push(`vitest: ${f.name.replace(root + '/', '')} failed outside its tests: ${f.message.split('\n')[0]}`)
  for (const f of report.testResults)
    for (const t of f.assertionResults) {
      if (t.status === 'failed') failures.push(`vitest: ${t.fullName}`)
      if (t.status === 'skipped' || t.status === 'pending') skips.push(`vitest: ${t.fullName}`)
    }
}

vitestSuite('unit and integration tests (vitest)', vitestJson)
// Crash, chaos and multi-process tests spawn processes and kill them at chosen moments: one at a time,
// alone on the machine, so none of them is starved into a timeout by the others.
const stressJson = join(resultsDir, 'vitest-stress.json')
rmSync(stressJson, { force: true })
vitestSuite('crash and multi-process tests (vitest, one file at a time)', stressJson, '--config vitest.stress.config.mts')

if (built) {
  console.log('\n=== end-to-end tests (Playwright: browser harness, Electron where available)')
  const playwright = `"${bin('playwright')}" test --reporter=list,json`
  const wrapped = electronBinary && !process.env.DISPLAY ? `xvfb-run -a ${playwright}` : playwright
  spawnSync('dbus-run-session', ['--', 'sh', '-c', inSession(wrapped)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...sessionEnv, PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson }
  })
  if (existsSync(playwrightJson)) {
    const report = JSON.parse(readFileSync(playwrightJson, 'utf8'))
    totals.passed += report.stats.expected + report.stats.flaky
    totals.failed += report.stats.unexpected
    totals.skipped += report.stats.skipped
    const walk = (suite, trail) => {
      for (const s of suite.suites ?? []) walk(s, [...trail, s.title])
      for (const spec of suite.specs ?? [])
        for (const t of spec.tests) {
          const title = [...trail, spec.title].filter(Boolean).join(' › ')
          if (t.status === 'skipped') {
            const reason = t.annotations.find((a) => a.type === 'skip')?.description ?? 'no reason given'
            skips.push(`playwright: ${title}: ${reason}`)
          }
          if (t.status === 'unexpected') failures.push(`playwright: ${title}`)
        }
    }
    for (const s of report.suites) walk(s, [])
    if (report.errors?.length) {
      totals.failed += report.errors.length
      for (const e of report.errors) failures.push(`playwright: ${(e.message ?? '').split('\n')[0]}`)
    }
  } else {
    totals.failed++
    failures.push('playwright produced no report')
  }
} else {
  totals.failed++
  failures.push('end-to-end tests not run: the build failed')
}

rmSync(sessionHome, { recursive: true, force: true })
finish()
