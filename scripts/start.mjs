// `npm start`: run the desktop app in development mode. The Electron runtime is downloaded on first use;
// when it is missing and cannot be fetched, say so plainly instead of failing inside electron-vite.
import { spawn } from 'node:child_process'
import electron from './electron-binary.cjs'

electron.ensureElectronRuntime('open its window')

const child = spawn(process.execPath, [new URL('../node_modules/electron-vite/bin/electron-vite.js', import.meta.url).pathname, 'dev', ...process.argv.slice(2)], {
  stdio: 'inherit'
})
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)))
