// `npm run dist`: the installers for this OS (electron-builder.yml): AppImage and deb on Linux, dmg on
// macOS, nsis on Windows, in dist/. The builder packages the locally installed Electron runtime, so a
// machine without it stops here at once, with the same message as `npm start`.
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import electron from './electron-binary.cjs'

const root = resolve(import.meta.dirname, '..')
electron.ensureElectronRuntime('build its installers')

const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
run('npm', ['run', 'build'])
const platformFlag = { darwin: '--mac', win32: '--win', linux: '--linux' }[process.platform]
if (!platformFlag) {
  console.error(`Pixdesk has no installer target for ${process.platform}; electron-builder.yml covers Linux, macOS and Windows.`)
  process.exit(1)
}
run(join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-builder.cmd' : 'electron-builder'), [
  platformFlag,
  `--config.electronDist=${electron.electronDist()}`,
  ...process.argv.slice(2)
])
