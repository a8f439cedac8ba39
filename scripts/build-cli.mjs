// Part of `npm run build`: bundles the command line into out/cli/index.js, so `pixdesk` starts without
// compiling TypeScript, and the packaged app can ship it. Native modules stay external (they are loaded
// from node_modules, or from app.asar.unpacked in an installed app).
import { writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { build } from 'esbuild'

const root = resolve(import.meta.dirname, '..')
const outDir = join(root, 'out', 'cli')

// sharp (which loads libvips) and undici (half a megabyte of code) cost a large part of the start-up time,
// and `pixdesk --help` or `pixdesk history` never use them. In the bundle each is a stand-in that requires
// the real module on first use; it answers esbuild's ES-module interop check itself, so importing it
// loads nothing. Both stay ordinary production dependencies, so they are there to be required.
const LAZY_MODULES = ['sharp', 'undici']
const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_MODULES.join('|')})$`)
    b.onResolve({ filter }, (args) => (args.namespace === 'lazy' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy' }))
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      loader: 'js',
      contents: `
        let real
        const load = () => (real ??= require(${JSON.stringify(args.path)}))
        const member = (key) => (key === '__esModule' ? undefined : load()[key])
        // esbuild's interop copies a module's own keys into a namespace object whose prototype is the
        // module's prototype: named imports not copied are found there, so that prototype looks them up.
        const lookup = new Proxy({}, { get: (_target, key) => member(key), has: (_target, key) => key in load() })
        module.exports = new Proxy(function lazyModule() {}, {
          apply: (_target, self, args) => load().apply(self, args),
          construct: (_target, args) => new (load())(...args),
          get: (_target, key) => member(key),
          has: (_target, key) => key in load(),
          getPrototypeOf: () => lookup
        })`
    }))
  }
}

// zod's classic API re-exports every message locale (about a third of the bundle, all parsed at each start);
// the command line speaks English and never switches zod's locale, so the bundle keeps only English.
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined
    )
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.path),
      contents: `export { default as en } from ${JSON.stringify(args.path)}`
    }))
  }
}

const result = await build({
  entryPoints: [join(root, 'electron', 'cli', 'bin.ts')],
  outfile: join(outDir, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['keytar', 'electron'],
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  plugins: [lazyModules, englishOnlyZodLocales],
  // In an installed app the launcher runs this bundle as the main module, so a bundled source's own
  // "run when started directly" check (the sandbox server's `require.main === module`) would fire on
  // every command: inside the bundle, no module is the one started directly.
  define: { 'require.main': 'undefined' },
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
