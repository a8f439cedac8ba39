#!/usr/bin/env node
'use strict'
// Entry point for `npx pixdesk` and `npm run sandbox`. It runs the TypeScript sources directly through
// tsx's CommonJS loader, so the command works right after `npm install`, with no build step, from any
// working directory. tsx caches what it compiles, so later starts skip the compile.

const { join } = require('node:path')

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`pixdesk needs Node.js 20.19 or newer; this is ${process.version}. Install a newer Node.js and run it again.\n`)
  process.exit(2)
}

let register
try {
  register = require('tsx/cjs/api').register
} catch (err) {
  process.stderr.write(
    `pixdesk cannot start: its dependencies are not installed (${err && err.message ? err.message.split('\n')[0] : err}).\n` +
      `Run "npm install" in ${join(__dirname, '..')} first.\n`
  )
  process.exit(2)
}
register()

// A reader that stops early (`pixdesk history --json | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
}

const { main } = require(join(__dirname, '..', 'electron', 'cli', 'index.ts'))
main(process.argv.slice(2)).then(
  (code) => {
    // Exit once stdout has drained, rather than waiting for idle sockets or native thread pools to wind down.
    process.exitCode = code
    process.stdout.write('', () => process.exit(code))
  },
  (err) => {
    // main() maps every expected failure to an exit code itself; reaching here is a bug worth its stack.
    process.stderr.write(`pixdesk: unexpected failure: ${err && err.stack ? err.stack : err}\n`)
    process.exitCode = 1
  }
)
