import { z } from 'zod'

/**
 * Faults the sandbox can inject, for tests and demos of every failure the client must explain. A plan
 * mixes one-shot queued faults (taken in order by the first matching request) with per-submission
 * probabilities; a seed makes the random part repeatable.
 */
const faultKinds = [
  'rate_limited',
  'server_error',
  'unavailable',
  'insufficient_credits',
  'prompt_rejected',
  'slow',
  'reset',
  'malformed_json',
  'non_image',
  'stuck_task',
  /** Hostile answers (hostile.ts): more outputs than asked, bodies that never end or crawl, foreign URLs, redirects. */
  'excess_outputs',
  'trickle',
  'endless',
  'huge',
  'foreign_url',
  'redirect',
  /** A model that ignores the asked size: the answer's images are `scale` times the asked width and height. */
  'small_output'
] as const
export type FaultKind = (typeof faultKinds)[number]

const faultStages = ['submit', 'poll', 'download', 'any'] as const
export type FaultStage = Exclude<(typeof faultStages)[number], 'any'>

const faultSpecSchema = z.object({
  kind: z.enum(faultKinds),
  /** Which request the fault hits: a submission (default), a task poll, or an output download. */
  on: z.enum(faultStages).default('submit'),
  /** For rate_limited: sent as Retry-After (seconds) ... */
  retryAfterS: z.number().min(0).optional(),
  /** ... or as retry-after-ms. */
  retryAfterMs: z.number().min(0).optional(),
  /** For slow: how long to hold the response. */
  delayMs: z.number().min(0).default(2000),
  /** For excess_outputs: how many outputs the answer carries, whatever n was. */
  count: z.number().int().min(1).max(10_000).default(200),
  /** For trickle: the pause between single bytes. */
  intervalMs: z.number().min(1).default(2000),
  /** For foreign_url: the output URLs point here instead of at the sandbox; for redirect: where downloads are sent. */
  target: z.string().optional(),
  /** For small_output: the share of the asked width and height delivered. */
  scale: z.number().min(0.05).max(1).default(0.5)
})
export type FaultSpec = z.output<typeof faultSpecSchema>

const latencySchema = z.union([z.number().min(0), z.tuple([z.number().min(0), z.number().min(0)])])

export const faultPlanSchema = z.object({
  seed: z.number().int().default(1),
  /** Every submission's answer time, from its whole body being in: a fixed delay or a [min, max] range. */
  latencyMs: latencySchema.optional(),
  /** Chance per submission of each fault (checked in the order of faultKinds). */
  probabilities: z.partialRecord(z.enum(faultKinds), z.number().min(0).max(1)).default({}),
  queue: z.array(faultSpecSchema).default([]),
  /** Masked edits: the top share of rows (0..1) where the simulated edit also changes pixels outside the mask. */
  leakOutsideMask: z.number().min(0).max(1).default(0),
  /** Answer in this image format, as providers that return JPEG or WebP do (PNG otherwise). */
  answerFormat: z.enum(['png', 'jpeg', 'webp']).optional()
})
export type FaultPlan = z.input<typeof faultPlanSchema>
export type ParsedFaultPlan = z.output<typeof faultPlanSchema>

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class FaultInjector {
  private plan: ParsedFaultPlan
  private random: () => number

  constructor(plan: FaultPlan = {}) {
    this.plan = faultPlanSchema.parse(plan)
    this.random = prng(this.plan.seed)
  }

  /** Replaces the plan (and restarts the random sequence from its seed). */
  set(plan: FaultPlan): ParsedFaultPlan {
    this.plan = faultPlanSchema.parse(plan)
    this.random = prng(this.plan.seed)
    return this.plan
  }

  current(): ParsedFaultPlan {
    return structuredClone(this.plan)
  }

  /** The fault for this request, if any: a queued one first, then the dice (submissions only). */
  next(stage: FaultStage): FaultSpec | undefined {
    const i = this.plan.queue.findIndex((f) => f.on === stage || f.on === 'any')
    if (i >= 0) return this.plan.queue.splice(i, 1)[0]
    if (stage !== 'submit') return undefined
    for (const kind of faultKinds) {
      const p = this.plan.probabilities[kind]
      if (p && this.random() < p) return faultSpecSchema.parse({ kind })
    }
    return undefined
  }

  latency(): number {
    const l = this.plan.latencyMs
    if (l === undefined) return 0
    if (typeof l === 'number') return l
    const [min, max] = l
    return min + this.random() * Math.max(0, max - min)
  }
}
