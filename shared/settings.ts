import { z } from 'zod'
import { baseUrlSchema, defaultBaseUrls, perProvider, providerFacts, providerIdSchema } from './providers'

/**
 * The settings file: one JSON document in the app data folder, shared by the desktop app and the CLI.
 * The schema lives here so the renderer validates forms with the same rules the main process loads with.
 * Bump SETTINGS_VERSION only together with a migration in electron/core/settings.ts.
 */
export const SETTINGS_VERSION = 1

/** The window's colour theme; files written before it existed load with 'system'. */
export const themeChoices = ['system', 'light', 'dark'] as const
export type ThemeChoice = (typeof themeChoices)[number]

/** Placeholders the output naming template may use; anything else in braces is refused. */
export const namingPlaceholders = ['name', 'model', 'index', 'provider', 'date', 'time', 'batch', 'requestId'] as const

/** What happens to a result whose pixel size is not the one asked for. */
export const sizeMismatchActions = ['keep', 'finish'] as const

const eachProvider = <T extends z.ZodType>(schema: T) => z.object(perProvider<T>(() => schema))

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), 'must be an absolute path')

export const namingTemplateSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((t) => !/[\\/]/.test(t), 'must be a file name, without folder separators')
  .refine((t) => {
    const used = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1])
    return used.every((name) => (namingPlaceholders as readonly string[]).includes(name ?? ''))
  }, `may only use the placeholders ${namingPlaceholders.map((p) => `{${p}}`).join(' ')}`)
  .refine((t) => t.includes('{index}'), 'must contain {index}, so several outputs of one request never overwrite each other')

const defaultParamsSchema = z.object({
  n: z.number().int().min(1).max(10),
  size: z.string().max(32).optional(),
  quality: z.string().max(32).optional(),
  background: z.string().max(32).optional(),
  outputFormat: z.enum(['png', 'jpeg', 'webp']).optional(),
  outputCompression: z.number().int().min(0).max(100).optional(),
  inputFidelity: z.string().max(32).optional(),
  aspectRatio: z.string().max(16).optional()
})

export const settingsSchema = z
  .object({
    version: z.literal(SETTINGS_VERSION),
    provider: z.object({
      /** Which API new requests go to. */
      active: providerIdSchema,
      baseUrls: eachProvider(baseUrlSchema),
      /** Route requests to the built-in Sandbox server: no key, no credits, simulated edits. */
      sandbox: z.boolean(),
      pixapi: z.object({
        route: z.enum(['sync', 'async']),
        /** Multipart field for each input image; Pixapi's docs do not name it, so it is configurable. */
        multiImageField: z.string().regex(/^[A-Za-z0-9_.[\]-]{1,64}$/, 'must be a form field name such as image or image[]')
      })
    }),
    generation: z.object({
      /** Model a new request starts with, per provider (any id: the catalog may not know new models yet). */
      defaultModel: eachProvider(z.string().trim().min(1).max(200)),
      defaultParams: defaultParamsSchema
    }),
    output: z
      .object({
        /** 'beside-source' writes into a `pixdesk` folder next to each source image. */
        folderMode: z.enum(['beside-source', 'custom']),
        customFolder: absolutePath.nullable(),
        namingTemplate: namingTemplateSchema,
        writeSidecar: z.boolean(),
        /** Masked edits: keep the model's own result beside the composited output. */
        keepRawMaskResult: z.boolean().default(true),
        /** A result not at the asked size: keep it as delivered, or resize it to the asked size (the record says so either way). */
        sizeMismatch: z.enum(sizeMismatchActions).default('keep'),
        /** Copy the source photo's EXIF (camera, copyright, captions) into outputs; never its GPS position unless copySourceGps. */
        copySourceExif: z.boolean().default(false),
        copySourceGps: z.boolean().default(false),
        /** Sign Content Credentials (C2PA) into every output; the XMP "made by AI" label is written regardless. */
        contentCredentials: z.boolean().default(true)
      })
      .refine((o) => o.folderMode !== 'custom' || o.customFolder !== null, {
        message: 'a custom output folder must be chosen when the folder mode is "custom"',
        path: ['customFolder']
      }),
    upload: z.object({
      /** Keep EXIF/XMP (including GPS location) in uploaded copies. Off: they are stripped before upload. */
      keepMetadata: z.boolean()
    }),
    jobs: z.object({
      concurrency: z.number().int().min(1).max(8),
      perProviderConcurrency: eachProvider(z.number().int().min(1).max(8)),
      /** Tries per request, the first included (retries only on network errors, 429 and 5xx). */
      maxAttempts: z.number().int().min(1).max(10),
      asyncPollTimeoutMs: z.number().int().min(10_000).max(24 * 60 * 60 * 1000),
      /** Overall deadlines per request stage: sending the images, waiting for the answer, fetching each output. */
      uploadTimeoutMs: z.number().int().min(10_000).max(6 * 60 * 60 * 1000),
      answerTimeoutMs: z.number().int().min(10_000).max(6 * 60 * 60 * 1000),
      downloadTimeoutMs: z.number().int().min(10_000).max(6 * 60 * 60 * 1000),
      /** Credits per local calendar day; null means no cap. */
      dailyBudgetCredits: z.number().positive().nullable()
    }),
    cache: z.object({
      thumbnailCacheBytes: z.number().int().min(16 * 1024 * 1024).max(64 * 1024 * 1024 * 1024)
    }),
    library: z.object({
      recentFolders: z.array(absolutePath).max(50),
      importedFolders: z.array(absolutePath).max(500)
    }),
    notifications: z.object({
      /** System notifications when a batch or comparison ends, and the failure badge on macOS. */
      batchFinished: z.boolean()
    }),
    compare: z.object({
      layout: z.enum(['side-by-side', 'slider', 'grid']),
      syncZoom: z.boolean(),
      showCost: z.boolean(),
      showLatency: z.boolean()
    }),
    appearance: z.object({
      /** 'system' follows the operating system's light or dark mode. */
      theme: z.enum(themeChoices)
    })
  })
  // Unknown keys are dropped, so nothing smuggled into the file (an API key, say) is ever written back.
  .strip()

