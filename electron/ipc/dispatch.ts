import type { z } from 'zod'
import { channels, type Channel, type Envelope, type Result } from '../../shared/contract'
import { AppError, toAppErrorData } from '../../shared/errors'
import type { BatchSummary } from '../core/jobs/model'
import type { SettingsPatch } from '../../shared/settings'
import type { KitView } from '../../shared/kits'
import type { JobEngine } from '../core/jobs/engine'
import type { Services } from '../core/services'
import { lineageOf } from '../core/history/lineage'
import type { AssetUrls } from './asset-urls'
import type { PathGrants } from './grants'
import { lineageView } from './lineage-view'
import { assetView, batchDetailView, batchView, compareGroupOf, historyEntryView, historyPageView, keyView, rootViews } from './viewmodels'

type Handler<C extends Channel> = (payload: z.output<(typeof channels)[C]['payload']>) => Promise<Result<C>>
type Handlers = { [C in Channel]: Handler<C> }

interface HandlerContext {
  services: Services
  urls: AssetUrls
  grants: PathGrants
}

/** The handlers of the channels whose names start with one of these prefixes. */
type HandlersOf<Prefix extends string> = { [C in Channel as C extends `${Prefix}.${string}` ? C : never]: Handler<C> }

/** Each channel: its payload handed to the services, their answer turned into what the renderer is shown. */
function createHandlers(services: Services, urls: AssetUrls, grants: PathGrants): Handlers {
  const context: HandlerContext = { services, urls, grants }
  return {
    ...appHandlers(context),
    ...contentHandlers(context),
    ...libraryHandlers(context),
    ...jobHandlers(context),
    ...historyHandlers(context)
  }
}

function appHandlers({ services, grants }: HandlerContext): HandlersOf<'app' | 'settings' | 'keys' | 'catalog' | 'sandbox' | 'clipboard'> {
  return {
    'app.info': async () => ({
      name: 'Pixdesk',
      version: services.version,
      platform: process.platform,
      dataDir: services.paths.dataDir
    }),
    'app.ping': async ({ message }) => ({ echo: message, at: new Date().toISOString() }),

    'settings.get': async () => ({ settings: services.settings.get(), notice: services.settings.notice() }),
    'settings.update': async ({ patch }) => {
      const folder = (patch.output as { customFolder?: unknown } | undefined)?.customFolder
      if (typeof folder === 'string' && folder !== services.settings.get().output.customFolder) {
        await grants.assertAllowed(folder, 'the output folder', writableFolders(services))
      }
      return services.updateSettingsFromWindow(patch as SettingsPatch)
    },
    'settings.pickOutputFolder': () => services.pickOutputFolder(),

    'keys.status': async () => (await services.keychain.statusAll()).map(keyView),
    'keys.set': async ({ provider, key }) => {
      await services.saveKey(provider, key)
      return keyView(await services.keychain.status(provider))
    },
    'keys.delete': async ({ provider }) => {
      await services.keychain.deleteKey(provider)
      return keyView(await services.keychain.status(provider))
    },
    'keys.test': ({ provider }) => services.testKey(provider),

    'catalog.models': async () => services.catalog.models(),
    'catalog.addCustom': async (model) => {
      await services.customModels.add(model)
      return services.catalog.resolve(model.id, model.provider)
    },
    'catalog.removeCustom': async ({ id }) => {
      await services.customModels.remove(id)
      return services.catalog.models()
    },

    'sandbox.status': async () => {
      const url = services.sandbox.url()
      return url ? { running: true, url } : { running: false }
    },

    'clipboard.write': async ({ text }) => {
      await services.dialogs.copyText(text)
      return { ok: true as const }
    }
  }
}

