#!/usr/bin/env node
'use strict'
// Entry point for `npx pixdesk` and `npm run sandbox`. It runs the built bundle (out/cli, made by
// `npm run build`) when there is one and it is current; in a development checkout without a build, or
// after a source file changed since the build, it runs the TypeScript sources through tsx instead.

const { existsSync, readFileSync, statSync } = require('node:fs')
const { join, resolve } = require('node:path')

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`pixdesk needs Node.js 20.19 or newer; this is ${process.version}. Install a newer Node.js and run it again.\n`)
  process.exit(2)
}

const root = join(__dirname, '..')
const bundle = join(root, 'out', 'cli', 'index.js')

/** True when the bundle exists and no source file it was built from has changed since. */
function bundleIsCurrent() {
  if (process.env.PIXDESK_CLI_FROM_SOURCE === '1') return false
  let builtAt
  try {
    builtAt = statSync(bundle).mtimeMs
  } catch {
    return false
  }
  let sources
  try {
    sources = JSON.parse(readFileSync(join(root, 'out', 'cli', 'sources.json'), 'utf8'))
  } catch {
    return true
  }
  for (const source of sources) {
    try {
      if (statSync(resolve(root, 'out', 'cli', source)).mtimeMs > builtAt) return false
    } catch {
      // A source that is gone (an installed package ships no sources) cannot be newer than the bundle.
    }
  }
  return true
}

if (bundleIsCurrent()) {
  require(bundle)
} else {
  let register
  try {
    register = require('tsx/cjs/api').register
  } catch (err) {
    const built = existsSync(bundle) ? '' : ' and it has not been built'
    process.stderr.write(
      `pixdesk cannot start: its development dependencies are not installed${built} (${err && err.message ? err.message.split('\n')[0] : err}).\n` +
        `Run "npm install && npm run build" in ${root} first.\n`
    )
    process.exit(2)
  }
  register()
  // Commands load their heavier modules with import() when they run, through the ES module loader:
  // it needs tsx's hooks too before the sources start.
  import('tsx/esm/api').then(
    (esm) => {
      esm.register()
      require(join(root, 'electron', 'cli', 'bin.ts'))
    },
    (err) => {
      process.stderr.write(`pixdesk cannot start from its sources: ${err && err.message ? err.message : err}\n`)
      process.exit(2)
    }
  )
}
