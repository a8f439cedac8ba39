import { z } from 'zod'
import { AppError, type AppErrorData } from './errors'
import { factsOf, providerIds, providerNamesWhere, type ProviderId } from './providers'
import type { RequestKind, RequestParams } from './records'

/**
 * The model catalog: which image models exist, what each accepts, and what an output costs in Pixapi
 * credits. It is data (resources/models.json) because model ids change often; this module holds the
 * schema and the pure rules built on it, so the renderer's model picker and cost badge and the main
 * process's pre-flight validation give the same answers.
 */

const sizeTokenSchema = z.string().regex(/^(\d+x\d+|\d+K|auto)$/, 'a size is "WxH", "1K"/"2K"/"4K" or "auto"')

/** Free-form sizes some models take (gpt-image-2: any WxH within limits). */
const sizeRuleSchema = z.object({
  multipleOf: z.number().int().min(1),
  minEdge: z.number().int().min(1),
  maxLongEdge: z.number().int().min(1),
  maxPixels: z.number().int().min(1),
  /** Long edge ÷ short edge may not exceed this. */
  maxAspect: z.number().min(1)
})

const capabilitiesSchema = z.object({
  kinds: z.array(z.enum(['edit', 'generate'])).min(1),
  sizes: z.array(sizeTokenSchema).min(1),
  sizeRule: sizeRuleSchema.optional(),
  /** Empty: the model takes no quality field, so none is sent. */
  qualities: z.array(z.string()),
  aspectRatios: z.array(z.string()),
  backgrounds: z.array(z.string()),
  outputFormats: z.array(z.string()),
  inputFidelities: z.array(z.string()),
  /** Empty: the route always answers one way and the field is not sent. */
  responseFormats: z.array(z.enum(['url', 'b64_json'])),
  minInputs: z.number().int().min(0),
  maxInputs: z.number().int().min(0),
  inputFormats: z.array(z.string()).min(1),
  maxInputBytes: z.number().int().min(1),
  /** All inputs together (Gemini caps the whole inline request). */
  maxTotalInputBytes: z.number().int().min(1).optional(),
  maxN: z.number().int().min(1),
  maxPromptChars: z.number().int().min(1),
  /** The route's API takes a mask part for inpainting (OpenAI's edits endpoint); other routes get the crop-and-composite treatment. */
  masks: z.boolean().default(false)
})
export type Capabilities = z.infer<typeof capabilitiesSchema>

/** Credits per output image: the first tier whose maxLongEdge covers the size's long edge wins. */
const priceTierSchema = z.object({
  maxLongEdge: z.number().int().min(1),
  credits: z.union([z.number().min(0), z.record(z.string(), z.number().min(0))])
})

const pricingSchema = z.object({
  tiers: z.array(priceTierSchema).min(1),
  /** Long edge used to price size "auto" (Pixapi bills gpt-image-2 auto at the 1K tier). */
  autoLongEdge: z.number().int().min(1),
  /** Quality used when none is given, and how qualities without their own price are billed (auto → high). */
  defaultQuality: z.string().optional(),
  qualityBilledAs: z.record(z.string(), z.string()).default({}),
  note: z.string().optional()
})

const modelEntrySchema = z.object({
  id: z.string().min(1),
  aliases: z.array(z.string()).default([]),
  label: z.string().min(1),
  family: z.enum(['gemini', 'gpt', 'other']),
  /** Routes that serve this id, each with the capabilities it narrows (e.g. Gemini direct: n = 1). */
  routes: z.partialRecord(z.enum(providerIds), capabilitiesSchema.partial()),
  /** How a mask reaches the model: `native` as a mask part (GPT image), `crop` only the masked region (no mask parameter). */
  masks: z.enum(['native', 'crop']).optional(),
  capabilities: capabilitiesSchema,
  /** Pixapi credits. Null when Pixapi does not sell the model (direct-route only) or the price is unknown. */
  pricing: pricingSchema.nullable(),
  /** Date after which the provider stops serving the id, when announced. */
  retires: z.string().optional(),
  custom: z.boolean().default(false)
})
export type ModelEntry = z.infer<typeof modelEntrySchema>

