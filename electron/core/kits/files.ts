import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { KIT_FILE, KIT_JSON_FORMAT, kitDocumentSchema, kitManifestSchema, MAX_KIT_IMAGE_BYTES, type KitDocument } from '../../../shared/kits'
import { readJsonFile, writeJsonAtomic } from '../atomic'
import { detectImageFormat, FORMAT_MIME, SNIFF_BYTES } from '../imageformat'
import { findKit, saveKit, type Kit, type KitContent, type KitImage } from './store'

/**
 * Brand kit import and export: a folder (`kit.json` beside the images, the form kept in the data folder)
 * or one JSON file with the images embedded as data URLs (easy to mail or keep in a repository). Every
 * problem names the file and the field.
 */

const invalid = (message: string, path: string) => new AppError({ code: 'validation', field: 'kit', path, message })

function firstIssue(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const issue = error.issues[0]
  return `${issue?.path.map(String).join('.') || 'kit'} ${issue?.message ?? 'is invalid'}`
}

async function readKitFolder(dir: string): Promise<{ name: string; description?: string; snippets: string[]; images: KitImage[] }> {
  const manifestPath = join(dir, KIT_FILE)
  const read = await readJsonFile(manifestPath)
  if (read.kind === 'missing') throw invalid(`${dir} is not a brand kit folder: it has no ${KIT_FILE}.`, manifestPath)
  if (read.kind !== 'ok') throw invalid(`${manifestPath} cannot be read: ${read.reason}.`, manifestPath)
  const parsed = kitManifestSchema.safeParse(read.value)
  if (!parsed.success) throw invalid(`${manifestPath}: ${firstIssue(parsed.error)}.`, manifestPath)
  const images: KitImage[] = []
  for (const ref of parsed.data.references) {
    const path = join(dir, ref.file)
    const size = await stat(path).then(
      (s) => s.size,
      () => -1
    )
    if (size < 0) throw invalid(`${manifestPath} names ${ref.file}, which is not in the folder.`, path)
    if (size > MAX_KIT_IMAGE_BYTES) throw invalid(`${path} is ${Math.round(size / 1048576)} MB; at most ${MAX_KIT_IMAGE_BYTES / 1048576} MB per kit image.`, path)
    images.push({ file: ref.file, ...(ref.role ? { role: ref.role } : {}), bytes: await readFile(path) })
  }
  const { name, description, snippets } = parsed.data
  return { name, ...(description ? { description } : {}), snippets, images }
}

async function readKitDocument(path: string): Promise<{ name: string; description?: string; snippets: string[]; images: KitImage[] }> {
  const read = await readJsonFile(path)
  if (read.kind !== 'ok') throw invalid(`${path} cannot be read: ${read.kind === 'missing' ? 'it does not exist' : read.reason}.`, path)
  const parsed = kitDocumentSchema.safeParse(read.value)
  if (!parsed.success) throw invalid(`${path} is not a brand kit file (${firstIssue(parsed.error)}).`, path)
  const images = parsed.data.references.map((ref): KitImage => {
    const comma = ref.dataUrl.indexOf(',')
    return { file: ref.file, ...(ref.role ? { role: ref.role } : {}), bytes: Buffer.from(ref.dataUrl.slice(comma + 1), 'base64') }
  })
  const { name, description, snippets } = parsed.data
  return { name, ...(description ? { description } : {}), snippets, images }
}

/** A kit folder or a kit JSON file read whole (not yet checked image by image: saving does that). */
export async function readKitSource(source: string): Promise<KitContent> {
  const info = await stat(source).catch(() => null)
  if (!info) throw invalid(`${source} does not exist.`, source)
  return info.isDirectory() ? readKitFolder(source) : readKitDocument(source)
}

/** Imports a kit folder or a kit JSON file into the data folder (checked whole; nothing kept on a problem). */
export async function importKit(dataDir: string, source: string, options: { replace?: boolean; name?: string } = {}): Promise<Kit> {
  const content = await readKitSource(source)
  return saveKit(dataDir, { ...content, ...(options.name ? { name: options.name } : {}) }, options)
}

/**
 * Writes a kit as a folder (a new or empty folder) or as one JSON file (which must not exist yet, unless
 * `overwrite`: a file the user chose in a save dialog, which has already asked about replacing it).
 */
export async function exportKit(dataDir: string, nameOrId: string, dest: string, form: 'folder' | 'json', options: { overwrite?: boolean } = {}): Promise<{ kit: Kit; path: string }> {
  const kit = await findKit(dataDir, nameOrId)
  const existing = await stat(dest).catch(() => null)
  if (form === 'json') {
    if (existing && !(options.overwrite && existing.isFile())) throw invalid(`${dest} already exists; choose a new file name for the export.`, dest)
    const doc: KitDocument = {
      format: KIT_JSON_FORMAT,
      version: 1,
      name: kit.manifest.name,
      ...(kit.manifest.description ? { description: kit.manifest.description } : {}),
      snippets: kit.manifest.snippets,
      references: await Promise.all(
        kit.references.map(async (ref) => {
          const bytes = await readFile(ref.path)
          const format = detectImageFormat(bytes.subarray(0, SNIFF_BYTES))
          const mime = format ? FORMAT_MIME[format] : 'image/png'
          return { file: ref.file, ...(ref.role ? { role: ref.role } : {}), dataUrl: `data:${mime};base64,${bytes.toString('base64')}` }
        })
      )
    }
    await writeJsonAtomic(dest, doc)
    return { kit, path: dest }
  }
  if (existing && (!existing.isDirectory() || (await readdir(dest)).length > 0)) {
    throw invalid(`${dest} already exists and is not an empty folder; export into a new folder.`, dest)
  }
  await mkdir(dest, { recursive: true })
  for (const ref of kit.references) await copyFile(ref.path, join(dest, basename(ref.path)))
  await writeJsonAtomic(join(dest, KIT_FILE), kit.manifest)
  return { kit, path: dest }
}
