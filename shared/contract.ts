import { z } from 'zod'
import { customModelSchema, type ModelEntry } from './catalog'
import type { AppErrorData } from './errors'
import {
  deleteEntryOptionsSchema,
  historyFilterSchema,
  historyQuerySchema,
  spendQuerySchema,
  totalsQuerySchema,
  verdictInputSchema,
  type DeleteEntryResult,
  type HistoryVerdict,
  type SpendResult,
  type TotalsResult
} from './history'
import { providerIds } from './records'
import { MAX_REFERENCES, referenceRoleSchema } from './references'
import { kitIdSchema, kitInputSchema, type KitView } from './kits'
import { templateIdSchema, templateInputSchema, type TemplateImportView } from './templates'
import { packIdSchema, packInputSchema, packRunRequestSchema, type Pack, type PackPlanView } from './packs'
import type { Settings, SettingsNotice } from './settings'
import { watchRuleInputSchema, type WatchRuleView } from './watch'
import type {
  AssetView,
  BatchDetailView,
  BatchEstimateView,
  BatchView,
  HistoryEntryView,
  HistoryPageView,
  ImportProgressView,
  ItemView,
  KeyStatusView,
  KeyTestView,
  LibraryChange,
  LineageView,
  NetworkView,
  RootView,
  SandboxView,
  TemplateView
} from './views'

/**
 * The IPC contract, declared once. Every renderer → main call is a channel with a zod schema for its
 * payload (validated in the main process before any service runs) and a result type. Every
 * main → renderer notification is an event. The preload and the browser test harness both build
 * `window.pixdesk` from this file, so the UI cannot call anything that is not declared here.
 */
type Phantom<T> = { readonly __type?: T }
const returns = <T>(): Phantom<T> => ({})

export interface ChannelDef<P extends z.ZodType = z.ZodType, R = unknown> {
  payload: P
  result: Phantom<R>
}

const channel = <P extends z.ZodType, R>(payload: P, result: Phantom<R>): ChannelDef<P, R> => ({ payload, result })
const empty = z.object({}).strict()

export interface AppInfo {
  name: string
  version: string
  platform: string
  dataDir: string
}

const provider = z.enum(providerIds)
const id = z.string().min(1).max(200)
const modelId = z.string().trim().min(1).max(200)
const prompt = z.string().max(100_000)

const paramsPayload = z
  .object({
    n: z.number().int().min(1).max(10).default(1),
    size: z.string().max(32).optional(),
    quality: z.string().max(32).optional(),
    background: z.string().max(32).optional(),
    outputFormat: z.string().max(16).optional(),
    outputCompression: z.number().int().min(0).max(100).optional(),
    inputFidelity: z.string().max(16).optional(),
    aspectRatio: z.string().max(16).optional()
  })
  .strict()

/**
 * One model's own settings, merged over the shared ones. Nothing here has a default: a default would
 * silently replace the shared value (n above all) for that model.
 */
const paramsOverridePayload = paramsPayload.extend({ n: paramsPayload.shape.n.unwrap() }).partial()

/** The largest mask the window may send: a drawn mask is a greyscale PNG, far smaller than this even at 4096 px. */
export const MAX_MASK_PNG_BYTES = 32 * 1024 * 1024
/** The first bytes of every PNG (89 50 4E 47 0D 0A 1A 0A) in base64. */
const PNG_BASE64_SIGNATURE = 'iVBORw0KGg'

/**
 * A mask drawn in the editor: a PNG, white (or transparent) where the edit may happen. The main process
 * checks it against the picture (size, coverage) and keeps it with the request.
 */
export const maskPayload = z
  .object({
    pngBase64: z
      .string()
      .max(Math.ceil(MAX_MASK_PNG_BYTES / 3) * 4, `A mask may be at most ${MAX_MASK_PNG_BYTES / 1024 / 1024} MB`)
      .refine((b64) => b64.startsWith(PNG_BASE64_SIGNATURE), 'The mask is not a PNG')
      .refine((b64) => /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && b64.length % 4 === 0, 'The mask is not valid base64')
  })
  .strict()
