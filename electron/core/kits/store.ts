import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { KIT_FILE, kitManifestSchema, MAX_KIT_IMAGE_BYTES, type KitManifest, type KitView } from '../../../shared/kits'
import { slugOf } from '../../../shared/templates'
import { readJsonFile, writeJsonAtomic } from '../atomic'
import { inspectFile } from '../library/inspect'

/**
 * Brand kits in the data folder: `kits/<id>/kit.json` beside the kit's images. A kit is written whole
 * into a hidden folder next to the others and renamed into place, so a crash leaves the old kit or the
 * new one, never half of one; every image is checked (it must decode) before the kit is kept.
 */

export interface KitReference {
  /** The image inside the kit folder. */
  path: string
  file: string
  role?: string
  bytes: number
  sha256: string
}

export interface Kit {
  id: string
  dir: string
  manifest: KitManifest
  references: KitReference[]
}

/** An image on its way into a kit: its bytes and the name it will have in the kit folder. */
export interface KitImage {
  file: string
  role?: string
  bytes: Buffer
}

export interface KitContent {
  name: string
  description?: string
  snippets: string[]
  images: KitImage[]
}

export function kitsDir(dataDir: string): string {
  return join(dataDir, 'kits')
}

export function kitIdOf(name: string): string {
  return slugOf(name) || 'kit'
}

const invalid = (message: string, field = 'kit', path?: string) => new AppError({ code: 'validation', field, message, ...(path ? { path } : {}) })

async function readKit(dir: string, id: string): Promise<Kit> {
  const manifestPath = join(dir, KIT_FILE)
  const read = await readJsonFile(manifestPath)
  if (read.kind !== 'ok') {
    const why = read.kind === 'missing' ? 'has no kit.json' : read.reason
    throw invalid(`The brand kit folder ${dir} cannot be used: ${why}.`, 'kit', manifestPath)
  }
  const parsed = kitManifestSchema.safeParse(read.value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw invalid(`${manifestPath}: ${issue?.path.join('.') || 'kit'} ${issue?.message ?? 'is invalid'}.`, 'kit', manifestPath)
  }
  const references = await Promise.all(
    parsed.data.references.map(async (ref): Promise<KitReference> => {
      const path = join(dir, ref.file)
      const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
        throw invalid(`Brand kit "${parsed.data.name}": its image ${ref.file} cannot be read (${err.code ?? err.message}).`, 'kit', path)
      })
      return { path, file: ref.file, ...(ref.role ? { role: ref.role } : {}), bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
    })
  )
  return { id, dir, manifest: parsed.data, references }
}

/** Every kit that can be read, and a sentence for each folder that cannot. */
export async function listKits(dataDir: string): Promise<{ kits: Kit[]; warnings: string[] }> {
  const root = kitsDir(dataDir)
  const entries = await readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw err
  })
  const kits: Kit[] = []
  const warnings: string[] = []
  for (const entry of entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
    try {
      kits.push(await readKit(join(root, entry.name), entry.name))
    } catch (err) {
      warnings.push(err instanceof Error ? err.message : String(err))
    }
  }
  return { kits, warnings }
}

/** A kit by its id or its name (either case); an unknown one is refused with the names there are. */
export async function findKit(dataDir: string, nameOrId: string): Promise<Kit> {
  const { kits } = await listKits(dataDir)
  const key = nameOrId.trim().toLowerCase()
  const kit = kits.find((k) => k.id === key || k.manifest.name.toLowerCase() === key) ?? kits.find((k) => k.id === kitIdOf(nameOrId))
  if (kit) return kit
  const known = kits.map((k) => `"${k.manifest.name}"`).join(', ')
  throw new AppError({ code: 'validation', field: 'kit', message: `There is no brand kit "${nameOrId}".${known ? ` Kits: ${known}.` : ' No kits yet: import one with pixdesk kits import.'}` })
}

export function kitView(kit: Kit): KitView {
  return {
    id: kit.id,
    name: kit.manifest.name,
    ...(kit.manifest.description ? { description: kit.manifest.description } : {}),
    references: kit.references.map(({ file, role, bytes, sha256 }) => ({ file, ...(role ? { role } : {}), bytes, sha256 })),
    snippets: kit.manifest.snippets
  }
}

