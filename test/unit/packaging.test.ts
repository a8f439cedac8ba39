import { execFile, spawn } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, matchesGlob, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
// The builder's own configuration loader and schema check, so the test sees the file as `npm run dist` does.
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { DebugLogger } from 'builder-util'
import type { Configuration } from 'electron-builder'

const root = resolve(import.meta.dirname, '..', '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  optionalDependencies?: Record<string, string>
}

async function loadConfig(): Promise<Configuration> {
  const config = await getConfig(root, null, null)
  await validateConfiguration(config, new DebugLogger(false))
  return config
}

interface NpmTree {
  dependencies?: Record<string, NpmTree & { path?: string; missing?: boolean }>
}

/** Every installed package of the production dependency tree, by name and folder. */
async function productionPackages(): Promise<Map<string, string>> {
  const { stdout } = await promisify(execFile)('npm', ['ls', '--prod', '--all', '--json', '--long'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '{}' })) // npm ls exits 1 for absent optionals
  const found = new Map<string, string>()
  const walk = (tree: NpmTree) => {
    for (const [name, node] of Object.entries(tree.dependencies ?? {})) {
      if (node.path && existsSync(node.path) && !found.has(name)) found.set(name, node.path)
      walk(node)
    }
  }
  walk(JSON.parse(stdout) as NpmTree)
  return found
}

/** A package is native when it builds an addon or ships compiled code: those cannot load from an asar. */
function isNative(dir: string): boolean {
  if (existsSync(join(dir, 'binding.gyp'))) return true
  const stack = [dir]
  while (stack.length) {
    const current = stack.pop()!
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue
      const path = join(current, entry.name)
      if (entry.isDirectory()) stack.push(path)
      else if (/\.(node|dylib|dll)$|\.so(\.\d+)*$/.test(entry.name)) return true
    }
  }
  return false
}

function pngSize(buffer: Buffer): { width: number; height: number } {
  return { width: buffer.readUInt32BE(16), height: buffer.readUInt32BE(20) }
}

