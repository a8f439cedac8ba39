import { readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { kitInputSchema, type KitInput, type KitView } from '../../../shared/kits'
import type { Dialogs } from '../dialogs'
import type { Library } from '../library/library'
import { exportKit, readKitSource } from './files'
import { deleteKit, kitIdOf, kitView, listKits, saveKit, type Kit, type KitContent, type KitImage } from './store'

/**
 * Brand kits as the window uses them: made from library images (named by asset id), edited, duplicated,
 * deleted, and imported or exported through the native dialogs, in the same folder and JSON forms
 * `pixdesk kits import` and `export` read and write.
 */
export interface KitService {
  list(): Promise<KitView[]>
  create(input: KitInput): Promise<KitView>
  /** Saves a kit anew; a new name moves it to the new name's folder. */
  update(id: string, input: KitInput): Promise<KitView>
  duplicate(id: string): Promise<KitView>
  remove(id: string): Promise<void>
  /** Asks for a kit folder or JSON file (native dialog) and imports it; null when the user cancelled. */
  importWithDialog(form: 'folder' | 'json'): Promise<KitView | null>
  /** Asks where to put the kit (native dialog) and writes it; path null when the user cancelled. */
  exportWithDialog(id: string, form: 'folder' | 'json'): Promise<{ path: string | null }>
}

interface KitServiceOptions {
  dataDir: string
  library: Pick<Library, 'get'>
  dialogs: Dialogs
}

const MAX_NAME = 80

export function createKitService(options: KitServiceOptions): KitService {
  const { dataDir, dialogs } = options

  const kitById = async (id: string): Promise<Kit> => {
    const { kits } = await listKits(dataDir)
    const kit = kits.find((k) => k.id === id)
    if (!kit) throw new AppError({ code: 'not_found', field: 'id', message: `There is no brand kit "${id}" any more (deleted elsewhere?).` })
    return kit
  }

  /** A name no kit folder uses yet: "Acme", then "Acme 2", "Acme 3"… */
  const freeName = async (wanted: string): Promise<string> => {
    const taken = new Set((await listKits(dataDir)).kits.map((k) => k.id))
    const stem = wanted.trim().slice(0, MAX_NAME - 4)
    if (!taken.has(kitIdOf(wanted))) return wanted
    for (let n = 2; ; n++) {
      const name = `${stem} ${n}`
      if (!taken.has(kitIdOf(name))) return name
    }
  }

  /** The images a kit is saved with, in order: library images read from disk, kit images from the kit. */
  const imagesOf = async (input: ReturnType<typeof kitInputSchema.parse>, current?: Kit): Promise<KitImage[]> =>
    Promise.all(
      input.references.map(async (ref, i): Promise<KitImage> => {
        const role = ref.role ? { role: ref.role } : {}
        if ('assetId' in ref) {
          const asset = options.library.get(ref.assetId)
          const field = `references.${i}`
          if (!asset) throw new AppError({ code: 'not_found_file', field, message: `Reference ${i + 1} is no longer in the library; add it again.` })
          if (!asset.verdict.ok) throw new AppError({ code: 'validation', field, path: asset.path, message: `${basename(asset.path)} cannot be a reference: ${asset.verdict.error.message}` })
          const bytes = await readFile(asset.path).catch((err: NodeJS.ErrnoException) => {
            throw new AppError({ code: 'not_found_file', field, path: asset.path, message: `${asset.path} cannot be read (${err.code ?? err.message}).` })
          })
          return { file: basename(asset.path), ...role, bytes }
        }
        const kept = current?.references.find((r) => r.file === ref.kitFile)
        if (!kept) throw new AppError({ code: 'validation', field: `references.${i}`, message: `The kit has no image ${ref.kitFile} (it changed elsewhere); open it again.` })
        return { file: kept.file, ...role, bytes: await readFile(kept.path) }
      })
    )

  const contentOf = async (raw: KitInput, current?: Kit): Promise<KitContent> => {
    const input = kitInputSchema.parse(raw)
    return {
      name: input.name,
      ...(input.description?.trim() ? { description: input.description.trim() } : {}),
      snippets: input.snippets,
      images: await imagesOf(input, current)
    }
  }

  return {
    async list() {
      return (await listKits(dataDir)).kits.map(kitView)
    },
    async create(input) {
      return kitView(await saveKit(dataDir, await contentOf(input)))
    },
    async update(id, input) {
      const current = await kitById(id)
      const content = await contentOf(input, current)
      if (kitIdOf(content.name) === current.id) return kitView(await saveKit(dataDir, content, { replace: true }))
      // Renamed: the new folder is complete before the old one goes, so a failure leaves the kit as it was.
      const saved = await saveKit(dataDir, content)
      await deleteKit(dataDir, current.id)
      return kitView(saved)
    },
    async duplicate(id) {
      const kit = await kitById(id)
      const images = await Promise.all(kit.references.map(async (r): Promise<KitImage> => ({ file: r.file, ...(r.role ? { role: r.role } : {}), bytes: await readFile(r.path) })))
      const { name, description, snippets } = kit.manifest
      return kitView(await saveKit(dataDir, { name: await freeName(`${name.slice(0, MAX_NAME - 9)} copy`), ...(description ? { description } : {}), snippets, images }))
    },
    async remove(id) {
      await deleteKit(dataDir, (await kitById(id)).id)
    },
    async importWithDialog(form) {
      const [source] = form === 'folder' ? await dialogs.openDirectories() : await dialogs.openFiles({ filters: [{ name: 'Pixdesk brand kit (JSON)', extensions: ['json'] }] })
      if (!source) return null
      const content = await readKitSource(source)
      // A kit of the same name is kept: the import takes the next free name instead of replacing it.
      return kitView(await saveKit(dataDir, { ...content, name: await freeName(content.name) }))
    },
    async exportWithDialog(id, form) {
      const kit = await kitById(id)
      if (form === 'json') {
        const target = await dialogs.saveFile({ defaultName: `${kit.id}.json`, extensions: ['json'] })
        if (!target) return { path: null }
        return { path: (await exportKit(dataDir, kit.id, target, 'json', { overwrite: true })).path }
      }
      const [parent] = await dialogs.openDirectories()
      if (!parent) return { path: null }
      // The kit goes into a new folder inside the one chosen, named after the kit, never over other files.
      let dest = join(parent, kit.id)
      for (let n = 2; await stat(dest).then(() => true, () => false); n++) dest = join(parent, `${kit.id}-${n}`)
      return { path: (await exportKit(dataDir, kit.id, dest, 'folder')).path }
    }
  }
}
