import { z } from 'zod'
import { appErrorSchema } from './errors'
import { outputFinishSchema } from './packs'
import { providerIdSchema } from './providers'

// Provider ids are declared with the rest of each provider's facts; records are where most code meets them.
export { providerIds, providerIdSchema, type ProviderId } from './providers'

/**
 * The request record: one per request to an image API, success or failure. It is what the history
 * ledger stores and what support questions are answered from. It never holds an API key.
 */

export const requestKindSchema = z.enum(['edit', 'generate'])
export type RequestKind = z.infer<typeof requestKindSchema>

/**
 * 'skipped': a file chosen for a batch that could not be used, so nothing was sent (0 credits); the
 * record keeps the file and the reason. Appended last: older ledgers hold only the first four.
 */
export const requestStatusSchema = z.enum(['succeeded', 'failed', 'cancelled', 'interrupted', 'skipped'])
export type RequestStatus = z.infer<typeof requestStatusSchema>

export const requestParamsSchema = z.object({
  n: z.number().int().min(1),
  size: z.string().optional(),
  quality: z.string().optional(),
  background: z.string().optional(),
  outputFormat: z.string().optional(),
  outputCompression: z.number().int().optional(),
  inputFidelity: z.string().optional(),
  aspectRatio: z.string().optional(),
  responseFormat: z.string().optional()
})
export type RequestParams = z.infer<typeof requestParamsSchema>

/** What was done to an input before upload (the original file is never touched). */
export const normalisationSchema = z.object({
  steps: z.array(z.string()),
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string()
})
export type Normalisation = z.infer<typeof normalisationSchema>

const recordInputSchema = z.object({
  source: z.enum(['file', 'url', 'data']),
  path: z.string().optional(),
  url: z.string().optional(),
  sha256: z.string().optional(),
  bytes: z.number().int().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  format: z.string().optional(),
  normalised: normalisationSchema.optional(),
  /** A reference image's role as given (every input after the first is a reference). */
  role: z.string().optional()
})
export type RecordInput = z.infer<typeof recordInputSchema>

const attemptSchema = z.object({
  startedAt: z.string(),
  durationMs: z.number(),
  status: z.number().int().optional(),
  errorCode: z.string().optional(),
  requestId: z.string().optional()
})
export type Attempt = z.infer<typeof attemptSchema>

/**
 * A result whose pixel size is not what was asked: `asked` as the request put it ("2048×2048 (2K, 1:1)"),
 * `got` as delivered ("1024×1024"). `finished` when the output was then resized to the asked size.
 */
export const sizeMismatchSchema = z.object({
  asked: z.string().max(100),
  got: z.string().max(100),
  delivered: z.object({ width: z.number().int(), height: z.number().int() }),
  finished: z.boolean()
})
export type SizeMismatch = z.infer<typeof sizeMismatchSchema>

export const recordOutputSchema = z.object({
  path: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  format: z.string(),
  sidecarPath: z.string().optional(),
  /** A masked edit's model result before compositing, kept beside the output for inspection. */
  rawPath: z.string().optional(),
  /** A pack target's output: how it was finished to the target and whether it meets the target's rules. */
  finish: outputFinishSchema.optional(),
  sizeMismatch: sizeMismatchSchema.optional(),
  /** Content Credentials: signed, or why not. Absent when they were turned off (or for older records). */
  contentCredentials: z.object({ signed: z.boolean(), note: z.string().max(300).optional() }).optional(),
  /** The source photo's EXIF (camera, copyright, captions) was copied into the output. */
  sourceExifCopied: z.boolean().optional()
})
export type RecordOutput = z.infer<typeof recordOutputSchema>

const costSchema = z.object({
  /** Credits the provider said it charged; when it did not say, the catalog estimate. */
  credits: z.number(),
  /** True when `credits` is our catalog estimate rather than the provider's figure. */
  estimated: z.boolean(),
  /** The catalog estimate, always kept so charged vs estimated can be compared. */
  estimate: z.number(),
  /** The provider reported far more credits than the catalog estimate: worth a look before trusting the figure. */
  aboveEstimate: z.boolean().optional()
})
export type Cost = z.infer<typeof costSchema>

/** The version an edit continued from: one output of an earlier request. */
export const parentRefSchema = z.object({
  recordId: z.string().min(1).max(200),
  requestId: z.string().max(200).optional(),
  /** 0-based index into the parent's outputs. */
  outputIndex: z.number().int().min(0).max(63),
  /** sha256 of the first source of the chain (the original the user started from). */
  rootSha256: z.string().max(64).optional()
})
export type ParentRef = z.infer<typeof parentRefSchema>

/**
 * How a mask was used: `native` sent as the model's mask part, `crop` only the masked region sent (models
 * without a mask parameter). `leak` is per output, measured before the result was composited.
 */
export const maskUseSchema = z.object({
  sha256: z.string().max(64),
  route: z.enum(['native', 'crop']),
  leak: z.array(z.number().min(0).max(1)),
  /** The region sent on the crop route, in the original's pixels. */
  crop: z.object({ left: z.number().int(), top: z.number().int(), width: z.number().int(), height: z.number().int() }).optional(),
  /** Why the outputs are the model's own (compositing failed): they were paid for, so they are kept. */
  note: z.string().max(500).optional()
})
export type MaskUse = z.infer<typeof maskUseSchema>

export const requestRecordSchema = z.object({
  id: z.string(),
  kind: requestKindSchema,
  provider: providerIdSchema,
  /** True when the request went to the built-in sandbox server (no real credits). */
  sandbox: z.boolean().default(false),
  route: z.enum(['sync', 'async']),
  /** Endpoint URL without query string or credentials. */
  endpoint: z.string(),
  model: z.string(),
  params: requestParamsSchema,
  prompt: z.string(),
  inputs: z.array(recordInputSchema),
  requestIds: z.array(z.string()),
  taskId: z.string().optional(),
  attempts: z.array(attemptSchema),
  startedAt: z.string(),
  finishedAt: z.string(),
  latencyMs: z.number(),
  status: requestStatusSchema,
  error: appErrorSchema.optional(),
  cost: costSchema,
  /** Provider usage as returned (OpenAI `usage` tokens, Gemini `usageMetadata`). */
  usage: z.record(z.string(), z.unknown()).optional(),
  outputs: z.array(recordOutputSchema),
  /** Outputs the provider sent beyond the n asked for: neither saved nor counted in the cost. */
  outputsDiscarded: z.number().int().nonnegative().optional(),
  /** Context from the jobs engine. */
  batchId: z.string().optional(),
  compareGroup: z.string().optional(),
  templateId: z.string().optional(),
  jobItemId: z.string().optional(),
  /** The version this edit continued from (an output of an earlier request). */
  parent: parentRefSchema.optional(),
  /** sha256 of the original at the start of this chain of edits (the first input itself when there is no parent). */
  rootSha256: z.string().optional(),
  /** A masked edit: how the mask went to the model, and per output the share of outside pixels it changed. */
  mask: maskUseSchema.optional()
})
export type RequestRecord = z.infer<typeof requestRecordSchema>

export const verdictSchema = z.enum(['a_better', 'b_better', 'tie', 'both_bad', 'pick'])
export type Verdict = z.infer<typeof verdictSchema>
