import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { jobInputSource, type ItemSnapshot, type JobInput, type JobItem } from './model'
import type { ProviderId, RecordOutput, RequestRecord } from '../../../shared/records'
import type { Settings } from '../../../shared/settings'
import type { Catalog } from '../catalog'
import { inputIdentityWithRole, requestFingerprint } from '../history/fingerprint'
import type { History } from '../history/history'
import type { UploadLimits } from '../library/types'
import { uploadLimitsFor } from '../limits'
import { normaliseForUpload, type NormalisedUpload } from '../library/normalise'
import { askedSizeOf, checkDeliveredSizes } from '../delivered-size'
import { chosenOutputFolder, writeOutputs } from '../outputs'
import { discardKeptImages, findKeptImages, keepPaidImages, readKeptImages } from '../paid-results'
import { prepareContentCredentials } from '../provenance/c2pa'
import { downloadResultAgain, executeImageRequest, normaliseBaseUrl, resumeAsyncTask } from '../providers/execute'
import type { BoundKey } from '../providers/key-origin'
import type { TimeoutOptions } from '../providers/http'
import { providerAdapter } from '../providers/registry'
import type { ExecuteOptions, ImageRequest, ProgressEvent } from '../providers/types'
import { apiRoot } from '../providers/urls'
import { decodeDataUrl, prepareInputs, sha256Stream, type PreparedInput } from '../providers/inputs'
import { finishMaskedImages, maskPlanFor, shapeMaskedRequest, type MaskPlan, type MaskedOutputImage } from '../masks/masked-request'
import { keepRawResults } from '../masks/raw-results'
import { finishPackImages, withPackChecks } from '../packs/finish-outputs'
import { packSlug } from '../../../shared/packs'
import type { TemplateLibrary } from '../templates'
import { JobEngine } from './engine'
import { probeUrl } from './network'
import type { BackoffOptions, EngineOptions, JobDeps, JobLimits, PreparedRequest, RunContext, RunOutcome, RunStage } from './types'

/**
 * The engine wired to the real app: library normalisation, the provider clients, atomic output files
 * and the history ledger. The engine decides when and whether; this decides how.
 */
export interface PipelineOptions {
  dataDir: string
  catalog: Catalog
  history: History
  /** The stored key with the origin it is bound to; requests elsewhere are refused before sending. */
  getKey(provider: ProviderId): Promise<BoundKey | null>
  settings(): Settings
  /** Where sandbox requests go (the built-in sandbox server's address). */
  sandboxUrl?: () => string | undefined
  /** Temporary upload copies; the OS temp folder by default. */
  tempDir?: string
  timeouts?: Partial<TimeoutOptions>
  /**
   * Where this run sends a provider's requests (a command's --base-url, PIXAPI_BASE_URL or its own
   * sandbox), consulted before the settings and the sandbox switch: overrides last as long as the
   * process, and nothing is written to the settings on disk. Undefined: the usual address.
   */
  baseUrl?(provider: ProviderId): string | undefined
  /** The key this run uses for a provider; undefined: the keychain (none for sandbox items). */
  apiKey?(provider: ProviderId): BoundKey | undefined
  /**
   * Outputs with no source file (generations, web and data inputs) when no output folder is set: the
   * app uses the pictures folder, a command the folder it runs in. `<data>/outputs` by default.
   */
  fallbackOutputDir?: string
}

/** What one input of a prepared request was: the user's file (with its hash), or not a file at all. */
type Original = { path: string; sha256: string } | undefined

class PreparedImages implements PreparedRequest {
  constructor(
    readonly request: ImageRequest,
    readonly originals: Original[],
    readonly uploadBytes: number,
    private readonly uploads: Array<Pick<NormalisedUpload, 'cleanup'>>,
    /** A masked edit: how its answers are placed back and composited. */
    readonly maskPlan?: MaskPlan
  ) {}

  /**
   * The inputs as they go out, opened and looked at before the item waits for a slot: a granted slot
   * then sends at once instead of first waiting on the disk (behind image decoding) for its files.
   */
  inputs?: PreparedInput[]

  async open(): Promise<this> {
    try {
      this.inputs = await prepareInputs(this.request.inputs)
      return this
    } catch (err) {
      await this.cleanup()
      throw err
    }
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.uploads.map((u) => u.cleanup()))
  }
}

