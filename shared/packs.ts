import { z } from 'zod'
import type { AppErrorData } from './errors'

/**
 * Channel packs: one picture made ready for several places at once (a marketplace, social formats, a web
 * page, print). A pack is a named list of targets, each an exact frame with its file rules. The model is
 * asked for its nearest native frame; sharp then finishes the answer to the exact pixels, background and
 * file size, and every output is checked against its target's rules.
 *
 * Shared so the window's pack editor, the command line and the main process validate packs the same way.
 */

export const packFormats = ['jpeg', 'png', 'webp'] as const
/** keep: as the model made it; white: pure white (255,255,255) up to every edge; transparent: alpha. */
export const packBackgrounds = ['keep', 'white', 'transparent'] as const
/** recompose: the model rearranges the scene for the frame; crop / pad: the model keeps it, sharp cuts or extends. */
export const packMethods = ['recompose', 'crop', 'pad'] as const

export const packIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'pack ids use lower-case letters, digits and - (at most 64)')

const aspectRatioSchema = z
  .string()
  .regex(/^\d{1,2}:\d{1,2}$/, 'an aspect ratio looks like 4:5')
  .refine((r) => !r.split(':').includes('0'), 'an aspect ratio has no 0 side')

export const packTargetSchema = z
  .object({
    name: z.string().trim().min(1, 'give the target a name').max(80),
    /** The exact frame in pixels; both or neither (then `aspectRatio` at the model's largest size). */
    width: z.number().int().min(16).max(16384).optional(),
    height: z.number().int().min(16).max(16384).optional(),
    aspectRatio: aspectRatioSchema.optional(),
    format: z.enum(packFormats).default('jpeg'),
    /** Encoder quality for JPEG and WebP (1-100); stepped down when the file must fit `maxBytes`. */
    quality: z.number().int().min(1).max(100).default(90),
    maxBytes: z.number().int().min(1024).max(512 * 1024 * 1024).optional(),
    background: z.enum(packBackgrounds).default('keep'),
    method: z.enum(packMethods).default('recompose'),
    /** Share of the frame the product should take, told to the model (a marketplace main image: 0.85). */
    fill: z.number().min(0.1).max(1).optional(),
    /** Further instructions for this target only. */
    notes: z.string().trim().max(1000).optional()
  })
  .strict()
  .superRefine((t, ctx) => {
    const exact = t.width !== undefined || t.height !== undefined
    if (exact && (t.width === undefined || t.height === undefined)) {
      ctx.addIssue({ code: 'custom', path: [t.width === undefined ? 'width' : 'height'], message: 'give both width and height' })
    }
    if (exact && t.aspectRatio) ctx.addIssue({ code: 'custom', path: ['aspectRatio'], message: 'give either width and height or an aspect ratio, not both' })
    if (!exact && !t.aspectRatio) ctx.addIssue({ code: 'custom', path: ['width'], message: 'give width and height, or an aspect ratio for the largest size the model makes' })
    if (t.background === 'transparent' && t.format === 'jpeg') ctx.addIssue({ code: 'custom', path: ['format'], message: 'a transparent background needs PNG or WebP' })
    if (t.width && t.height && Math.max(t.width, t.height) / Math.min(t.width, t.height) > 8) {
      ctx.addIssue({ code: 'custom', path: ['width'], message: 'the frame may be at most 8 times as long as it is wide' })
    }
  })
export type PackTarget = z.output<typeof packTargetSchema>

/** What a person writes when making or editing a pack. */
export const packInputSchema = z
  .object({
    name: z.string().trim().min(1, 'give the pack a name').max(80),
    description: z.string().trim().max(300).optional(),
    targets: z.array(packTargetSchema).min(1, 'a pack needs at least one target').max(24, 'a pack has at most 24 targets')
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>()
    p.targets.forEach((t, i) => {
      const key = t.name.toLowerCase()
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `"${t.name}" is used by two targets; give each its own name` })
      seen.add(key)
    })
  })
export type PackInput = z.input<typeof packInputSchema>

export const storedPackSchema = z
  .object({
    id: packIdSchema,
    name: z.string(),
    description: z.string().optional(),
    targets: z.array(packTargetSchema),
    createdAt: z.string(),
    updatedAt: z.string()
  })
  .strict()
  .superRefine((p, ctx) => {
    const input = packInputSchema.safeParse({ name: p.name, description: p.description, targets: p.targets })
    if (!input.success) for (const issue of input.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
  })

export interface Pack {
  id: string
  name: string
  description?: string
  targets: PackTarget[]
  builtIn: boolean
  createdAt?: string
  updatedAt?: string
}

/** The export file: every pack a person chose, without timestamps. */
export const PACK_EXPORT_FORMAT = 'pixdesk-packs'
export const packExportSchema = z.object({
  format: z.literal(PACK_EXPORT_FORMAT),
  version: z.literal(1),
  /** Each entry is a pack's fields with its id, checked one by one so a problem names its pack. */
  packs: z.array(z.unknown()).min(1, 'the file holds no packs')
})

/** A short file-name-safe form of a name: "Link preview" → "link-preview". */
export function packSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
  return slug || 'pack'
}

const MB = 1024 * 1024
const KB = 1024

