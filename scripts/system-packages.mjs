// System packages the test suites and benchmarks need, and how to tell whether each is present.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
const pkgConfig = (name) => spawnSync('pkg-config', ['--exists', name], { stdio: 'ignore' }).status === 0

export const TEST_PACKAGES = [
  { name: 'chromium', present: () => existsSync(process.env.PIXDESK_CHROMIUM ?? '/usr/bin/chromium'), why: 'browser end-to-end tests' },
  { name: 'libsecret-1-dev', present: () => pkgConfig('libsecret-1'), why: 'building keytar (OS keychain access)' },
  { name: 'gnome-keyring', present: () => has('gnome-keyring-daemon'), why: 'a real keychain for the keychain tests' },
  { name: 'dbus', present: () => has('dbus-run-session'), why: 'a private D-Bus session for the keychain tests' },
  { name: 'dbus-x11', present: () => has('dbus-launch'), why: 'D-Bus session helpers' },
  { name: 'libsecret-tools', present: () => has('secret-tool'), why: 'inspecting the test keyring' },
  { name: 'libimage-exiftool-perl', present: () => has('exiftool'), why: 'reading back the provenance written into outputs' }
]

export const BENCH_PACKAGES = [{ name: 'libvips-tools', present: () => has('vipsthumbnail'), why: 'the thumbnail speed reference' }]

export const ELECTRON_PACKAGES = [{ name: 'xvfb', present: () => has('xvfb-run'), why: 'a display for the Electron end-to-end test' }, { name: 'xauth', present: () => has('xauth'), why: 'xvfb-run' }]

/**
 * Installs what is missing with apt when running as root; otherwise names the exact command and returns
 * false so the caller fails clearly instead of half-running the suites.
 */
export function ensurePackages(packages) {
  const missing = packages.filter((p) => !p.present())
  if (missing.length === 0) return true
  const names = missing.map((p) => p.name)
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!isRoot || !has('apt-get')) {
    console.error(`Missing system packages: ${names.join(' ')}`)
    for (const p of missing) console.error(`  ${p.name}: needed for ${p.why}`)
    console.error(`Install them with:\n  sudo apt-get install -y ${names.join(' ')}`)
    return false
  }
  console.log(`Installing system packages: ${names.join(' ')}`)
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    })
  } catch (err) {
    console.error(`apt-get could not install ${names.join(' ')}: ${err.message}`)
    return false
  }
  return packages.every((p) => p.present())
}

/**
 * Tests fetch real third-party images with `apt-get download`, which needs the package lists. A machine
 * whose packages are all installed may still have none (images often delete them): fetch them once.
 */
export function ensureAptLists() {
  if (!has('apt-get')) return true
  let lists = []
  try {
    lists = readdirSync('/var/lib/apt/lists').filter((f) => f.endsWith('_Packages') || f.endsWith('_Packages.lz4'))
  } catch {
    // No lists folder at all: same as no lists.
  }
  if (lists.length > 0) return true
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!isRoot) {
    console.error('The test corpus is fetched with apt-get download, which needs package lists: run `sudo apt-get update` once.')
    return false
  }
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' })
    return true
  } catch (err) {
    console.error(`apt-get update failed: ${err.message}`)
    return false
  }
}