export type Settings = z.infer<typeof settingsSchema>

export const defaultSettings: Settings = {
  version: SETTINGS_VERSION,
  provider: {
    active: 'pixapi',
    baseUrls: { ...defaultBaseUrls },
    sandbox: false,
    pixapi: { route: 'sync', multiImageField: 'image' }
  },
  generation: {
    defaultModel: perProvider((p) => providerFacts[p].defaultModel),
    defaultParams: { n: 1, outputFormat: 'png' }
  },
  output: {
    folderMode: 'beside-source',
    customFolder: null,
    namingTemplate: '{name}_{model}_{index}',
    writeSidecar: false,
    keepRawMaskResult: true,
    sizeMismatch: 'keep',
    copySourceExif: false,
    copySourceGps: false,
    contentCredentials: true
  },
  upload: { keepMetadata: false },
  jobs: {
    concurrency: 2,
    perProviderConcurrency: perProvider((p) => providerFacts[p].defaultConcurrency),
    maxAttempts: 3,
    asyncPollTimeoutMs: 10 * 60 * 1000,
    uploadTimeoutMs: 10 * 60 * 1000,
    answerTimeoutMs: 10 * 60 * 1000,
    downloadTimeoutMs: 5 * 60 * 1000,
    dailyBudgetCredits: null
  },
  cache: { thumbnailCacheBytes: 1024 * 1024 * 1024 },
  library: { recentFolders: [], importedFolders: [] },
  notifications: { batchFinished: true },
  compare: { layout: 'side-by-side', syncZoom: true, showCost: true, showLatency: true },
  appearance: { theme: 'system' }
}

/** A patch for updateSettings: any subset of fields, nested objects merged, arrays replaced. */
export type SettingsPatch = DeepPartial<Omit<Settings, 'version'>>
type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T

/** Told to the user when the settings file could not be used as it was. */
export interface SettingsNotice {
  message: string
  /** Copy of the file as it was found, kept so nothing the user wrote is lost. */
  backupPath?: string
  /** Fields that were reset to their defaults. */
  resetFields?: string[]
}