/** Hashes of originals, reused while a file is unchanged (same size and modification time). */
class HashCache {
  private readonly cache = new Map<string, { size: number; mtimeMs: number; sha256: string }>()

  async get(path: string): Promise<string> {
    const s = await stat(path)
    const hit = this.cache.get(path)
    if (hit && hit.size === s.size && hit.mtimeMs === s.mtimeMs) return hit.sha256
    const sha256 = await sha256Stream(path)
    this.cache.set(path, { size: s.size, mtimeMs: s.mtimeMs, sha256 })
    if (this.cache.size > 20_000) this.cache.delete(this.cache.keys().next().value as string)
    return sha256
  }
}

export function jobLimitsFromSettings(settings: Settings, maxRateLimitHits = 12): JobLimits {
  const jobs = settings.jobs
  return {
    concurrency: jobs.concurrency,
    perProvider: jobs.perProviderConcurrency,
    maxAttempts: jobs.maxAttempts,
    maxRateLimitHits,
    dailyBudgetCredits: jobs.dailyBudgetCredits
  }
}

export function createJobDeps(options: PipelineOptions): JobDeps {
  const hashes = new HashCache()
  const { catalog, history } = options
  // Signing is made ready while the first requests are on the wire, not when their results arrive.
  let signingReady: Promise<void> | undefined
  const readySigning = () => {
    if (options.settings().output.contentCredentials) signingReady ??= prepareContentCredentials(options.dataDir).catch(() => undefined)
  }

  const baseUrl = (snapshot: Pick<ItemSnapshot, 'provider' | 'sandbox'>): string => baseUrlFor(options, snapshot)

  /** A masked item's plan from its snapshot, for answers that arrive without a prepared request (resumed, fetched again). */
  const planOf = async (item: JobItem): Promise<MaskPlan | undefined> => {
    const first = item.snapshot.inputs[0] ? jobInputSource(item.snapshot.inputs[0]) : undefined
    if (!item.snapshot.mask || first?.kind !== 'file') return undefined
    return maskPlanFor(item.snapshot.mask, first.path, catalog.resolve(item.snapshot.model, item.snapshot.provider))
  }

  const uploadLimits = (snapshot: ItemSnapshot): UploadLimits => uploadLimitsFor(catalog.get(snapshot.model), snapshot.provider)

  const executeOptions = (item: JobItem, ctx: RunContext): Promise<ExecuteOptions> => executeOptionsFor(options, item, ctx)

  return {
    prepare: async (item, signal) => {
      readySigning()
      const prepared = await prepareImages(item, signal, { hashes, limits: uploadLimits(item.snapshot), settings: options.settings(), tempDir: options.tempDir })
      return (item.snapshot.mask ? await withMask(prepared, item, catalog, options.tempDir) : prepared).open()
    },

    async execute(item, prepared, ctx) {
      if (!(prepared instanceof PreparedImages)) throw new AppError({ code: 'internal', message: 'The request was not prepared by this pipeline.' })
      ctx.onStage('uploading')
      const outcome = await executeImageRequest(prepared.request, await executeOptions(item, ctx), prepared.inputs)
      const record = withOriginals(outcome.record, prepared.originals)
      if (!prepared.maskPlan || record.status !== 'succeeded') return { record, images: outcome.images, outputUrls: outcome.outputUrls }
      return { ...(await compositeAnswer(record, outcome.images, prepared.maskPlan)), outputUrls: outcome.outputUrls }
    },

    async resume(item, taskId, ctx) {
      // Only the record needs the inputs now: describe the originals, nothing is uploaded again.
      const inputs: ImageRequest['inputs'] = await Promise.all(
        item.snapshot.inputs.map(async (input): Promise<ImageRequest['inputs'][number]> => {
          const source = jobInputSource(input)
          if (source.kind === 'url') return { source: 'url', url: source.url }
          if (source.kind === 'data') return { source: 'data', dataUrl: source.dataUrl }
          return { source: 'file', path: source.path, sha256: await hashes.get(source.path).catch(() => undefined) }
        })
      )
      const outcome = await resumeAsyncTask(taskId, requestFor(item, inputs), await executeOptions(item, ctx))
      const plan = outcome.record.status === 'succeeded' ? await planOf(item) : undefined
      if (!plan) return { record: outcome.record, images: outcome.images, outputUrls: outcome.outputUrls }
      return { ...(await compositeAnswer(outcome.record, outcome.images, plan)), outputUrls: outcome.outputUrls }
    },

    async downloadAgain(item, urls, ctx) {
      ctx.onStage('downloading')
      // The record already describes the inputs: none is read or sent for a download.
      const images = await downloadResultAgain(requestFor(item, []), urls, await executeOptions(item, ctx))
      const plan = await planOf(item)
      return plan ? (await finishMaskedImages(images, plan)).images : images
    },

    writeOutputs: (item, outcome, { batchName, outputDir }) => writeItemOutputs(item, outcome, batchName, options, outputDir),
    keepImages: (recordId, images) => keepPaidImages(options.dataDir, recordId, images as Array<{ bytes: Buffer }>),
    readKeptImages: (kept) => readKeptImages(kept),
    findKeptImages: (recordId) => findKeptImages(options.dataDir, recordId),
    discardKeptImages: (recordId) => discardKeptImages(options.dataDir, recordId),

    appendRecord: (record) => history.append(record),

    async itemRecords(itemId) {
      const found = await history.findByJobItem(itemId)
      return found.reverse().map((r) => ({ ...r, outputs: r.outputs.map(({ fileMissing: _gone, ...o }) => o) }))
    },

    async findDuplicate(snapshot) {
      const inputSha256s = await Promise.all(snapshot.inputs.map(async (i) => inputIdentityWithRole(await inputIdentity(hashes, i), i.role)))
      // The same picture and prompt with another mask is another edit.
      if (snapshot.mask) inputSha256s.push(`mask:${snapshot.mask.sha256}`)
      const fingerprint = requestFingerprint({ model: snapshot.model, params: snapshot.params, prompt: snapshot.prompt, inputSha256s, sandbox: snapshot.sandbox })
      const earlier = await history.findSucceededDuplicate(fingerprint)
      // A success whose files are all gone is nothing to keep: running again is what the user wants.
      if (!earlier || (earlier.outputs.length > 0 && earlier.outputs.every((o) => o.fileMissing))) return null
      return { recordId: earlier.id, at: earlier.finishedAt }
    },

    estimate(snapshot) {
      // Catalog prices are credits; providers billing by tokens charge their own account in money.
      if (providerAdapter(snapshot.provider).billing !== 'credits') return 0
      return catalog.price(snapshot.model, snapshot.params.size, snapshot.params.quality, snapshot.params.n)
    },

    endpoint(snapshot) {
      try {
        return apiRoot(baseUrl(snapshot), providerAdapter(snapshot.provider).apiVersion)
      } catch {
        return snapshot.provider
      }
    },

    async spentSince(dayStart) {
      const totals = await history.totals({ by: 'day', from: dayStart.toISOString(), sandbox: false })
      return totals.overall.credits
    },

    async probe(provider) {
      let url: string
      try {
        url = baseUrl({ provider, sandbox: options.settings().provider.sandbox })
      } catch {
        return false
      }
      return probeUrl(url)
    }
  }
}

