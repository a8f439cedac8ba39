import type { z } from 'zod'
import { channels, type Channel, type Envelope, type Result } from '../../shared/contract'
import { AppError, toAppErrorData, type AppErrorData } from '../../shared/errors'
import type { SettingsPatch } from '../../shared/settings'
import type { BatchSummary } from './jobs/model'
import type { JobEngine } from './jobs/engine'
import type { Services } from './services'
import { checkAgainstLimits } from './library'
import { testKey } from './providers/execute'
import { uploadLimitsFor } from './limits'
import { toBatchSpec } from './jobspec'
import { assetView, batchDetailView, batchView, compareGroupOf, historyEntryView, historyPageView, keyView } from './viewmodels'

/**
 * Starts an import and answers as soon as the new folders are registered: assets and thumbnails then
 * stream to the renderer through library events, so a folder of thousands never blocks the window.
 */
async function startImport(services: Services, paths: readonly string[]) {
  const done = services.library.importPaths(paths)
  done.catch((err: unknown) => services.events.emit('app.notice', { level: 'error', message: toAppErrorData(err).message }))
  await Promise.race([done.catch(() => undefined), services.library.whenRegistered(paths)])
  return services.libraryRoots()
}

type Handler<C extends Channel> = (payload: z.output<(typeof channels)[C]['payload']>) => Promise<Result<C>>
type Handlers = { [C in Channel]: Handler<C> }