/** A name that is safe inside the kit folder and unique among the kit's images. */
function uniqueFileName(wanted: string, taken: Set<string>, index: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = basename(wanted.replace(/\\/g, '/')).replace(/[<>:"|?*\u0000-\u001f]/g, '_').replace(/^\.+/, '') || `reference-${index + 1}.png`
  const ext = extname(clean)
  const stem = clean.slice(0, clean.length - ext.length).slice(0, 120)
  let name = `${stem}${ext}`
  for (let n = 2; taken.has(name.toLowerCase()) || name === KIT_FILE; n++) name = `${stem}-${n}${ext}`
  taken.add(name.toLowerCase())
  return name
}

/**
 * Writes a kit into the data folder: images checked (each must be an image that decodes, within the size
 * limit; the first bad one is named and nothing is kept), then the folder renamed into place. An existing
 * kit of the same name is replaced only when asked.
 */
export async function saveKit(dataDir: string, content: KitContent, options: { replace?: boolean } = {}): Promise<Kit> {
  const manifestDraft = kitManifestSchema.safeParse({ version: 1, name: content.name, description: content.description, references: [], snippets: content.snippets })
  if (!manifestDraft.success) {
    const issue = manifestDraft.error.issues[0]
    throw invalid(`Brand kit ${issue?.path.join('.') || 'kit'} ${issue?.message ?? 'is invalid'}.`)
  }
  const id = kitIdOf(manifestDraft.data.name)
  const root = kitsDir(dataDir)
  const finalDir = join(root, id)
  const exists = await stat(finalDir).then(
    () => true,
    () => false
  )
  if (exists && !options.replace) throw invalid(`A brand kit "${manifestDraft.data.name}" already exists (folder ${id}); delete it first or replace it.`)
  const staging = join(root, `.incoming-${id}-${randomBytes(4).toString('hex')}`)
  await mkdir(staging, { recursive: true })
  try {
    const taken = new Set<string>()
    const references: KitManifest['references'] = []
    for (const [i, image] of content.images.entries()) {
      const file = uniqueFileName(image.file, taken, i)
      if (image.bytes.length > MAX_KIT_IMAGE_BYTES) throw invalid(`Brand kit image ${image.file} is ${Math.round(image.bytes.length / 1048576)} MB; at most ${MAX_KIT_IMAGE_BYTES / 1048576} MB per image.`, 'kit', image.file)
      const path = join(staging, file)
      await writeFile(path, image.bytes, { flag: 'wx' })
      const info = await inspectFile(path)
      if (!info.verdict.ok) throw invalid(`Brand kit image ${image.file} cannot be used: ${info.verdict.error.message}`, 'kit', image.file)
      references.push({ file, ...(image.role ? { role: image.role } : {}) })
    }
    const manifest = kitManifestSchema.parse({ ...manifestDraft.data, references })
    await writeJsonAtomic(join(staging, KIT_FILE), manifest)
    if (exists) {
      const retired = join(root, `.retired-${id}-${randomBytes(4).toString('hex')}`)
      await rename(finalDir, retired)
      await rename(staging, finalDir)
      await rm(retired, { recursive: true, force: true })
    } else {
      await rename(staging, finalDir)
    }
  } catch (err) {
    await rm(staging, { recursive: true, force: true })
    throw err
  }
  return readKit(finalDir, id)
}

export async function deleteKit(dataDir: string, nameOrId: string): Promise<Kit> {
  const kit = await findKit(dataDir, nameOrId)
  // Renamed away first, so a half-deleted kit is never listed.
  const retired = join(kitsDir(dataDir), `.deleted-${kit.id}-${randomBytes(4).toString('hex')}`)
  await rename(kit.dir, retired)
  await rm(retired, { recursive: true, force: true })
  return kit
}

/** The references a request takes from a kit: the kit's own copies, in the kit's order, with roles. */
export function kitReferences(kit: Kit): Array<{ path: string; role?: string }> {
  return kit.references.map((r) => ({ path: r.path, ...(r.role ? { role: r.role } : {}) }))
}