/** Where an item's requests go: an address set for this process, the sandbox, or the provider's from the settings. */
function baseUrlFor(options: PipelineOptions, snapshot: Pick<ItemSnapshot, 'provider' | 'sandbox'>): string {
  const override = options.baseUrl?.(snapshot.provider)
  if (override) return normaliseBaseUrl(override, snapshot.provider)
  if (snapshot.sandbox) {
    const url = options.sandboxUrl?.()
    if (!url) throw new AppError({ code: 'network', retryable: true, message: 'The sandbox server is not running; start it to run sandbox items.' })
    return url
  }
  return normaliseBaseUrl(options.settings().provider.baseUrls[snapshot.provider], snapshot.provider)
}

/** How one run of an item is sent: its key, address and timeouts, with the provider's progress told to the engine. */
async function executeOptionsFor(options: PipelineOptions, item: JobItem, ctx: RunContext): Promise<ExecuteOptions> {
  const { snapshot } = item
  const settings = options.settings()
  const key = options.apiKey?.(snapshot.provider) ?? (snapshot.sandbox ? undefined : ((await options.getKey(snapshot.provider)) ?? undefined))
  return {
    apiKey: key?.value,
    keyOrigin: key?.origin,
    baseUrl: baseUrlFor(options, snapshot),
    signal: ctx.signal,
    catalog: options.catalog,
    // One try per run: the engine owns retries, so a 429 pauses the whole provider, not one request.
    retry: { maxAttempts: 1 },
    timeouts: {
      taskMs: settings.jobs.asyncPollTimeoutMs,
      uploadMs: settings.jobs.uploadTimeoutMs,
      answerMs: settings.jobs.answerTimeoutMs,
      downloadMs: settings.jobs.downloadTimeoutMs,
      ...options.timeouts
    },
    config: { pixapiImageField: settings.provider.pixapi.multiImageField },
    onProgress: stageReporter(snapshot, ctx),
    onTaskSubmitted: (taskId, requestId) => ctx.onTaskSubmitted(taskId, requestId)
  }
}