export type MaskPayload = z.infer<typeof maskPayload>

/** What to run: files × (prompt or template) × models × n. A single edit is a batch of one. */
export const batchSpecPayload = z
  .object({
    kind: z.enum(['edit', 'generate']).default('edit'),
    name: z.string().max(200).optional(),
    assetIds: z.array(id).max(10_000).default([]),
    prompt: prompt.optional(),
    templateId: id.optional(),
    variables: z.record(z.string().max(64), z.string().max(2000)).default({}),
    models: z.array(modelId).min(1).max(8),
    /** Fan each input out to every model as one compare group (2–4 models). */
    compare: z.boolean().default(false),
    /** Extra images sent with every item, after the item's own file (a reference, a logo). */
    referenceAssetIds: z.array(id).max(MAX_REFERENCES).default([]),
    /** The role of each reference, by position (null: none); written into the prompt. */
    referenceRoles: z.array(referenceRoleSchema.nullable()).max(MAX_REFERENCES).default([]),
    /** A brand kit: its references come before referenceAssetIds, its snippets after the prompt. */
    kitId: id.optional(),
    params: paramsPayload.default({ n: 1 }),
    /** Per model id, settings merged over `params` for that model only (GPT quality beside Gemini's aspect ratio). */
    paramsByModel: z.record(modelId, paramsOverridePayload).default({}),
    route: z.enum(['sync', 'async']).optional(),
    concurrency: z.number().int().min(1).max(8).optional(),
    budgetCredits: z.number().positive().max(1_000_000).nullable().optional(),
    /** Items identical to an earlier success: skip them (default) or run them again. */
    duplicates: z.enum(['skip', 'run', 'ask']).default('ask'),
    outputDir: z.string().max(4096).optional(),
    /** Where the edit may happen; only with exactly one image to edit. */
    mask: maskPayload.optional()
  })
  .strict()
  .refine((spec) => Boolean(spec.prompt?.trim()) || Boolean(spec.templateId), {
    message: 'Write a prompt or pick a template',
    path: ['prompt']
  })
  .refine((spec) => !spec.mask || (spec.kind === 'edit' && spec.assetIds.length === 1), {
    message: 'A mask goes with exactly one image to edit',
    path: ['mask']
  })
  .superRefine((spec, ctx) => {
    // An override for a model that is not run would be dropped without a word; refuse it instead.
    for (const model of Object.keys(spec.paramsByModel)) {
      if (!spec.models.includes(model)) {
        ctx.addIssue({ code: 'custom', path: ['paramsByModel', model], message: `"${model}" is not one of the chosen models` })
      }
    }
  })
export type BatchSpecPayload = z.input<typeof batchSpecPayload>

/**
 * One edit that continues from an earlier version: the window names the version by record id and output
 * index only; the main process finds its file in the history.
 */
export const continueFromPayload = z
  .object({
    recordId: id,
    /** 0-based, as `OutputView.index`. */
    outputIndex: z.number().int().min(0).max(99),
    prompt: prompt.optional(),
    templateId: id.optional(),
    variables: z.record(z.string().max(64), z.string().max(2000)).default({}),
    model: modelId,
    params: paramsPayload.default({ n: 1 }),
    route: z.enum(['sync', 'async']).optional(),
    /** Where the edit may happen, drawn over that version. */
    mask: maskPayload.optional()
  })
  .strict()
  .refine((spec) => Boolean(spec.prompt?.trim()) || Boolean(spec.templateId), {
    message: 'Write a prompt or pick a template',
    path: ['prompt']
  })
export type ContinueFromPayload = z.input<typeof continueFromPayload>

