import { z } from 'zod'
import { MAX_REFERENCES, referenceRoleSchema } from './references'

/**
 * Brand kits: a named set of reference images (each with an optional role) plus prompt snippets, kept
 * in the data folder and reused across edits and batches. A kit travels as a folder (`kit.json` beside
 * its images) or as one JSON file with the images embedded as data URLs.
 */

export const KIT_FILE = 'kit.json'
export const KIT_JSON_FORMAT = 'pixdesk-brand-kit'
/** Per image: the largest input any catalog model takes. */
export const MAX_KIT_IMAGE_BYTES = 50 * 1024 * 1024

export const kitNameSchema = z
  .string()
  .trim()
  .min(1, 'is empty: give the kit a name')
  .max(80, 'is longer than 80 characters')
  .refine((name) => /[A-Za-z0-9]/.test(name), 'needs at least one letter or digit')

const snippetSchema = z.string().trim().min(1, 'is empty').max(4000, 'is longer than 4000 characters')

/** A file name inside a kit folder: no folders, nothing hidden, so a kit cannot point outside itself. */
const kitFileNameSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((name) => !/[\\/]/.test(name) && !name.startsWith('.') && name !== KIT_FILE, 'must be a plain file name inside the kit folder')

/** `kit.json` in a kit folder. */
export const kitManifestSchema = z.object({
  version: z.literal(1),
  name: kitNameSchema,
  description: z.string().max(1000).optional(),
  references: z.array(z.object({ file: kitFileNameSchema, role: referenceRoleSchema.optional() })).max(MAX_REFERENCES).default([]),
  snippets: z.array(snippetSchema).max(20).default([])
})
export type KitManifest = z.infer<typeof kitManifestSchema>

/** The single-file form: the manifest with each image inline. */
export const kitDocumentSchema = z.object({
  format: z.literal(KIT_JSON_FORMAT),
  version: z.literal(1),
  name: kitNameSchema,
  description: z.string().max(1000).optional(),
  references: z
    .array(
      z.object({
        file: kitFileNameSchema,
        role: referenceRoleSchema.optional(),
        dataUrl: z.string().regex(/^data:image\/[\w.+-]+;base64,/, 'must be a base64 image data URL')
      })
    )
    .max(MAX_REFERENCES)
    .default([]),
  snippets: z.array(snippetSchema).max(20).default([])
})
export type KitDocument = z.infer<typeof kitDocumentSchema>

/** A kit as lists and pickers show it. */
export interface KitView {
  id: string
  name: string
  description?: string
  /** `url`: where the window loads the image from (set by the IPC layer). */
  references: Array<{ file: string; role?: string; bytes: number; sha256: string; url?: string }>
  snippets: string[]
}

/**
 * One reference of a kit as the window edits it: a library image (named by its asset id, never a path)
 * or an image the kit already holds (named by its file in the kit folder), each with an optional role.
 */
export const kitReferenceInputSchema = z.union([
  z.object({ assetId: z.string().min(1).max(200), role: referenceRoleSchema.optional() }).strict(),
  z.object({ kitFile: kitFileNameSchema, role: referenceRoleSchema.optional() }).strict()
])
export type KitReferenceInput = z.infer<typeof kitReferenceInputSchema>

/** A kit as the window creates or saves it; images are copied into the kit folder when it is saved. */
export const kitInputSchema = z
  .object({
    name: kitNameSchema,
    description: z.string().max(1000).optional(),
    references: z.array(kitReferenceInputSchema).max(MAX_REFERENCES).default([]),
    snippets: z.array(snippetSchema).max(20).default([])
  })
  .strict()
export type KitInput = z.input<typeof kitInputSchema>

/** A kit's id (its folder name in the data folder). */
export const kitIdSchema = z.string().regex(/^[a-z0-9-]{1,100}$/, 'is not a brand kit id')