/** The provider's progress as the engine's stages, with an answer's request id and links as soon as they are known. */
function stageReporter(snapshot: ItemSnapshot, ctx: RunContext): (e: ProgressEvent) => void {
  return (e) => {
    if (e.stage === 'uploading' && e.sentBytes !== undefined && e.totalBytes !== undefined) {
      ctx.onUpload?.(e.sentBytes, e.totalBytes)
      // A sync request's answer is its result: once the whole body is sent, the model is running.
      ctx.onStage(snapshot.route === 'sync' && e.sentBytes >= e.totalBytes ? 'running' : 'uploading')
      return
    }
    if (e.stage === 'answered' || e.stage === 'downloading') ctx.onAnswered?.(e.requestId, e.outputUrls)
    // Without byte counts there is no "upload finished" point: a sync request on its way is running.
    const stage = e.stage === 'uploading' && snapshot.route === 'sync' ? 'running' : stageOf(e)
    if (stage) ctx.onStage(stage)
  }
}

interface PrepareEnv {
  hashes: HashCache
  limits: UploadLimits
  settings: Settings
  tempDir?: string
}

/** Normalised temporary copies of the item's files, with the originals' hashes for the record. */
async function prepareImages(item: JobItem, signal: AbortSignal, { hashes, limits, settings, tempDir }: PrepareEnv): Promise<PreparedImages> {
  const uploads: NormalisedUpload[] = []
  try {
    const originals: Original[] = []
    const inputs: ImageRequest['inputs'] = []
    let bytes = 0
    for (const input of item.snapshot.inputs) {
      if (signal.aborted) break
      const source = jobInputSource(input)
      if (source.kind === 'url') {
        // Fetched by the provider: nothing to normalise, nothing uploaded from here.
        inputs.push({ source: 'url', url: source.url })
        originals.push(undefined)
        continue
      }
      if (source.kind === 'data') {
        inputs.push({ source: 'data', dataUrl: source.dataUrl })
        originals.push(undefined)
        bytes += dataUrlBytes(source.dataUrl)
        continue
      }
      const sha256 = await hashOrExplain(hashes, source.path)
      const upload = await normaliseForUpload(source.path, limits, { keepMetadata: settings.upload.keepMetadata, tempDir })
      uploads.push(upload)
      originals.push({ path: source.path, sha256 })
      bytes += upload.normalised.bytes
      inputs.push({
        source: 'file',
        path: upload.path,
        // The original's hash, so the record (and the duplicate guard) identify the user's file.
        sha256,
        format: upload.normalised.format,
        width: upload.normalised.width,
        height: upload.normalised.height,
        normalised: upload.normalised
      })
    }
    return new PreparedImages(requestFor(item, inputs), originals, bytes, uploads)
  } catch (err) {
    await Promise.all(uploads.map((u) => u.cleanup()))
    throw err
  }
}

/** The prepared request reshaped for the item's mask (the mask part, or only the masked region). */
async function withMask(prepared: PreparedImages, item: JobItem, catalog: Catalog, tempDir: string | undefined): Promise<PreparedImages> {
  const original = prepared.originals[0]
  const mask = item.snapshot.mask
  if (!mask) return prepared
  try {
    if (!original) throw new AppError({ code: 'validation', field: 'mask', message: 'A mask needs the image to edit as a file on this computer.' })
    const model = catalog.resolve(item.snapshot.model, item.snapshot.provider)
    const shaped = await shapeMaskedRequest(prepared.request, mask, original.path, model, tempDir)
    const first = prepared.request.inputs[0]
    const sentFirst = shaped.request.inputs[0]
    const bytes = prepared.uploadBytes - (first?.source === 'file' ? (first.normalised?.bytes ?? 0) : 0) + (sentFirst?.source === 'file' ? (sentFirst.bytes ?? 0) : 0) + (shaped.request.mask?.length ?? 0)
    return new PreparedImages(shaped.request, prepared.originals, bytes, [prepared, shaped], shaped.plan)
  } catch (err) {
    await prepared.cleanup()
    throw err
  }
}