export const catalogDataSchema = z
  .object({
    version: z.literal(1),
    updated: z.string(),
    models: z.array(modelEntrySchema).min(1)
  })
  .superRefine((data, ctx) => {
    const seen = new Map<string, string>()
    data.models.forEach((m, i) => {
      for (const name of [m.id, ...m.aliases]) {
        const key = name.toLowerCase()
        const owner = seen.get(key)
        if (owner) ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `"${name}" is used by both ${owner} and ${m.id}` })
        seen.set(key, m.id)
      }
      if (m.pricing) {
        for (const size of m.capabilities.sizes) {
          if (priceFor(m, size, m.pricing.defaultQuality, 1) === null) {
            ctx.addIssue({ code: 'custom', path: ['models', i, 'pricing'], message: `${m.id} has no price for size ${size}` })
          }
        }
      }
    })
  })
export type CatalogData = z.infer<typeof catalogDataSchema>

/** A model id the user typed that the catalog does not know, with the route it should go to. */
export const customModelSchema = z.object({
  id: z
    .string()
    .trim()
    .min(1, 'Type a model id')
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@-]*$/, 'Model ids use letters, digits and . _ : / @ -'),
  provider: z.enum(providerIds),
  /** Known model whose limits the custom one borrows (e.g. a renamed Gemini id). */
  basedOn: z.string().optional(),
  label: z.string().optional()
})
export type CustomModel = z.infer<typeof customModelSchema>

export function findModel(models: readonly ModelEntry[], idOrAlias: string): ModelEntry | undefined {
  const key = idOrAlias.trim().toLowerCase()
  return models.find((m) => m.id.toLowerCase() === key || m.aliases.some((a) => a.toLowerCase() === key))
}

/** The capabilities a model has on one route, or undefined when that route does not serve it. */
export function capabilitiesFor(model: ModelEntry, provider: ProviderId): Capabilities | undefined {
  const narrowed = model.routes[provider]
  return narrowed ? { ...model.capabilities, ...narrowed } : undefined
}

/** Limits for a custom id with no known base: wide enough not to block a new model, still bounded. */
export const permissiveCapabilities: Capabilities = {
  kinds: ['edit', 'generate'],
  sizes: ['auto', '1024x1024', '1536x1024', '1024x1536', '1K', '2K', '4K'],
  sizeRule: { multipleOf: 1, minEdge: 64, maxLongEdge: 8192, maxPixels: 8192 * 8192, maxAspect: 4 },
  qualities: ['low', 'medium', 'high', 'auto'],
  aspectRatios: ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'],
  backgrounds: ['transparent', 'opaque', 'auto'],
  outputFormats: ['png', 'jpeg', 'webp'],
  inputFidelities: ['high', 'low'],
  responseFormats: [],
  minInputs: 0,
  maxInputs: 16,
  inputFormats: ['png', 'jpeg', 'webp'],
  maxInputBytes: 50 * 1024 * 1024,
  maxN: 10,
  maxPromptChars: 32000,
  masks: false
}

export function customModelEntry(custom: CustomModel, base?: ModelEntry): ModelEntry {
  const capabilities = base ? (capabilitiesFor(base, custom.provider) ?? base.capabilities) : permissiveCapabilities
  return {
    id: custom.id,
    aliases: [],
    label: custom.label ?? `${custom.id} (custom)`,
    family: base?.family ?? 'other',
    routes: { [custom.provider]: {} },
    capabilities,
    pricing: base?.pricing ?? null,
    custom: true
  }
}

/** Long edge in pixels a size asks for, or null for "auto". Named sizes follow Gemini's imageSize. */
function sizeLongEdge(size: string): number | null {
  if (size === 'auto') return null
  const named = /^(\d+)K$/.exec(size)
  if (named) return Number(named[1]) * 1024
  const wh = parseSize(size)
  return wh ? Math.max(wh.width, wh.height) : null
}

export function parseSize(size: string): { width: number; height: number } | null {
  const m = /^(\d+)x(\d+)$/.exec(size)
  return m ? { width: Number(m[1]), height: Number(m[2]) } : null
}

/**
 * Credits for n outputs at a size and quality, or null when the catalog has no price (custom model,
 * direct-route-only model, or a size outside every tier).
 */