/** Templates, brand kits and channel packs: what the user keeps to reuse in edits. */
function contentHandlers({ services, urls, grants }: HandlerContext): HandlersOf<'templates' | 'kits' | 'packs'> {
  const { library } = services
  const kitWithUrls = (kit: KitView): KitView => ({ ...kit, references: kit.references.map((ref) => ({ ...ref, url: urls.kitImage?.(kit.id, ref.sha256) })) })
  return {
    'templates.list': () => services.templates.views(),
    'kits.list': async () => (await services.brandKits.list()).map(kitWithUrls),
    'kits.create': async ({ kit }) => kitWithUrls(await services.brandKits.create(kit)),
    'kits.update': async ({ id, kit }) => kitWithUrls(await services.brandKits.update(id, kit)),
    'kits.duplicate': async ({ id }) => kitWithUrls(await services.brandKits.duplicate(id)),
    'kits.delete': async ({ id }) => {
      await services.brandKits.remove(id)
      return { id }
    },
    'kits.import': async ({ form }) => {
      const kit = await services.brandKits.importWithDialog(form)
      return kit ? kitWithUrls(kit) : null
    },
    'kits.export': ({ id, form }) => services.brandKits.exportWithDialog(id, form),
    'templates.warnings': async () => {
      await services.templates.refresh()
      return services.templates.warnings()
    },
    'templates.create': ({ template }) => services.templates.create(template),
    'templates.update': ({ id, template }) => services.templates.update(id, template),
    'templates.duplicate': ({ id }) => services.templates.duplicate(id),
    'templates.delete': async ({ id }) => {
      await services.templates.remove(id)
      return { id }
    },
    'templates.import': () => services.importTemplates(),
    'templates.export': ({ ids }) => services.exportTemplates(ids),
    'packs.list': () => services.packs.list(),
    'packs.save': ({ id, pack }) => services.packs.save(pack, id),
    'packs.delete': async ({ id }) => {
      await services.packs.remove(id)
      return { id }
    },
    'packs.import': () => services.packs.importWithDialog(),
    'packs.export': ({ ids }) => services.packs.exportWithDialog(ids),
    'packs.plan': async (request) => {
      if (request.outputDir) await grants.assertAllowed(request.outputDir, 'the output folder', writableFolders(services))
      return services.packs.plan(request)
    },
    'packs.run': async (request) => {
      if (request.outputDir) await grants.assertAllowed(request.outputDir, 'the output folder', writableFolders(services))
      return batchDetailView(await services.packs.run(request), urls, library)
    }
  }
}

function libraryHandlers({ services, urls, grants }: HandlerContext): HandlersOf<'watch' | 'library'> {
  const { library } = services
  const roots = () => rootViews(library)
  /** A rule names only folders the user chose (in a dialog, by dropping them, or already in the library). */
  const allowedRule = async <R extends { folder: string; outputDir?: string }>(rule: R): Promise<R> => {
    await grants.assertAllowed(rule.folder, 'as the folder to watch', library.importedRoots())
    if (rule.outputDir) await grants.assertAllowed(rule.outputDir, 'as the output folder', writableFolders(services))
    return rule
  }
  return {
    'watch.list': () => services.watch.list(),
    'watch.pickFolder': async () => {
      const [folder] = await services.dialogs.openDirectories()
      if (!folder) return null
      // Chosen in a native dialog: the window may name it when it saves the rule.
      await grants.grant([folder])
      return { path: folder }
    },
    'watch.create': async ({ rule }) => services.watch.create(await allowedRule(rule)),
    'watch.update': async ({ id, rule }) => services.watch.update(id, await allowedRule(rule)),
    'watch.setPaused': ({ id, paused }) => services.watch.setPaused(id, paused),
    'watch.delete': async ({ id }) => {
      await services.watch.remove(id)
      return { id }
    },

    'library.pick': async ({ kind }) => {
      await services.pickAndImport(kind)
      return roots()
    },
    'library.import': async ({ paths }) => {
      for (const path of paths) await grants.assertAllowed(path, 'to import', library.importedRoots())
      await services.startImport(paths)
      return roots()
    },
    'library.paste': async ({ base64, name }) => assetView(await library.importBytes(Buffer.from(base64, 'base64'), name), urls),
    'library.roots': async () => roots(),
    'library.removeRoot': async ({ rootId }) => {
      await services.removeImport(rootId)
      return roots()
    },
    'library.assets': async (query) => services.findAssets(query).map((asset) => assetView(asset, urls)),
    'library.check': async ({ assetIds, model, provider }) => services.checkAssets(assetIds, model, provider)
  }
}

