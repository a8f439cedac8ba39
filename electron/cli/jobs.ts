import { join } from 'node:path'
import { priceFor } from '../../shared/catalog'
import type { ItemSnapshot, JobItem } from '../../shared/jobs'
import type { ProviderId, RequestRecord } from '../../shared/records'
import { requestFingerprint } from '../core/history/fingerprint'
import { sha256File } from '../core/library/inspect'
import { normaliseForUpload, type NormalisedUpload } from '../core/library/normalise'
import { JobEngine } from '../core/jobs/engine'
import { probeUrl } from '../core/jobs/network'
import type { JobDeps, PreparedRequest, RunContext, RunOutcome } from '../core/jobs/types'
import { outputTemplateSchema, writeOutputs, type OutputImage } from '../core/outputs'
import { executeImageRequest, resumeAsyncTask, type ImageInput, type ImageRequest, type ProgressEvent } from '../core/providers'
import type { Services } from '../core/services'
import type { Connection } from './connection'
import type { CliContext } from './context'
import { uploadLimitsFor } from './models'

interface CliPrepared extends PreparedRequest {
  inputs: ImageInput[]
}

/** An input given as a web address or a data URL rather than a file. */
export function inputSource(path: string): ImageInput | null {
  if (/^https?:\/\//i.test(path)) return { source: 'url', url: path }
  if (/^data:/i.test(path)) return { source: 'data', dataUrl: path }
  return null
}

/**
 * The jobs engine for this command, sending through `connection`. Concurrency the user asked for on the
 * command line raises the settings' limits for this run only.
 */
export async function openEngine(ctx: CliContext, services: Services, connection: Connection, concurrency?: number): Promise<JobEngine> {
  const history = ctx.history(services)
  const settings = () => services.settings.get()
  const catalog = services.catalog

  const requestFor = (item: JobItem, inputs: ImageInput[]): ImageRequest => ({
    kind: item.snapshot.kind,
    provider: item.snapshot.provider,
    model: item.snapshot.model,
    prompt: item.snapshot.prompt,
    params: item.snapshot.params,
    route: item.snapshot.route,
    inputs,
    sandbox: connection.sandbox,
    batchId: item.batchId,
    compareGroup: item.snapshot.compareGroup,
    templateId: item.snapshot.templateId,
    jobItemId: item.id
  })

  const executeOptions = (provider: ProviderId, run: RunContext) => ({
    apiKey: connection.apiKey(provider),
    baseUrl: connection.baseUrl(provider),
    signal: run.signal,
    catalog,
    // The engine owns retries (with its own backoff and 429 pauses): one try per run here.
    retry: { maxAttempts: 1 },
    config: { pixapiImageField: settings().provider.pixapi.multiImageField },
    onTaskSubmitted: run.onTaskSubmitted,
    onProgress: (e: ProgressEvent) => {
      if (e.stage === 'submitted' || e.stage === 'waiting') run.onStage('running')
      else if (e.stage === 'polling') run.onStage('polling')
      else if (e.stage === 'downloading' || e.stage === 'verifying') run.onStage('downloading')
    }
  })

  const deps: JobDeps = {
    async prepare(item): Promise<CliPrepared> {
      const model = catalog.resolve(item.snapshot.model, item.snapshot.provider)
      const limits = uploadLimitsFor(model, item.snapshot.provider)
      const uploads: NormalisedUpload[] = []
      const inputs: ImageInput[] = []
      try {
        for (const input of item.snapshot.inputs) {
          const remote = inputSource(input.path)
          if (remote) {
            inputs.push(remote)
            continue
          }
          const upload = await normaliseForUpload(input.path, limits, { keepMetadata: settings().upload.keepMetadata })
          uploads.push(upload)
          inputs.push({ source: 'file', path: upload.path, ...upload.normalised, normalised: upload.normalised })
        }
      } catch (err) {
        await Promise.all(uploads.map((u) => u.cleanup()))
        throw err
      }
      return {
        inputs,
        uploadBytes: uploads.reduce((sum, u) => sum + u.normalised.bytes, 0),
        cleanup: async () => void (await Promise.all(uploads.map((u) => u.cleanup())))
      }
    },

    async execute(item, prepared, run): Promise<RunOutcome> {
      const inputs = (prepared as CliPrepared).inputs
      const outcome = await executeImageRequest(requestFor(item, inputs), executeOptions(item.snapshot.provider, run))
      // The record names the files the user gave, not the temporary upload copies.
      outcome.record.inputs = outcome.record.inputs.map((r, i) => {
        const given = item.snapshot.inputs[i]?.path
        return r.source === 'file' && given ? { ...r, path: given } : r
      })
      return outcome
    },

    async resume(item, taskId, run) {
      const inputs = item.snapshot.inputs.map((i) => inputSource(i.path) ?? ({ source: 'file', path: i.path } as ImageInput))
      return resumeAsyncTask(taskId, requestFor(item, inputs), executeOptions(item.snapshot.provider, run))
    },

    async writeOutputs(item, outcome) {
      const source = item.snapshot.inputs[0]?.path
      const fileSource = source && !inputSource(source) ? source : undefined
      const configured = settings().output
      const template = outputTemplateSchema.safeParse(configured.namingTemplate)
      return writeOutputs(outcome.images as OutputImage[], {
        sourcePath: fileSource,
        outputDir: item.snapshot.outputDir ?? (configured.folderMode === 'custom' ? (configured.customFolder ?? undefined) : undefined),
        fallbackDir: join(process.cwd(), 'pixdesk'),
        template: template.success ? template.data : undefined,
        model: item.snapshot.model,
        prompt: item.snapshot.prompt,
        requestId: outcome.record.requestIds[0],
        sourceSha256: outcome.record.inputs[0]?.sha256,
        sidecar: configured.writeSidecar,
        metadata: { provider: item.snapshot.provider, size: item.snapshot.params.size, quality: item.snapshot.params.quality, sandbox: connection.sandbox }
      })
    },

    appendRecord: (record) => history.append(record),

    async itemRecords(itemId) {
      const items = await history.findByJobItem(itemId)
      return items.map(({ verdict: _verdict, outputs, ...rest }): RequestRecord => ({
        ...rest,
        outputs: outputs.map(({ fileMissing: _missing, ...o }) => o)
      }))
    },

    async findDuplicate(snapshot: ItemSnapshot) {
      const inputSha256s = await Promise.all(snapshot.inputs.map(async (i) => (inputSource(i.path) ? i.path : sha256File(i.path))))
      const fingerprint = requestFingerprint({ model: snapshot.model, params: snapshot.params, prompt: snapshot.prompt, inputSha256s, sandbox: snapshot.sandbox })
      const found = await history.findSucceededDuplicate(fingerprint)
      return found ? { recordId: found.id, at: found.finishedAt } : null
    },

    estimate(snapshot) {
      const model = catalog.get(snapshot.model)
      if (!model) return null
      // Catalog prices are Pixapi credits; direct routes are billed by their providers in money.
      if (snapshot.provider !== 'pixapi') return 0
      return priceFor(model, snapshot.params.size, snapshot.params.quality, snapshot.params.n)
    },

    endpoint(snapshot) {
      const base = connection.baseUrl(snapshot.provider)
      if (snapshot.provider === 'gemini') return `${base}/v1beta/models/${snapshot.model}:generateContent`
      const path = snapshot.kind === 'edit' ? 'images/edits' : 'images/generations'
      return snapshot.route === 'async' ? `${base}/v1/async/${path}` : `${base}/v1/${path}`
    },

    async spentSince(dayStart) {
      const totals = await history.totals({ by: 'day', from: dayStart.toISOString(), sandbox: connection.sandbox })
      return totals.overall.credits
    },

    probe: (provider) => probeUrl(connection.baseUrl(provider))
  }

  const { engine, notice } = await JobEngine.open({
    dataDir: services.paths.dataDir,
    deps,
    templates: services.templates,
    limits: () => {
      const jobs = settings().jobs
      const wanted = Math.max(jobs.concurrency, concurrency ?? 0)
      const perProvider = Object.fromEntries(
        Object.entries(jobs.perProviderConcurrency).map(([p, n]) => [p, Math.max(n, concurrency ?? 0)])
      ) as Record<ProviderId, number>
      return { concurrency: wanted, perProvider, maxAttempts: jobs.maxAttempts, maxRateLimitHits: 5, dailyBudgetCredits: jobs.dailyBudgetCredits }
    }
  })
  if (notice) ctx.out.note(`pixdesk: ${notice}`)
  return engine
}
