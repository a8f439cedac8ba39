// Part of `npm run build`: bundles the command line into out/cli/index.js, so `pixdesk` starts without
// compiling TypeScript, and the packaged app can ship it. Native modules stay external (they are loaded
// from node_modules, or from app.asar.unpacked in an installed app).
import { writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { build } from 'esbuild'

const root = resolve(import.meta.dirname, '..')
const outDir = join(root, 'out', 'cli')

const result = await build({
  entryPoints: [join(root, 'electron', 'cli', 'bin.ts')],
  outfile: join(outDir, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['sharp', 'keytar', 'electron'],
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning'
})

// The project's own sources in the bundle: bin/pixdesk.cjs falls back to them when one is newer than the
// bundle, so an edited checkout never runs a stale build.
const sources = Object.keys(result.metafile.inputs)
  .map((input) => resolve(root, input))
  .filter((path) => !path.includes(`${join('node_modules')}`))
  .map((path) => relative(outDir, path))
writeFileSync(join(outDir, 'sources.json'), JSON.stringify(sources))
console.log(`out/cli/index.js: the command line, ${sources.length} source files bundled`)
