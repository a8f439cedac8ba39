import { readFile } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'
import { z } from 'zod'
import { appErrorSchema } from '../../../shared/errors'
import type { LibraryAsset } from './types'

const assetSchema = z.object({
  id: z.string(),
  path: z.string(),
  root: z.string().optional(),
  format: z.string().nullable(),
  width: z.number(),
  height: z.number(),
  displayWidth: z.number(),
  displayHeight: z.number(),
  bytes: z.number(),
  mtimeMs: z.number(),
  orientation: z.number(),
  alpha: z.boolean(),
  space: z.string(),
  bitsPerSample: z.number(),
  pages: z.number(),
  sha256: z.string(),
  verdict: z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), error: appErrorSchema })])
})

const indexSchema = z.object({
  version: z.literal(1),
  /** Verdicts depend on the limits they were judged by: a change invalidates them. */
  limitsKey: z.string(),
  roots: z.array(z.string()),
  files: z.array(z.string()),
  assets: z.array(assetSchema)
})
export type LibraryIndex = z.infer<typeof indexSchema>

/**
 * The library as last seen, so a restart or a re-import of an unchanged folder needs only a stat per
 * file. A missing or damaged index is not an error: the library is simply rebuilt from the files.
 */
export async function loadIndex(file: string, limitsKey: string): Promise<{ roots: string[]; files: string[]; assets: LibraryAsset[] }> {
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch {
    return { roots: [], files: [], assets: [] }
  }
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return { roots: [], files: [], assets: [] }
  }
  const parsed = indexSchema.safeParse(json)
  if (!parsed.success) return { roots: [], files: [], assets: [] }
  const { roots, files } = parsed.data
  return { roots, files, assets: parsed.data.limitsKey === limitsKey ? (parsed.data.assets as LibraryAsset[]) : [] }
}

export async function saveIndex(file: string, index: LibraryIndex): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(index), { fsync: true })
}
