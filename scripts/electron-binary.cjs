// Where the Electron runtime lives, without triggering its download (requiring 'electron' would).
const { spawnSync } = require('node:child_process')
const { existsSync, readFileSync } = require('node:fs')
const { dirname, join } = require('node:path')

function electronPackageDir() {
  try {
    return dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
}

/** Folder holding the Electron executable and its files (what electron-builder packages). */
function electronDist() {
  const pkgDir = electronPackageDir()
  if (!pkgDir) return null
  return process.env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist')
}

/** Absolute path of the Electron executable, or null when it is not installed. */
function electronBinary() {
  const pkgDir = electronPackageDir()
  if (!pkgDir) return null
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const exe = join(electronDist(), readFileSync(pathFile, 'utf8').trim())
  return existsSync(exe) ? exe : null
}

function electronInstaller() {
  return join(electronPackageDir() ?? '', 'install.js')
}

/**
 * Makes sure the Electron runtime is installed, downloading it once when it is not; when that fails,
 * says plainly what is missing and what to do, and exits. `npm start` and `npm run dist` both need it.
 * @param {string} cannot what Pixdesk cannot do without it ("open its window")
 */
function ensureElectronRuntime(cannot) {
  if (electronBinary()) return electronBinary()
  console.log('Pixdesk: the Electron runtime is not installed yet; downloading it once...')
  const result = spawnSync(process.execPath, [electronInstaller()], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 50_000 })
  if (result.status === 0 && electronBinary()) return electronBinary()
  const reason = result.error?.code === 'ETIMEDOUT' ? 'the download timed out' : 'it could not be downloaded'
  console.error(`
Pixdesk cannot ${cannot}: the Electron runtime is missing and ${reason}.

What to do:
  - Connect to the internet once and run the command again (the runtime is fetched automatically), or
  - run \`npx install-electron\` yourself, then run the command again.

Everything else works without it. The command-line interface uses the same library, keys and history:
  npx pixdesk --help          all commands
  npx pixdesk sandbox         the local sandbox server (try edits with no API key)
`)
  process.exit(1)
}

module.exports = { electronBinary, electronDist, electronInstaller, ensureElectronRuntime }