function jobHandlers({ services, urls, grants }: HandlerContext): HandlersOf<'jobs'> {
  const { library } = services
  /** Runs a batch change and answers with the batch as the renderer sees it (compare group included). */
  const withEngine = async (change: (engine: JobEngine) => BatchSummary | Promise<BatchSummary>) => {
    const engine = await services.jobs()
    const summary = await change(engine)
    return batchView(summary, compareGroupOf(engine, summary))
  }
  return {
    'jobs.estimate': async (request) => {
      if (request.outputDir) await grants.assertAllowed(request.outputDir, 'the output folder', writableFolders(services))
      return services.estimate(request)
    },
    'jobs.start': async (request) => {
      if (request.outputDir) await grants.assertAllowed(request.outputDir, 'the output folder', writableFolders(services))
      return batchDetailView(await services.startBatch(request), urls, library)
    },
    'jobs.list': async () => {
      const engine = await services.jobs()
      return engine.list().map((b) => batchView(b, compareGroupOf(engine, b)))
    },
    'jobs.get': async ({ batchId }) => batchDetailView((await services.jobs()).get(batchId), urls, library),
    'jobs.pause': async ({ batchId }) => withEngine((engine) => engine.pause(batchId)),
    'jobs.resume': async ({ batchId }) => withEngine((engine) => engine.resume(batchId)),
    'jobs.cancel': async ({ batchId, itemIds }) => withEngine((engine) => engine.cancel(batchId, itemIds)),
    'jobs.retry': async ({ batchId, itemIds }) => withEngine((engine) => engine.retry(batchId, itemIds)),
    'jobs.reorder': async ({ batchId, itemIds }) => withEngine((engine) => engine.reorder(batchId, itemIds)),
    'jobs.saveAgain': async ({ batchId, itemIds, chooseFolder }) => {
      // The folder comes from main's own dialog: the window never names a path to write to.
      const folder = chooseFolder ? await services.pickSaveAgainFolder() : undefined
      if (folder === null) return null
      return withEngine((engine) => engine.saveAgain(batchId, itemIds, folder))
    },
    'jobs.resolveDuplicates': async ({ batchId, decision, itemIds }) => withEngine((engine) => engine.resolveDuplicates(batchId, decision, itemIds)),
    'jobs.setBudget': async ({ batchId, credits }) => withEngine((engine) => engine.setBudget(batchId, credits)),
    'jobs.network': async () => (await services.jobs()).networkState(),
    'jobs.continueFrom': async (request) => batchDetailView(await services.continueFrom(request), urls, library)
  }
}

function historyHandlers({ services, urls }: HandlerContext): HandlersOf<'history' | 'outputs' | 'compare'> {
  return {
    'compare.verdict': (input) => services.history.appendVerdict(input),

    'history.query': async (query) => historyPageView(await services.history.query(query), urls),
    'history.get': async ({ id }) => {
      const item = await services.history.get(id)
      return item ? historyEntryView(item, urls) : null
    },
    'history.totals': (query) => services.history.totals(query),
    'history.export': ({ format, filter }) => services.exportHistory(format, filter ?? {}),
    'outputs.reveal': async ({ recordId, index }) => {
      await services.revealOutput(recordId, index)
      return { ok: true as const }
    },
    'history.delete': ({ id, deleteFiles }) => services.deleteHistoryEntry(id, deleteFiles),
    'history.spend': (query) => services.history.spend(query),
    'history.supportBundle': async ({ id }) => ({ text: await services.supportBundle(id) }),
    'history.lineage': async ({ recordId }) => lineageView(await lineageOf(services.history, recordId), urls)
  }
}

/** Folders the window may send outputs into: the chosen output folder and the library's folders. */
function writableFolders(services: Services): string[] {
  return [...services.library.outputFolders(), ...services.library.importedRoots()]
}

export type Dispatch = (channel: string, payload: unknown) => Promise<Envelope>

/**
 * The main-process side of every IPC call: look the channel up in the contract, validate the payload
 * with its schema, run the service, and return an envelope. Electron's ipcMain and the browser test
 * harness both call this, so the UI is always tested against the real handlers.
 */
export function createDispatcher(services: Services, urls: AssetUrls, grants: PathGrants): Dispatch {
  const handlers = createHandlers(services, urls, grants)
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