describe('installer configuration (electron-builder.yml)', () => {
  it('passes the builder schema and names the app', async () => {
    const config = await loadConfig()
    expect(config.appId).toBe('app.pixdesk.desktop')
    expect(config.productName).toBe('Pixdesk')
    expect(config.mac?.category).toBe('public.app-category.graphics-design')
    expect(config.linux?.category).toBe('Graphics')
  })

  it('targets AppImage and deb, a dmg with the hardened runtime, and nsis', async () => {
    const config = await loadConfig()
    expect(config.linux?.target).toEqual(['AppImage', 'deb'])
    expect(config.mac?.target).toEqual(['dmg'])
    expect(config.win?.target).toEqual(['nsis'])
    expect(config.mac?.hardenedRuntime).toBe(true)
    const entitlements = readFileSync(join(root, String(config.mac?.entitlements)), 'utf8')
    for (const key of ['com.apple.security.cs.allow-jit', 'com.apple.security.cs.allow-unsigned-executable-memory', 'com.apple.security.network.client']) {
      expect(entitlements).toContain(`<key>${key}</key>`)
    }
    expect(config.mac?.entitlementsInherit).toBe(config.mac?.entitlements)
  })

  it('opens PNG, JPEG and WebP files', async () => {
    const config = await loadConfig()
    const associations = [config.fileAssociations ?? []].flat()
    const extensions = associations.flatMap((a) => [a.ext].flat())
    expect(extensions.sort()).toEqual(['jpeg', 'jpg', 'png', 'webp'])
    expect(config.linux?.mimeTypes).toEqual(expect.arrayContaining(['image/png', 'image/jpeg', 'image/webp']))
  })

  it('unpacks every native module of the production dependency tree from the asar', async () => {
    const config = await loadConfig()
    const unpack = [config.asarUnpack ?? []].flat() as string[]
    const packages = await productionPackages()
    const native = [...packages].filter(([, dir]) => isNative(dir)).map(([name, dir]) => ({ name, dir: relative(root, dir) }))
    // sharp's addon and libvips live in its @img packages; the check is computed, so any new native dependency fails it.
    expect(native.filter((n) => n.name.startsWith('@img/sharp-')).length).toBeGreaterThan(0)
    if (packages.has('keytar')) expect(native.map((n) => n.name)).toContain('keytar')
    const uncovered = native.filter(({ dir }) => !unpack.some((glob) => matchesGlob(`${dir}/package.json`, glob)))
    expect(uncovered).toEqual([])
    // The build can copy an addon next to the main bundle (out/main/chunks/*.node): it must be unpacked too.
    const builtAddons = existsSync(join(root, 'out')) ? readdirSync(join(root, 'out'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.node')) : []
    for (const addon of builtAddons) expect(unpack.some((glob) => matchesGlob(`out/${addon}`, glob)), `out/${addon}`).toBe(true)
  })

  it('ships only production dependencies: no dev tool in the files or the dependency tree', async () => {
    const config = await loadConfig()
    // The loader normalises the list to [{ filter: [...] }].
    const files = [config.files ?? []].flat().flatMap((f) => (typeof f === 'string' ? [f] : [f.filter ?? []].flat()))
    expect(files.filter((f) => f.includes('node_modules'))).toEqual([])
    for (const dev of Object.keys(pkg.devDependencies)) {
      expect(files.some((f) => f.includes(dev)), `${dev} named in files`).toBe(false)
    }
    const packages = await productionPackages()
    const devTools = ['tsx', 'esbuild', 'typescript', 'vitest', '@playwright/test', 'playwright', 'electron-vite', 'vite', 'electron-builder', 'eslint', 'electron']
    expect(devTools.filter((tool) => packages.has(tool))).toEqual([])
    // Sources and tests are not in the package: only built bundles and the data the core reads.
    expect(files.filter((f) => /^(electron|renderer|test|shared|scripts)\//.test(f))).toEqual([])
    expect(files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**', 'out/cli/**', 'resources/models.json', 'resources/templates.json']))
  })

  it('has every icon the targets need, at every size', async () => {
    const config = await loadConfig()
    const linuxDir = join(root, String(config.linux?.icon))
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      const meta = await sharp(join(linuxDir, `${size}x${size}.png`)).metadata()
      expect([meta.width, meta.height, meta.format]).toEqual([size, size, 'png'])
    }
    const ico = readFileSync(join(root, String(config.win?.icon)))
    expect(ico.readUInt16LE(2)).toBe(1)
    const icoSizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
      const entry = 6 + 16 * i
      const png = ico.subarray(ico.readUInt32LE(entry + 12), ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8))
      return pngSize(png).width
    })
    expect(icoSizes).toEqual(expect.arrayContaining([16, 32, 48, 256]))
    const icns = readFileSync(join(root, String(config.mac?.icon)))
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns')
    expect(icns.readUInt32BE(4)).toBe(icns.length)
    const icnsTypes = new Map<string, number>()
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) {
      icnsTypes.set(icns.subarray(at, at + 4).toString('ascii'), pngSize(icns.subarray(at + 8)).width)
    }
    expect(Object.fromEntries(icnsTypes)).toMatchObject({ ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic13: 256, ic14: 512 })
    expect(existsSync(join(root, 'resources', 'icon.svg'))).toBe(true)
  })

  it('ships the command-line launchers beside the app', async () => {
    const config = await loadConfig()
    expect(config.extraResources).toEqual([{ from: 'resources/cli', to: 'bin' }])
    const unix = join(root, 'resources', 'cli', 'pixdesk')
    accessSync(unix, constants.X_OK)
    expect(readFileSync(unix, 'utf8')).toContain('ELECTRON_RUN_AS_NODE=1 exec')
    expect(readFileSync(unix, 'utf8')).toContain('app.asar/out/cli/index.js')
    expect(readFileSync(join(root, 'resources', 'cli', 'pixdesk.cmd'), 'utf8')).toContain('app.asar\\out\\cli\\index.js')
    expect(statSync(join(root, 'resources', 'cli', 'pixdesk.cmd')).size).toBeGreaterThan(0)
  })
})

describe('the bundled command line in an installed layout', () => {
  it('runs through the launcher, with the bundle as the main module', async () => {
    const build = await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root })
    expect(build.stdout).toContain('out/cli/index.js')
    // Linux layout: <install>/pixdesk (the app) and <install>/resources/{bin/pixdesk, app.asar/out/cli}.
    const install = await mkdtemp(join(tmpdir(), 'pixdesk-install-'))
    try {
      await mkdir(join(install, 'resources', 'bin'), { recursive: true })
      await mkdir(join(install, 'resources', 'app.asar', 'out'), { recursive: true })
      await copyFile(join(root, 'resources', 'cli', 'pixdesk'), join(install, 'resources', 'bin', 'pixdesk'))
      await chmod(join(install, 'resources', 'bin', 'pixdesk'), 0o755)
      await symlink(join(root, 'out', 'cli'), join(install, 'resources', 'app.asar', 'out', 'cli'))
      // The app's runtime in Node mode, played by Node itself; it must be given Node mode.
      await writeFile(join(install, 'pixdesk'), `#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 64\nexec "${process.execPath}" "$@"\n`, { mode: 0o755 })
      await symlink(join(install, 'resources', 'bin', 'pixdesk'), join(install, 'on-path'))
      const home = join(install, 'data')
      const { stdout } = await promisify(execFile)(join(install, 'on-path'), ['history', '--json'], { env: { ...process.env, PIXDESK_HOME: home }, timeout: 30_000 })
      expect(JSON.parse(stdout.trim())).toMatchObject({ type: 'summary', total: 0 })
      const version = await promisify(execFile)(join(install, 'on-path'), ['--version'], { env: { ...process.env, PIXDESK_HOME: home }, timeout: 30_000 })
      expect(version.stdout.trim()).toBe(pkg.version)
    } finally {
      await rm(install, { recursive: true, force: true })
    }
  })
})

/** Runs a script with the Electron runtime made absent (and no download attempted). */
function runWithoutRuntime(script: string): Promise<{ code: number | null; stderr: string; ms: number }> {
  return new Promise((done, fail) => {
    const started = Date.now()
    const child = spawn(process.execPath, [join(root, 'scripts', script)], {
      cwd: root,
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: join(root, 'test-results', 'no-electron-here'), ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', fail)
    child.on('exit', (code) => done({ code, stderr, ms: Date.now() - started }))
  })
}

describe('npm run dist without the Electron runtime', () => {
  it('stops at once with the message npm start gives', async () => {
    const [dist, start] = await Promise.all([runWithoutRuntime('dist.mjs'), runWithoutRuntime('start.mjs')])
    expect(dist.code).toBe(1)
    expect(start.code).toBe(1)
    expect(dist.ms).toBeLessThan(20_000)
    expect(dist.stderr).toContain('Pixdesk cannot build its installers: the Electron runtime is missing')
    expect(start.stderr).toContain('Pixdesk cannot open its window: the Electron runtime is missing')
    const advice = (text: string) => text.slice(text.indexOf('What to do:'))
    expect(advice(dist.stderr)).toContain('npx install-electron')
    expect(advice(dist.stderr)).toBe(advice(start.stderr))
    // Nothing was built: the runtime check comes before the build.
    expect(dist.stderr).not.toContain('electron-vite')
  })
})