/**
 * A charged answer to a masked edit, composited over the original. If compositing itself fails, the
 * model's images are kept as they came (they are paid for) and the record says they were not composited.
 */
async function compositeAnswer(record: RequestRecord, images: RunOutcome['images'], plan: MaskPlan): Promise<Pick<RunOutcome, 'record' | 'images'>> {
  const answer = images as Parameters<typeof finishMaskedImages>[0]
  try {
    const done = await finishMaskedImages(answer, plan)
    return { record: { ...record, mask: done.use }, images: done.images }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return { record: { ...record, mask: { sha256: plan.ref.sha256, route: plan.route, leak: [], note: `not composited: ${reason}` } }, images }
  }
}

/** The item's images beside its source (or in the output folder), named and described per the settings. */
async function writeItemOutputs(item: JobItem, outcome: RunOutcome, batchName: string, options: PipelineOptions, chosenDir?: string): Promise<RecordOutput[]> {
  const settings = options.settings()
  const { snapshot } = item
  const answer = outcome.images as Array<{ bytes: Buffer; format?: string; raw?: MaskedOutputImage['raw'] }>
  // A masked edit is composited back onto its original, so it has the original's size whatever was asked.
  const asked = snapshot.mask ? null : askedSizeOf(snapshot.params)
  // A pack target is finished to its own frame below: a wrong size is only noted, never resized twice.
  const delivered = await checkDeliveredSizes(answer, asked, snapshot.finish ? 'keep' : settings.output.sizeMismatch)
  // A pack target's answer is finished to its exact frame before it is written, and checked once written.
  const finished = snapshot.finish ? await finishPackImages(delivered, snapshot.finish, snapshot.prompt) : undefined
  const images = finished ? finished.map((image, i) => ({ ...image, ...(delivered[i]?.sizeMismatch ? { sizeMismatch: delivered[i].sizeMismatch } : {}) })) : delivered
  const first = snapshot.inputs[0] ? jobInputSource(snapshot.inputs[0]) : undefined
  const written = await writeOutputs(images, {
    // Outputs go beside the source only when the source is a file on this computer.
    sourcePath: first?.kind === 'file' ? first.path : undefined,
    outputDir: chosenDir ?? snapshot.outputDir ?? chosenOutputFolder(settings.output),
    fallbackDir: options.fallbackOutputDir ?? join(options.dataDir, 'outputs'),
    template: snapshot.finish ? `${settings.output.namingTemplate}_${packSlug(snapshot.finish.target)}` : settings.output.namingTemplate,
    model: snapshot.model,
    prompt: snapshot.prompt,
    provider: snapshot.provider,
    batch: batchName,
    requestId: outcome.record.requestIds.at(-1),
    sourceSha256: outcome.record.inputs[0]?.sha256,
    sidecar: settings.output.writeSidecar,
    kind: snapshot.kind,
    label: {
      copyExif: settings.output.copySourceExif ? { gps: settings.output.copySourceGps } : undefined,
      contentCredentials: settings.output.contentCredentials ? { dataDir: options.dataDir } : undefined
    },
    metadata: {
      provider: snapshot.provider,
      params: snapshot.params,
      batchId: item.batchId,
      compareGroup: snapshot.compareGroup,
      templateId: snapshot.templateId,
      recordId: outcome.record.id,
      sandbox: snapshot.sandbox,
      ...(snapshot.parent ? { parentRequestId: snapshot.parent.requestId ?? snapshot.parent.recordId, parentOutputIndex: snapshot.parent.outputIndex, rootSha256: snapshot.parent.rootSha256 } : {}),
      ...(snapshot.mask ? { maskSha256: snapshot.mask.sha256 } : {}),
      ...(snapshot.finish ? { pack: snapshot.finish.packId, packTarget: snapshot.finish.target } : {}),
      ...referencesMetadata(outcome.record)
    }
  })
  const outputs = finished && snapshot.finish ? await withPackChecks(written, finished, snapshot.finish) : written
  return settings.output.keepRawMaskResult && !finished ? keepRawResults(outputs, answer) : outputs
}