export const channels = {
  'app.info': channel(empty, returns<AppInfo>()),
  'app.ping': channel(z.object({ message: z.string().max(1000) }).strict(), returns<{ echo: string; at: string }>()),

  'settings.get': channel(empty, returns<{ settings: Settings; notice?: SettingsNotice }>()),
  'settings.update': channel(z.object({ patch: z.record(z.string(), z.unknown()) }).strict(), returns<Settings>()),
  /** Asks for a folder (native dialog) and makes it the output folder; null when the user cancelled. */
  'settings.pickOutputFolder': channel(empty, returns<Settings | null>()),

  'keys.status': channel(empty, returns<KeyStatusView[]>()),
  'keys.set': channel(z.object({ provider, key: z.string().trim().min(8, 'That key is too short').max(4096) }).strict(), returns<KeyStatusView>()),
  'keys.delete': channel(z.object({ provider }).strict(), returns<KeyStatusView>()),
  'keys.test': channel(z.object({ provider }).strict(), returns<KeyTestView>()),

  'catalog.models': channel(empty, returns<ModelEntry[]>()),
  'catalog.addCustom': channel(customModelSchema, returns<ModelEntry>()),
  'catalog.removeCustom': channel(z.object({ id: modelId }).strict(), returns<ModelEntry[]>()),
  'templates.list': channel(empty, returns<TemplateView[]>()),
  /** Brand kits in the data folder (reference images with roles, prompt snippets). */
  'kits.list': channel(empty, returns<KitView[]>()),
  'kits.create': channel(z.object({ kit: kitInputSchema }).strict(), returns<KitView>()),
  /** Saves a kit anew (its images copied into the kit folder); a new name gives it a new id. */
  'kits.update': channel(z.object({ id: kitIdSchema, kit: kitInputSchema }).strict(), returns<KitView>()),
  'kits.duplicate': channel(z.object({ id: kitIdSchema }).strict(), returns<KitView>()),
  'kits.delete': channel(z.object({ id: kitIdSchema }).strict(), returns<{ id: string }>()),
  /** Asks for a kit folder or kit JSON file (native dialog) and imports it under a free name; null when cancelled. */
  'kits.import': channel(z.object({ form: z.enum(['folder', 'json']) }).strict(), returns<KitView | null>()),
  /** Asks where to write the kit (native dialog): a new folder inside the one chosen, or a JSON file. */
  'kits.export': channel(z.object({ id: kitIdSchema, form: z.enum(['folder', 'json']) }).strict(), returns<{ path: string | null }>()),
  /** What was wrong with the user's templates file when it was last read (entries kept but not offered). */
  'templates.warnings': channel(empty, returns<string[]>()),
  'templates.create': channel(z.object({ template: templateInputSchema }).strict(), returns<TemplateView>()),
  'templates.update': channel(z.object({ id: templateIdSchema, template: templateInputSchema }).strict(), returns<TemplateView>()),
  'templates.duplicate': channel(z.object({ id: templateIdSchema }).strict(), returns<TemplateView>()),
  'templates.delete': channel(z.object({ id: templateIdSchema }).strict(), returns<{ id: string }>()),
  /** Asks for a file (native dialog) and imports it; null when the user cancelled. */
  'templates.import': channel(empty, returns<TemplateImportView | null>()),
  /** Asks where to save (native dialog) and exports the templates named (default: the user's own). */
  'templates.export': channel(z.object({ ids: z.array(templateIdSchema).min(1).max(1000).optional() }).strict(), returns<{ path: string | null; count: number }>()),
  'packs.list': channel(empty, returns<Pack[]>()),
  /** Creates a pack (no id) or replaces one of the user's own. */
  'packs.save': channel(z.object({ id: packIdSchema.optional(), pack: packInputSchema }).strict(), returns<Pack>()),
  'packs.delete': channel(z.object({ id: packIdSchema }).strict(), returns<{ id: string }>()),
  /** Asks for a pack file (native dialog) and imports it; null when the user cancelled. */
  'packs.import': channel(empty, returns<{ imported: Pack[]; renamed: Array<{ from: string; to: string }> } | null>()),
  'packs.export': channel(z.object({ ids: z.array(packIdSchema).min(1).max(1000).optional() }).strict(), returns<{ path: string | null; count: number }>()),
  /** Per target: the model size, the finishing and the price, before anything is sent. */
  'packs.plan': channel(packRunRequestSchema, returns<PackPlanView>()),
  'packs.run': channel(packRunRequestSchema, returns<BatchDetailView>()),

  'library.pick': channel(z.object({ kind: z.enum(['folders', 'files']) }).strict(), returns<RootView[]>()),
  'library.import': channel(z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(1000) }).strict(), returns<RootView[]>()),
  /** An image pasted from the clipboard: bytes (base64, so they cross any bridge intact), saved then imported. */
  'library.paste': channel(
    z.object({ base64: z.string().min(1).max(280_000_000).regex(/^[A-Za-z0-9+/=\s]+$/, 'not base64 data'), name: z.string().max(255).optional() }).strict(),
    returns<AssetView>()
  ),
  'library.roots': channel(empty, returns<RootView[]>()),
  'library.removeRoot': channel(z.object({ rootId: id }).strict(), returns<RootView[]>()),
  'library.assets': channel(
    z
      .object({
        rootId: id.optional(),
        filter: z.enum(['all', 'ok', 'problems']).default('all'),
        search: z.string().max(200).optional()
      })
      .strict(),
    returns<AssetView[]>()
  ),
  'library.check': channel(z.object({ assetIds: z.array(id).min(1).max(10_000), model: modelId, provider: provider.optional() }).strict(), returns<Array<{ assetId: string; ok: boolean; error?: AppErrorData }>>()),

  'jobs.estimate': channel(batchSpecPayload, returns<BatchEstimateView>()),
  'jobs.start': channel(batchSpecPayload, returns<BatchDetailView>()),
  'jobs.list': channel(empty, returns<BatchView[]>()),
  'jobs.get': channel(z.object({ batchId: id }).strict(), returns<BatchDetailView>()),
  'jobs.pause': channel(z.object({ batchId: id }).strict(), returns<BatchView>()),
  'jobs.resume': channel(z.object({ batchId: id }).strict(), returns<BatchView>()),
  'jobs.cancel': channel(z.object({ batchId: id, itemIds: z.array(id).optional() }).strict(), returns<BatchView>()),
  /** Run or skip items held because an identical request already succeeded. */
  'jobs.resolveDuplicates': channel(z.object({ batchId: id, decision: z.enum(['run', 'skip']), itemIds: z.array(id).optional() }).strict(), returns<BatchView>()),
  'jobs.setBudget': channel(z.object({ batchId: id, credits: z.number().positive().max(1_000_000).nullable() }).strict(), returns<BatchView>()),
  'jobs.retry': channel(z.object({ batchId: id, itemIds: z.array(id).optional() }).strict(), returns<BatchView>()),
  'jobs.reorder': channel(z.object({ batchId: id, itemIds: z.array(id).min(1) }).strict(), returns<BatchView>()),
  /**
   * Saves paid results that could not be written (kept in the recovery area, or fetched again without a
   * new charge); with `chooseFolder` into a folder the user picks in a native dialog. null: cancelled.
   */
  'jobs.saveAgain': channel(z.object({ batchId: id, itemIds: z.array(id).min(1).max(10_000), chooseFolder: z.boolean() }).strict(), returns<BatchView | null>()),
  'jobs.network': channel(empty, returns<NetworkView>()),
  /** One edit of an earlier version's output, recorded as its child in the chain. */
  'jobs.continueFrom': channel(continueFromPayload, returns<BatchDetailView>()),

  'compare.verdict': channel(verdictInputSchema.strict(), returns<HistoryVerdict>()),

  'history.query': channel(historyQuerySchema.strict(), returns<HistoryPageView>()),
  'history.get': channel(z.object({ id }).strict(), returns<HistoryEntryView | null>()),
  'history.totals': channel(totalsQuerySchema.strict(), returns<TotalsResult>()),
  /** Asks where to save (native dialog), then writes the export; path null when the user cancelled. */
  'history.export': channel(z.object({ format: z.enum(['csv', 'json']), filter: historyFilterSchema.strict().optional() }).strict(), returns<{ path: string | null; count: number }>()),
  /** Shows an output file in the system's file manager. */
  'outputs.reveal': channel(z.object({ recordId: id, index: z.number().int().min(0) }).strict(), returns<{ ok: true }>()),
  'history.delete': channel(z.object({ id }).extend(deleteEntryOptionsSchema.shape).strict(), returns<DeleteEntryResult>()),
  /** Credits over time by model, for the same filter as the list and the totals. */
  'history.spend': channel(spendQuerySchema.strict(), returns<SpendResult>()),
  /** One request as text for a message to support: its ids, record, error and output hashes, never a key. */
  'history.supportBundle': channel(z.object({ id }).strict(), returns<{ text: string }>()),
  /** The chain of edits a record belongs to, from the original's first edit to every branch. */
  'history.lineage': channel(z.object({ recordId: id }).strict(), returns<LineageView>()),
  /** Text onto the system clipboard, through the main process: the sandboxed window is denied the permission. */
  'clipboard.write': channel(z.object({ text: z.string().min(1).max(200_000) }).strict(), returns<{ ok: true }>()),

  'sandbox.status': channel(empty, returns<SandboxView>()),

  'watch.list': channel(empty, returns<WatchRuleView[]>()),
  /** Asks for a folder (native dialog) to watch or to write a rule's outputs to; null when the user cancelled. */
  'watch.pickFolder': channel(empty, returns<{ path: string } | null>()),
  'watch.create': channel(z.object({ rule: watchRuleInputSchema }).strict(), returns<WatchRuleView>()),
  'watch.update': channel(z.object({ id, rule: watchRuleInputSchema }).strict(), returns<WatchRuleView>()),
  'watch.setPaused': channel(z.object({ id, paused: z.boolean() }).strict(), returns<WatchRuleView>()),
  'watch.delete': channel(z.object({ id }).strict(), returns<{ id: string }>())
} satisfies Record<string, ChannelDef>

