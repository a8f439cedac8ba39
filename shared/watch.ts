import { z } from 'zod'
import type { AppErrorData } from './errors'
import { packIdSchema } from './packs'
import { requestParamsSchema } from './records'

/**
 * Watch folders: a rule says which folder to watch, which files count, what to do with them and how
 * much it may spend a day. Shared so the window's form and the main process validate the same way.
 */

export const DEFAULT_WATCH_PATTERNS = ['*.jpg', '*.jpeg', '*.png', '*.webp', '*.heic', '*.heif', '*.tif', '*.tiff', '*.avif'] as const

interface WhatToDo {
  prompt?: string
  templateId?: string
  packId?: string
  models: readonly string[]
  params: { size?: string; aspectRatio?: string; n?: number }
}

/**
 * A rule does one thing with each new image: an edit (a prompt, or a template) or a pack (every target
 * of it, each target choosing its own size). Each problem names the field to change.
 */
export function whatToDoIssues(r: WhatToDo): Array<{ path: string[]; message: string }> {
  const edit = Boolean(r.prompt?.trim()) || Boolean(r.templateId)
  if (!r.packId) return edit ? [] : [{ path: ['prompt'], message: 'Write a prompt, pick a template, or pick a pack' }]
  const issues: Array<{ path: string[]; message: string }> = []
  if (edit) {
    issues.push({ path: ['packId'], message: 'A rule runs either a pack or an edit (prompt or template), not both: clear the prompt and template, or the pack' })
  }
  if (r.models.length > 1) issues.push({ path: ['models'], message: 'A pack runs with one model; pick one' })
  if (r.params.size || r.params.aspectRatio) {
    issues.push({ path: ['params', r.params.size ? 'size' : 'aspectRatio'], message: 'A pack sets the size of each target itself; leave size and aspect ratio empty' })
  }
  if (r.params.n !== undefined && r.params.n !== 1) issues.push({ path: ['params', 'n'], message: 'A pack makes one image per target; leave the image count at 1' })
  return issues
}

/** What a person fills in (the id and dates are the store's). */
export const watchRuleInputSchema = z
  .object({
    name: z.string().trim().max(120).optional(),
    folder: z.string().min(1, 'Choose the folder to watch').max(4096),
    recursive: z.boolean().default(false),
    /** Globs on the file name (or the path below the folder when they contain a slash). */
    patterns: z.array(z.string().trim().min(1).max(200)).min(1).max(50).default([...DEFAULT_WATCH_PATTERNS]),
    prompt: z.string().max(100_000).optional(),
    templateId: z.string().trim().min(1).max(200).optional(),
    variables: z.record(z.string(), z.string()).default({}),
    /** A channel pack instead of a prompt or template: each new image is made into every target of the pack. */
    packId: packIdSchema.optional(),
    /** For a pack: accept enlarging with sharp where a target is larger than the model makes (flagged in each output). */
    allowUpscale: z.boolean().optional(),
    models: z.array(z.string().trim().min(1).max(200)).min(1, 'Pick at least one model').max(8),
    params: requestParamsSchema.partial().default({}),
    /** Default: a "pixdesk" folder beside each new file. */
    outputDir: z.string().min(1).max(4096).optional(),
    /** Credits this rule may commit per local day; null: no daily cap; 0: nothing is sent. */
    dailyBudget: z.number().min(0).nullable().default(null),
    /** Process the images already in the folder when the rule first starts (default: only new ones). */
    includeExisting: z.boolean().default(false)
  })
  .superRefine((r, ctx) => {
    for (const issue of whatToDoIssues(r)) ctx.addIssue({ code: 'custom', ...issue })
  })
export type WatchRuleInput = z.input<typeof watchRuleInputSchema>

export const watchRuleSchema = z.object({
  id: z.string().min(1).max(100),
  name: z.string().max(120),
  folder: z.string().min(1),
  recursive: z.boolean(),
  patterns: z.array(z.string()).min(1),
  prompt: z.string().optional(),
  templateId: z.string().optional(),
  variables: z.record(z.string(), z.string()),
  packId: z.string().optional(),
  allowUpscale: z.boolean().optional(),
  models: z.array(z.string()).min(1),
  params: requestParamsSchema.partial(),
  outputDir: z.string().optional(),
  dailyBudget: z.number().min(0).nullable(),
  includeExisting: z.boolean(),
  paused: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string()
})
export type WatchRule = z.infer<typeof watchRuleSchema>

/** folder_missing / folder_unreadable: the rule waits (nothing sent) and starts again by itself once the folder is usable. */
export type WatchRuleState = 'starting' | 'watching' | 'paused' | 'waiting_network' | 'budget_reached' | 'folder_missing' | 'folder_unreadable' | 'error'

export interface WatchFileEvent {
  path: string
  at: string
  /** queued: handed to the queue in batch `batchId`; the rest say why it was not. */
  outcome: 'queued' | 'skipped_duplicate' | 'held_budget' | 'unusable' | 'failed'
  batchId?: string
  message?: string
}

export interface WatchRuleView {
  rule: WatchRule
  state: WatchRuleState
  /** A plain sentence for the state when it needs one (folder missing or unreadable, budget reached). */
  message?: string
  /** Credits committed today (local day) by this rule. */
  spentToday: number
  /** Files handed to the queue since the rule started watching in this process. */
  queuedCount: number
  lastFiles: WatchFileEvent[]
  failures: WatchFileEvent[]
  error?: AppErrorData
}