/** Reference images as the output file describes them: in order, by name, content hash and role. */
function referencesMetadata(record: RequestRecord): { references?: Array<{ image: number; name?: string; sha256?: string; role?: string }> } {
  if (record.kind !== 'edit' || record.inputs.length < 2) return {}
  return {
    references: record.inputs.slice(1).map((input, i) => ({
      image: i + 2,
      // The file name only: a full path would tell whoever gets the picture how the sender's disk is laid out.
      ...(input.path ? { name: basename(input.path) } : input.url ? { name: input.url } : {}),
      ...(input.sha256 ? { sha256: input.sha256 } : {}),
      ...(input.role ? { role: input.role } : {})
    }))
  }
}

function requestFor(item: JobItem, inputs: ImageRequest['inputs']): ImageRequest {
  return {
    kind: item.snapshot.kind,
    provider: item.snapshot.provider,
    model: item.snapshot.model,
    prompt: item.snapshot.prompt,
    params: item.snapshot.params,
    route: item.snapshot.route,
    // Roles ride on the inputs by position; a masked edit's cropped first image keeps its place.
    inputs: inputs.map((input, i) => {
      const role = item.snapshot.inputs[i]?.role
      return role ? { ...input, role } : input
    }),
    sandbox: item.snapshot.sandbox,
    batchId: item.batchId,
    compareGroup: item.snapshot.compareGroup,
    templateId: item.snapshot.templateId,
    jobItemId: item.id
  }
}

/** The record names the user's files, not the temporary upload copies. */
function withOriginals(record: RequestRecord, originals: readonly Original[]): RequestRecord {
  return {
    ...record,
    inputs: record.inputs.map((input, i) => {
      const original = originals[i]
      return original ? { ...input, path: original.path, sha256: original.sha256 } : input
    })
  }
}

/**
 * What the duplicate guard compares an input by: a file's content, a data URL's decoded content (so
 * the same picture given either way is the same input), a web address by the address itself (its
 * content is the server's to change).
 */
async function inputIdentity(hashes: HashCache, input: JobInput): Promise<string> {
  const source = jobInputSource(input)
  // As the provider records it (new URL() normalises), so the guard finds the earlier request.
  if (source.kind === 'url') return new URL(source.url).toString()
  if (source.kind === 'data') return createHash('sha256').update(decodeDataUrl(source.dataUrl, input.path)).digest('hex')
  return hashes.get(source.path)
}

/** Decoded size of a base64 data URL, without decoding it. */
function dataUrlBytes(dataUrl: string): number {
  const body = dataUrl.slice(dataUrl.indexOf(',') + 1)
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0
  return Math.max(0, Math.floor((body.length * 3) / 4) - padding)
}

async function hashOrExplain(hashes: HashCache, path: string): Promise<string> {
  try {
    return await hashes.get(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new AppError(
      {
        code: code === 'ENOENT' ? 'not_found_file' : 'unreadable',
        path,
        message: code === 'ENOENT' ? `${path} no longer exists; it may have been moved or deleted.` : `${path} cannot be read (${code ?? 'error'}).`
      },
      { cause: err }
    )
  }
}

function stageOf(e: ProgressEvent): RunStage | undefined {
  switch (e.stage) {
    case 'uploading':
      return 'uploading'
    case 'waiting':
      return 'running'
    case 'submitted':
    case 'polling':
      return 'polling'
    case 'downloading':
    case 'verifying':
      return 'downloading'
    default:
      return undefined
  }
}

export interface OpenJobsOptions extends PipelineOptions {
  templates?: TemplateLibrary
  backoff?: Partial<BackoffOptions>
  probe?: { baseMs?: number; maxMs?: number }
  runOnly?: EngineOptions['runOnly']
  owner?: EngineOptions['owner']
  /** Adjusts the limits read from the settings for this process only (a command's --concurrency). */
  limits?: (fromSettings: JobLimits) => JobLimits
}

/** The engine as the app and the CLI run it: real modules, limits read live from the settings. */
export function openJobEngine(options: OpenJobsOptions): ReturnType<typeof JobEngine.open> {
  const adjust = options.limits
  return JobEngine.open({
    dataDir: options.dataDir,
    deps: createJobDeps(options),
    limits: adjust ? () => adjust(jobLimitsFromSettings(options.settings())) : () => jobLimitsFromSettings(options.settings()),
    templates: options.templates,
    backoff: options.backoff,
    probe: options.probe,
    runOnly: options.runOnly,
    owner: options.owner
  })
}