export function priceFor(model: ModelEntry, size: string | undefined, quality: string | undefined, n: number): number | null {
  const pricing = model.pricing
  if (!pricing) return null
  const edge = sizeLongEdge(size ?? 'auto') ?? pricing.autoLongEdge
  const tier = pricing.tiers.find((t) => edge <= t.maxLongEdge)
  if (!tier) return null
  if (typeof tier.credits === 'number') return tier.credits * n
  const asked = quality ?? pricing.defaultQuality
  const billed = asked ? (pricing.qualityBilledAs[asked] ?? asked) : undefined
  const each = billed === undefined ? undefined : tier.credits[billed]
  return each === undefined ? null : each * n
}

/** What validation needs to know about one input before anything is sent. */
export interface InputFacts {
  source: 'file' | 'url' | 'data'
  /** Detected from content, never from a file name. */
  format?: string
  bytes?: number
  label: string
}

export interface RequestFacts {
  kind: RequestKind
  provider: ProviderId
  route: 'sync' | 'async'
  prompt: string
  params: RequestParams
  inputs: InputFacts[]
}

const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ')

/** Where a web-URL input would be fetched for this model instead, if any of its routes does that. */
function urlAlternative(model: ModelEntry): string {
  const names = providerNamesWhere((f) => f.urlInputs, Object.keys(model.routes))
  return names ? ` or use ${names}` : ''
}

