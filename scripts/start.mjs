// `npm start`: run the desktop app in development mode. The Electron runtime is downloaded on first use;
// when it is missing and cannot be fetched, say so plainly instead of failing inside electron-vite.
import { spawn, spawnSync } from 'node:child_process'
import electron from './electron-binary.cjs'

const { electronBinary, electronInstaller } = electron

if (!electronBinary()) {
  console.log('Pixdesk: the Electron runtime is not installed yet; downloading it once...')
  const result = spawnSync(process.execPath, [electronInstaller()], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 50_000 })
  if (result.status !== 0 || !electronBinary()) {
    const reason = result.error?.code === 'ETIMEDOUT' ? 'the download timed out' : 'it could not be downloaded'
    console.error(`
Pixdesk cannot open its window: the Electron runtime is missing and ${reason}.

What to do:
  - Connect to the internet once and run \`npm start\` again (the runtime is fetched automatically), or
  - run \`npx install-electron\` yourself, then \`npm start\`.

Everything else works without it. The command-line interface uses the same library, keys and history:
  npx pixdesk --help          all commands
  npx pixdesk sandbox         the local sandbox server (try edits with no API key)
`)
    process.exit(1)
  }
}

const child = spawn(process.execPath, [new URL('../node_modules/electron-vite/bin/electron-vite.js', import.meta.url).pathname, 'dev', ...process.argv.slice(2)], {
  stdio: 'inherit'
})
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)))
