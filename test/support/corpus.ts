import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * Real third-party images from Debian packages, fetched at test time with `apt-get download` and
 * unpacked with `dpkg -x` into .cache/corpus/ (gitignored). Downloads are cached and reused; nothing
 * here is committed. Credits: PngSuite by Willem van Schaik (libsixel-examples, "free for any use");
 * EXIF orientation samples from the disintegration/imaging Go library (MIT); photos from the Lomiri
 * wallpapers (CC-BY-SA).
 */
export const CORPUS_DIR = resolve(__dirname, '..', '..', '.cache', 'corpus')

export const CORPUS_PACKAGES = {
  pngsuite: 'libsixel-examples',
  orientation: 'golang-github-disintegration-imaging-dev',
  photos: 'lomiri-wallpapers-20.04'
} as const

/** The unpacked root of one Debian package, downloading it on first use. Throws a clear error offline. */
export function debianPackage(pkg: string): string {
  const root = join(CORPUS_DIR, pkg)
  if (existsSync(join(root, '.complete'))) return root
  const debDir = join(CORPUS_DIR, 'debs')
  mkdirSync(debDir, { recursive: true })
  let deb = readdirSync(debDir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))
  if (!deb) {
    const tmp = mkdtempSync(join(CORPUS_DIR, '.download-'))
    try {
      execFileSync('apt-get', ['download', pkg], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true })
      const detail = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)
      throw new Error(
        `Test corpus unavailable: "apt-get download ${pkg}" failed (${detail}). These tests need Debian's apt ` +
          `repositories (network) once; the package is then cached in .cache/corpus/debs.`,
        { cause: err }
      )
    }
    const fetched = readdirSync(tmp).find((f) => f.endsWith('.deb'))
    if (!fetched) throw new Error(`Test corpus unavailable: apt-get download ${pkg} produced no .deb file.`)
    renameSync(join(tmp, fetched), join(debDir, fetched))
    rmSync(tmp, { recursive: true, force: true })
    deb = fetched
  }
  // Unpack beside, then rename, so a concurrent test never sees a half-unpacked tree.
  const staging = mkdtempSync(join(CORPUS_DIR, '.unpack-'))
  execFileSync('dpkg', ['-x', join(debDir, deb), staging])
  execFileSync('touch', [join(staging, '.complete')])
  try {
    renameSync(staging, root)
  } catch {
    rmSync(staging, { recursive: true, force: true })
    if (!existsSync(join(root, '.complete'))) throw new Error(`Test corpus: could not unpack ${pkg} into ${root}.`)
  }
  return root
}

const listDir = (dir: string, pattern: RegExp) =>
  readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => join(dir, f))

/** PngSuite: every valid sample (by folder) and the 14 deliberately corrupted x*.png files. */
export function pngSuite(): { valid: string[]; corrupted: string[] } {
  const base = join(debianPackage(CORPUS_PACKAGES.pngsuite), 'usr/share/doc/libsixel-examples/examples/images/pngsuite')
  const valid: string[] = []
  for (const group of readdirSync(base).sort()) {
    if (group === 'corrupted') continue
    valid.push(...listDir(join(base, group), /\.png$/))
  }
  return { valid, corrupted: listDir(join(base, 'corrupted'), /^x.*\.png$/) }
}

/** orientation_1..8.jpg: the same picture stored eight ways with the EXIF tag that makes each upright. */
export function orientationSamples(): { upright: string; byOrientation: Map<number, string> } {
  const dir = join(debianPackage(CORPUS_PACKAGES.orientation), 'usr/share/gocode/src/github.com/disintegration/imaging/testdata')
  const byOrientation = new Map<number, string>()
  for (let o = 1; o <= 8; o++) byOrientation.set(o, join(dir, `orientation_${o}.jpg`))
  return { upright: join(dir, 'orientation_0.jpg'), byOrientation }
}

/** Real camera-sized photos (4–24 MP JPEGs). */
export function realPhotos(): string[] {
  return listDir(join(debianPackage(CORPUS_PACKAGES.photos), 'usr/share/backgrounds'), /\.jpg$/i)
}