/** What the app menu and system notifications ask the window to do (the renderer owns the views). */
export type MenuCommand =
  | 'import-folder'
  | 'import-files'
  | 'run'
  | 'run-compare'
  | 'new-batch'
  | 'view-library'
  | 'view-editor'
  | 'view-compare'
  | 'view-batches'
  | 'view-history'
  | 'view-settings'
  | 'view-templates'
  | 'view-packs'
  | 'view-watch'
  | 'view-kits'
  | 'command-palette'
  | 'open-batch'
  | 'copy-request-id'
  | 'copy-support-bundle'

export interface EventMap {
  'app.notice': { level: 'info' | 'warning' | 'error'; message: string }
  /** A menu item or a clicked notification; `batchId` with open-batch. */
  'app.command': { command: MenuCommand; batchId?: string }
  'library.changed': LibraryChange
  'library.progress': ImportProgressView
  'jobs.batch': BatchView
  'jobs.item': ItemView
  'jobs.network': NetworkView
  'settings.changed': Settings
  /** A watch rule's state, last files or failures changed. */
  'watch.rule': WatchRuleView
}

export type Channel = keyof typeof channels
export type Payload<C extends Channel> = z.input<(typeof channels)[C]['payload']>
export type Result<C extends Channel> = (typeof channels)[C]['result'] extends Phantom<infer R> ? R : never
export type EventName = keyof EventMap

export const channelNames = Object.keys(channels) as Channel[]

/** What crosses the wire for every call: errors travel as data so their code and fields survive. */
export type Envelope<T = unknown> = { ok: true; value: T } | { ok: false; error: AppErrorData }

export interface PixdeskApi {
  invoke<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>>
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
  /**
   * Where a dropped or picked file lives on disk, granted to the window so `library.import` accepts
   * it. Only the desktop app can tell (a web page never learns paths); elsewhere this is absent and the
   * UI sends the bytes instead. An empty string: the file has no path (made in the page).
   */
  grantFile?(file: Blob): Promise<string>
}