function createHandlers(services: Services): Handlers {
  /** Runs a batch change and answers with the batch as the renderer sees it (compare group included). */
  const withEngine = async (change: (engine: JobEngine) => BatchSummary | Promise<BatchSummary>) => {
    const engine = await services.jobs()
    const summary = await change(engine)
    return batchView(summary, compareGroupOf(engine, summary))
  }
  return {
    'app.info': async () => ({
      name: 'Pixdesk',
      version: services.version,
      platform: process.platform,
      dataDir: services.paths.dataDir
    }),
    'app.ping': async ({ message }) => ({ echo: message, at: new Date().toISOString() }),

    'settings.get': async () => ({ settings: services.settings.get(), notice: services.settings.notice() }),
    'settings.update': async ({ patch }) => services.settings.update(patch as SettingsPatch),

    'settings.pickOutputFolder': async () => {
      const [folder] = await services.dialogs.openDirectories()
      return folder ? services.settings.update({ output: { folderMode: 'custom', customFolder: folder } }) : null
    },

    'keys.status': async () => (await services.keychain.statusAll()).map(keyView),
    'keys.set': async ({ provider, key }) => {
      await services.keychain.setKey(provider, key)
      return keyView(await services.keychain.status(provider))
    },
    'keys.delete': async ({ provider }) => {
      await services.keychain.deleteKey(provider)
      return keyView(await services.keychain.status(provider))
    },

    'keys.test': async ({ provider }) => {
      const settings = services.settings.get()
      const key = await services.keychain.getKey(provider)
      if (!key) return { provider, ok: false, checked: false, message: `No ${provider} key is set.` }
      const check = await testKey(provider, key, settings.provider.baseUrls[provider])
      return { provider, ok: check.status === 'valid', checked: check.status === 'valid' || check.status === 'invalid', message: check.message }
    },

    'catalog.models': async () => services.catalog.models(),
    'catalog.addCustom': async (model) => {
      await services.customModels.add(model)
      return services.catalog.resolve(model.id, model.provider)
    },
    'catalog.removeCustom': async ({ id }) => {
      await services.customModels.remove(id)
      return services.catalog.models()
    },

    'templates.list': async () => services.templates.list(),
    'sandbox.status': async () => {
      const url = services.sandbox.url()
      return url ? { running: true, url } : { running: false }
    },

    'library.pick': async ({ kind }) => {
      const paths = kind === 'folders' ? await services.dialogs.openDirectories() : await services.dialogs.openFiles({ images: true })
      return paths.length ? startImport(services, paths) : services.libraryRoots()
    },
    'library.import': ({ paths }) => startImport(services, paths),
    'library.paste': async ({ base64, name }) =>
      assetView(await services.library.importBytes(Buffer.from(base64, 'base64'), name), services.assetUrls),
    'library.roots': async () => services.libraryRoots(),
    'library.removeRoot': async ({ rootId }) => {
      const root = services.libraryRoots().find((r) => r.id === rootId)
      if (!root) throw new AppError({ code: 'validation', field: 'rootId', message: 'That folder is no longer in the library.' })
      await services.library.removeRoot(root.path)
      return services.libraryRoots()
    },
    'library.assets': async ({ rootId, filter, search }) => {
      const needle = search?.trim().toLowerCase()
      return services.library
        .list()
        .map((asset) => assetView(asset, services.assetUrls))
        .filter((a) => !rootId || a.rootId === rootId)
        .filter((a) => filter === 'all' || (filter === 'ok' ? a.ok === true : a.ok === false))
        .filter((a) => !needle || a.relPath.toLowerCase().includes(needle))
        .sort((a, b) => a.relPath.localeCompare(b.relPath, undefined, { numeric: true }))
    },
    'library.check': async ({ assetIds, model, provider }) => {
      const route = provider ?? services.settings.get().provider.active
      const limits = uploadLimitsFor(services.catalog.resolve(model, route), route)
      return assetIds.map((assetId) => {
        const asset = services.library.get(assetId)
        if (!asset) return { assetId, ok: false, error: { code: 'not_found_file' as const, message: 'This file is no longer in the library.' } }
        const verdict = checkAgainstLimits(asset, limits)
        return verdict.ok ? { assetId, ok: true } : { assetId, ok: false, error: verdict.error }
      })
    },

    'jobs.estimate': async (request) => {
      const settings = services.settings.get()
      // Unusable images are listed with their reason, and the estimate covers the rest, so the form
      // can say what will happen before anything is queued.
      const problems: Array<{ assetId: string; error: AppErrorData }> = []
      const usable = request.assetIds.filter((assetId) => {
        const asset = services.library.get(assetId)
        if (!asset) problems.push({ assetId, error: { code: 'not_found_file', message: 'This image is no longer in the library.' } })
        else if (!asset.verdict.ok) problems.push({ assetId, error: asset.verdict.error })
        return asset?.verdict.ok === true
      })
      if (request.kind === 'edit' && usable.length === 0) {
        return { items: 0, perModel: [], total: 0, unpriced: [], duplicates: [], problems }
      }
      const spec = toBatchSpec({ ...request, assetIds: usable }, settings, services.library)
      const engine = await services.jobs()
      const estimate = await engine.estimate(spec)
      const byPath = new Map(spec.files?.map((f) => [f.path, f.assetId ?? '']) ?? [])
      return {
        items: estimate.items,
        perModel: estimate.perModel,
        total: estimate.total,
        unpriced: estimate.unpriced,
        duplicates: estimate.duplicates.map((d) => ({ assetId: byPath.get(d.source) ?? '', model: d.model, recordId: d.recordId, at: d.at })),
        problems
      }
    },
    'jobs.start': async (request) => {
      const spec = toBatchSpec(request, services.settings.get(), services.library)
      const engine = await services.jobs()
      const summary = await engine.createBatch(spec)
      return batchDetailView(engine.get(summary.id), services.assetUrls, services.library)
    },
    'jobs.list': async () => {
      const engine = await services.jobs()
      return engine.list().map((b) => batchView(b, compareGroupOf(engine, b)))
    },
    'jobs.get': async ({ batchId }) => batchDetailView((await services.jobs()).get(batchId), services.assetUrls, services.library),
    'jobs.pause': async ({ batchId }) => withEngine((engine) => engine.pause(batchId)),
    'jobs.resume': async ({ batchId }) => withEngine((engine) => engine.resume(batchId)),
    'jobs.cancel': async ({ batchId, itemIds }) => withEngine((engine) => engine.cancel(batchId, itemIds)),
    'jobs.retry': async ({ batchId, itemIds }) => withEngine((engine) => engine.retry(batchId, itemIds)),
    'jobs.reorder': async ({ batchId, itemIds }) => withEngine((engine) => engine.reorder(batchId, itemIds)),
    'jobs.resolveDuplicates': async ({ batchId, decision, itemIds }) => withEngine((engine) => engine.resolveDuplicates(batchId, decision, itemIds)),
    'jobs.setBudget': async ({ batchId, credits }) => withEngine((engine) => engine.setBudget(batchId, credits)),
    'jobs.network': async () => (await services.jobs()).networkState(),

    'compare.verdict': (input) => services.history.appendVerdict(input),

    'history.query': async (query) => historyPageView(await services.history.query(query), services.assetUrls),
    'history.get': async ({ id }) => {
      const item = await services.history.get(id)
      return item ? historyEntryView(item, services.assetUrls) : null
    },
    'history.totals': (query) => services.history.totals(query),
    'history.export': async ({ format, filter }) => {
      const stamp = new Date().toISOString().slice(0, 10)
      const target = await services.dialogs.saveFile({ defaultName: `pixdesk-history-${stamp}.${format}`, extensions: [format] })
      if (!target) return { path: null, count: 0 }
      return services.exportHistory(format, filter ?? {}, target)
    },
    'outputs.reveal': async ({ recordId, index }) => {
      const output = (await services.history.get(recordId))?.outputs[index]
      if (!output) throw new AppError({ code: 'validation', field: 'recordId', message: 'That output is not in the history.' })
      if (output.fileMissing) {
        throw new AppError({ code: 'not_found_file', path: output.path, message: `${output.path} is no longer on disk (moved or deleted outside Pixdesk).` })
      }
      await services.dialogs.reveal(output.path)
      return { ok: true as const }
    },
    'history.delete': ({ id, deleteFiles }) => services.history.deleteEntry(id, { deleteFiles })
  }
}

export type Dispatch = (channel: string, payload: unknown) => Promise<Envelope>

/**
 * The main-process side of every IPC call: look the channel up in the contract, validate the payload
 * with its schema, run the service, and return an envelope. Electron's ipcMain and the browser test
 * harness both call this, so the UI is always tested against the real handlers.
 */
export function createDispatcher(services: Services): Dispatch {
  const handlers = createHandlers(services)
  return async (channel, payload) => {
    try {
      if (!Object.hasOwn(channels, channel)) {
        throw new AppError({ code: 'validation', message: `Unknown request "${channel}".` })
      }
      const name = channel as Channel
      const parsed = channels[name].payload.safeParse(payload ?? {})
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const field = issue?.path.join('.') || undefined
        throw new AppError({
          code: 'validation',
          field,
          message: `Invalid ${name} request${field ? ` (field "${field}")` : ''}: ${issue?.message ?? 'bad payload'}`
        })
      }
      const handler = handlers[name] as (p: unknown) => Promise<unknown>
      return { ok: true, value: await handler(parsed.data) }
    } catch (err) {
      return { ok: false, error: toAppErrorData(err) }
    }
  }
}