const mb = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`

function sizeIssue(size: string, caps: Capabilities, modelId: string): string | null {
  if (caps.sizes.includes(size)) return null
  const rule = caps.sizeRule
  const wh = parseSize(size)
  if (rule && wh) {
    const long = Math.max(wh.width, wh.height)
    const short = Math.min(wh.width, wh.height)
    if (wh.width % rule.multipleOf || wh.height % rule.multipleOf) return `both sides must be multiples of ${rule.multipleOf}`
    if (short < rule.minEdge) return `the short side must be at least ${rule.minEdge} px`
    if (long > rule.maxLongEdge) return `the long side may be at most ${rule.maxLongEdge} px`
    if (wh.width * wh.height > rule.maxPixels) return `at most ${rule.maxPixels} pixels`
    if (long / short > rule.maxAspect) return `the aspect ratio may be at most ${rule.maxAspect}:1`
    return null
  }
  return `${modelId} accepts sizes ${list(caps.sizes)}${rule ? ` or any WxH (multiples of ${rule.multipleOf}, long side ≤ ${rule.maxLongEdge})` : ''}`
}

/**
 * Every reason the request would be refused, checked against the catalog before a byte is sent (a
 * refused request must never spend credits). Empty when the request is acceptable.
 */
export function requestIssues(model: ModelEntry, req: RequestFacts): AppErrorData[] {
  const issues: AppErrorData[] = []
  const add = (field: string, message: string) => issues.push({ code: 'validation', field, message })
  const caps = capabilitiesFor(model, req.provider)
  if (!caps) {
    const routes = Object.keys(model.routes)
    add('provider', `${model.id} is not served by ${req.provider}; it is available through ${list(routes)}.`)
    return issues
  }
  if (req.route === 'async' && !factsOf(req.provider).asyncTasks) add('route', `Only ${providerNamesWhere((f) => f.asyncTasks)} offers asynchronous tasks; use route "sync".`)
  if (!caps.kinds.includes(req.kind)) add('kind', `${model.id} does not support ${req.kind === 'edit' ? 'edits' : 'generations'}.`)

  const prompt = req.prompt.trim()
  if (!prompt) add('prompt', 'The prompt is empty: describe the edit or image you want.')
  else if (req.prompt.length > caps.maxPromptChars) {
    add('prompt', `The prompt has ${req.prompt.length} characters; ${model.id} accepts at most ${caps.maxPromptChars}.`)
  }

  const { params } = req
  if (!Number.isInteger(params.n) || params.n < 1 || params.n > caps.maxN) {
    // Named when the route, not the model, sets the limit (Gemini direct returns one image per call).
    const onRoute = model.routes[req.provider]?.maxN !== undefined ? ` on the ${factsOf(req.provider).name} route` : ''
    add('n', `n (images per request) must be between 1 and ${caps.maxN} for ${model.id}${onRoute}.`)
  }
  if (params.size !== undefined) {
    const why = sizeIssue(params.size, caps, model.id)
    if (why) add('size', `Size "${params.size}" is not allowed: ${why}.`)
  }
  const choice = (field: string, value: string | undefined, allowed: string[], what: string) => {
    if (value === undefined) return
    if (!allowed.length) add(field, `${model.id} has no ${what} setting on ${req.provider}; leave it unset.`)
    else if (!allowed.includes(value)) add(field, `${what} "${value}" is not allowed for ${model.id}; choose ${list(allowed)}.`)
  }
  choice('quality', params.quality, caps.qualities, 'quality')
  choice('aspectRatio', params.aspectRatio, caps.aspectRatios, 'aspect ratio')
  choice('background', params.background, caps.backgrounds, 'background')
  choice('outputFormat', params.outputFormat, caps.outputFormats, 'output format')
  choice('inputFidelity', params.inputFidelity, caps.inputFidelities, 'input fidelity')
  choice('responseFormat', params.responseFormat, caps.responseFormats, 'response format')
  if (params.outputCompression !== undefined) {
    if (!caps.outputFormats.length) add('outputCompression', `${model.id} has no output compression setting; leave it unset.`)
    else if (params.outputCompression < 0 || params.outputCompression > 100) add('outputCompression', 'Output compression must be between 0 and 100.')
  }
  if (params.background === 'transparent' && params.outputFormat === 'jpeg') {
    add('background', 'A transparent background needs output format "png" or "webp".')
  }

  const count = req.inputs.length
  const minInputs = req.kind === 'edit' ? Math.max(1, caps.minInputs) : 0
  if (count < minInputs) add('inputs', `An edit needs at least ${minInputs} input image${minInputs > 1 ? 's' : ''}.`)
  if (req.kind === 'generate' && count > 0) add('inputs', 'A generation takes no input images; use an edit to work from images.')
  else if (count > caps.maxInputs) add('inputs', tooManyInputs(model.id, caps.maxInputs, count, req.kind))
  let total = 0
  req.inputs.forEach((input, i) => {
    const field = `inputs[${i}]`
    // Every input after the first of an edit is a reference image; say so, the user thinks of it that way.
    const label = req.kind === 'edit' && i > 0 ? `Reference image ${i} (${input.label})` : input.label
    if (input.format === 'unknown') add(field, `${label} is not an image that can be read (damaged, or not ${list(caps.inputFormats)}); nothing was sent.`)
    else if (input.format !== undefined && !caps.inputFormats.includes(input.format)) {
      add(field, `${label} is ${input.format.toUpperCase()}; ${model.id} accepts ${list(caps.inputFormats)}.`)
    }
    if (input.bytes !== undefined) {
      total += input.bytes
      if (input.bytes === 0) add(field, `${label} is empty.`)
      else if (input.bytes > caps.maxInputBytes) add(field, `${label} is ${mb(input.bytes)}; ${model.id} accepts at most ${mb(caps.maxInputBytes)} per image.`)
    }
    if (input.source === 'url' && !factsOf(req.provider).urlInputs) {
      add(field, `The ${factsOf(req.provider).name} route takes local files or data URLs, not web URLs: download ${label} first${urlAlternative(model)}.`)
    }
  })
  if (caps.maxTotalInputBytes !== undefined && total > caps.maxTotalInputBytes) {
    add('inputs', `The inputs total ${mb(total)}; ${model.id} accepts at most ${mb(caps.maxTotalInputBytes)} in one request.`)
  }
  return issues
}

/** The count limit in the user's terms: an edit is the image edited plus its reference images. */
function tooManyInputs(modelId: string, max: number, count: number, kind: RequestKind): string {
  if (kind !== 'edit') return `${modelId} accepts at most ${max} input image${max === 1 ? '' : 's'}; ${count} were given.`
  const refs = max - 1
  const allowed = refs > 0 ? `the image to edit plus at most ${refs} reference image${refs === 1 ? '' : 's'}` : 'only the image to edit, no reference images'
  return `${modelId} accepts at most ${max} input image${max === 1 ? '' : 's'} (${allowed}); ${count} were given (1 + ${count - 1} references).`
}

/** Throws the first issue as an AppError (code "validation", field named, allowed values listed). */
export function assertRequestValid(model: ModelEntry, req: RequestFacts): void {
  const first = requestIssues(model, req)[0]
  if (first) throw new AppError(first)
}

/**
 * How a masked edit reaches a model: the catalog's word, else by family (GPT image models take a mask
 * part; the others have no mask parameter and are sent the masked region only).
 */
export function maskRouteFor(model: ModelEntry): 'native' | 'crop' {
  return model.masks ?? (model.family === 'gpt' ? 'native' : 'crop')
}
