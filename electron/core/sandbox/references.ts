import { createHash } from 'node:crypto'
import sharp from 'sharp'
import { rolesFromPrompt } from '../../../shared/references'
import type { ParsedInput } from './parse'

/**
 * What the sandbox saw of an edit's reference images (every image after the first), in the order they
 * arrived: tests compare it with what they attached, so order, content, size and role are all echoed.
 */
export interface ReferenceStat {
  /** The image number the prompt uses for it (the image edited is 1). */
  image: number
  sha256: string
  bytes: number
  format: string | null
  /** Null when the bytes do not decode (the sandbox still answers; the stats say what came). */
  width: number | null
  height: number | null
  /** The role the prompt's first line gives this image, if any (shared/references.ts). */
  role?: string
}

export interface ReferencesStat {
  count: number
  items: ReferenceStat[]
  /** The prompt began with the line naming each image. */
  prefaced: boolean
}

export async function referencesStat(inputs: readonly ParsedInput[], prompt: string): Promise<ReferencesStat> {
  const roles = rolesFromPrompt(prompt)
  const items = await Promise.all(
    inputs.slice(1).map(async (input, i): Promise<ReferenceStat> => {
      const meta = await sharp(input.bytes)
        .metadata()
        .catch(() => null)
      const role = roles?.[i + 1]
      return {
        image: i + 2,
        sha256: createHash('sha256').update(input.bytes).digest('hex'),
        bytes: input.bytes.length,
        format: input.format,
        width: meta?.width ?? null,
        height: meta?.height ?? null,
        ...(role ? { role } : {})
      }
    })
  )
  return { count: items.length, items, prefaced: roles !== null }
}
