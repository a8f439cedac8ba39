// Where the Electron runtime lives, without triggering its download (requiring 'electron' would).
const { existsSync, readFileSync } = require('node:fs')
const { dirname, join } = require('node:path')

function electronPackageDir() {
  try {
    return dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
}

/** Absolute path of the Electron executable, or null when it is not installed. */
function electronBinary() {
  const pkgDir = electronPackageDir()
  if (!pkgDir) return null
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist')
  const exe = join(dist, readFileSync(pathFile, 'utf8').trim())
  return existsSync(exe) ? exe : null
}

function electronInstaller() {
  return join(electronPackageDir() ?? '', 'install.js')
}

module.exports = { electronBinary, electronInstaller }