/** The packs every install has; their ids are fixed, so scripts and the command line can name them. */
export const builtInPacks: readonly Pack[] = [
  {
    id: 'marketplace',
    name: 'Marketplace',
    description: 'A main product image: 2000×2000 on pure white, the product filling most of the frame.',
    builtIn: true,
    targets: [{ name: 'Main image', width: 2000, height: 2000, format: 'jpeg', quality: 92, maxBytes: 10 * MB, background: 'white', method: 'recompose', fill: 0.85 }]
  },
  {
    id: 'social',
    name: 'Social',
    description: 'Square, portrait and story frames for social feeds.',
    builtIn: true,
    targets: [
      { name: 'Square', width: 1080, height: 1080, format: 'jpeg', quality: 90, maxBytes: 8 * MB, background: 'keep', method: 'recompose' },
      { name: 'Portrait', width: 1080, height: 1350, format: 'jpeg', quality: 90, maxBytes: 8 * MB, background: 'keep', method: 'recompose' },
      { name: 'Story', width: 1080, height: 1920, format: 'jpeg', quality: 90, maxBytes: 8 * MB, background: 'keep', method: 'recompose' }
    ]
  },
  {
    id: 'web',
    name: 'Web',
    description: 'A page hero and a link preview, light enough for the web.',
    builtIn: true,
    targets: [
      { name: 'Hero', width: 1920, height: 1080, format: 'webp', quality: 82, maxBytes: 600 * KB, background: 'keep', method: 'recompose' },
      { name: 'Link preview', width: 1200, height: 628, format: 'jpeg', quality: 85, maxBytes: 300 * KB, background: 'keep', method: 'recompose' }
    ]
  },
  {
    id: 'print',
    name: 'Print',
    description: '4:5 at the largest size the model makes.',
    builtIn: true,
    targets: [{ name: 'Print 4:5', aspectRatio: '4:5', format: 'jpeg', quality: 95, background: 'keep', method: 'recompose' }]
  }
]

// ---------- finishing and checks (carried by a job item, stored with each output) ----------

/** What finishing does to one answer: fixed when the item is created, so a retry finishes it the same way. */
export const packFinishSchema = z.object({
  packId: z.string().max(80),
  packName: z.string().max(80),
  target: z.string().max(80),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  format: z.enum(packFormats),
  quality: z.number().int().min(1).max(100),
  maxBytes: z.number().int().min(1).optional(),
  background: z.enum(packBackgrounds),
  method: z.enum(packMethods),
  /** Transparent wanted from a model without a transparent setting: the white edge region is keyed out. */
  keyOutWhite: z.boolean().default(false)
})
export type PackFinish = z.infer<typeof packFinishSchema>

export const outputCheckRules = ['size', 'bytes', 'white-border', 'transparent-border'] as const
export const outputCheckSchema = z.object({
  rule: z.enum(outputCheckRules),
  passed: z.boolean(),
  /** In words, with what was measured: "1080×1350 as asked", "84% of the border is pure white; at least 90% is needed". */
  message: z.string().max(500),
  measured: z.number().optional()
})
export type OutputCheck = z.infer<typeof outputCheckSchema>

/** How an output was finished for its target, and whether it meets the target's rules. */
export const outputFinishSchema = z.object({
  packId: z.string().max(80),
  target: z.string().max(80),
  /** The model's answer before finishing. */
  from: z.object({ width: z.number().int(), height: z.number().int() }),
  /** The steps taken, in words: "scaled 2048×2048 to cover 2000×2000, edge whitened, JPEG q92". */
  steps: z.string().max(500),
  /** Enlarged by this factor because the model's answer was smaller than the frame (flagged). */
  upscaled: z.number().optional(),
  /** The encoder quality used in the end (lowered to fit the byte cap). */
  quality: z.number().int().optional(),
  checks: z.array(outputCheckSchema)
})
export type OutputFinish = z.infer<typeof outputFinishSchema>

/** Share of the border that must be pure white (or fully transparent) for the background check to pass. */
export const BORDER_PASS_SHARE = 0.9

// ---------- plans (what the window and the command line show before anything is sent) ----------

export interface PackFramePlan {
  /** The size parameter sent ("2K", "1024x1536"). */
  size: string
  aspectRatio?: string
  /** Pixels the model is expected to answer with. */
  width: number
  height: number
  /** "2K 4:5 (1856×2304)". */
  label: string
}

export interface PackTargetPlan {
  target: string
  width: number
  height: number
  format: PackTarget['format']
  background: PackTarget['background']
  method: PackTarget['method']
  maxBytes?: number
  model: PackFramePlan
  /** Finishing in words: "scale to cover 2000×2000, edge whitened, JPEG q92, ≤ 10 MB". */
  finishing: string
  /** > 1 when the model cannot make a frame this large and sharp would enlarge its answer. */
  upscale: number | null
  /** Why the target needs upscaling, in words, when it does. */
  problem?: string
  /** Credits per image for this target; null when the catalog has no price. */
  price: number | null
  prompt: string
}

export interface PackPlan {
  packId: string
  packName: string
  model: string
  provider: string
  targets: PackTargetPlan[]
  images: number
  /** Credits for one image through every target; null when a target has no price. */
  perImage: number | null
  /** perImage × images; null when unpriced. */
  total: number | null
  /** Targets the model cannot reach without enlarging; a run needs the user's consent to upscale. */
  needsUpscale: string[]
}

/** A plan for chosen library images: the images that cannot be sent are named with the reason. */
export interface PackPlanView extends PackPlan {
  problems: Array<{ assetId: string; error: AppErrorData }>
}

/** What the window sends to plan or run a pack: library images, a pack and a model. */
export const packRunRequestSchema = z
  .object({
    packId: z.string().trim().min(1).max(80),
    assetIds: z.array(z.string().min(1).max(200)).min(1).max(2000),
    model: z.string().trim().min(1).max(200),
    extraPrompt: z.string().max(8000).optional(),
    quality: z.string().max(32).optional(),
    allowUpscale: z.boolean().default(false),
    outputDir: z.string().min(1).max(4096).optional()
  })
  .strict()
export type PackRunRequest = z.output<typeof packRunRequestSchema>
