import { EventEmitter } from 'node:events'
import type { EventMap, EventName } from '../../shared/contract'
import type { AssetView } from '../../shared/views'
import type { JobEngine } from '../core/jobs/engine'
import type { AssetChange, ImportProgress, Library } from '../core/library/library'
import type { Services } from '../core/services'
import type { AssetUrls } from './asset-urls'
import { assetView, batchView, compareGroupOf, itemView, rootViews } from './viewmodels'

/** Main → renderer notifications, typed by the contract. The window (or test harness) forwards them. */
export class RendererEvents {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(50)
  }

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    this.emitter.emit('event', event, payload)
  }

  /** Every event, for forwarding across a process boundary. */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void {
    this.emitter.on('event', listener)
    return () => this.emitter.off('event', listener)
  }
}

/** Everything the services announce, as the renderer's contract events; returns how to stop. */
export function forwardServiceEvents(services: Services, events: RendererEvents, urls: AssetUrls): () => void {
  const stops = [
    services.events.on('settings.changed', (settings) => events.emit('settings.changed', settings)),
    services.events.on('app.notice', (notice) => events.emit('app.notice', notice)),
    forwardLibraryEvents(services.library, events, urls),
    services.watch.on((view) => events.emit('watch.rule', view)),
    services.onJobsOpened((engine) => stops.push(forwardJobEvents(engine, events, urls, services.library)))
  ]
  return () => {
    for (const stop of stops.splice(0)) stop()
  }
}

const BATCH_MS = 80

/**
 * Library changes reach the renderer in batches: an import of thousands of files becomes a few dozen
 * messages a second, not thousands, and the grid fills in smoothly.
 */
export function forwardLibraryEvents(library: Library, events: RendererEvents, urls: AssetUrls): () => void {
  const upserted = new Map<string, AssetView>()
  const removed = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let lastFlush = Number.NEGATIVE_INFINITY
  const flush = () => {
    timer = undefined
    if (upserted.size === 0 && removed.size === 0) return
    lastFlush = performance.now()
    events.emit('library.changed', { upserted: [...upserted.values()], removed: [...removed], roots: rootViews(library) })
    upserted.clear()
    removed.clear()
  }
  const onAsset = (change: AssetChange) => {
    if (change.type === 'removed') {
      upserted.delete(change.assetId)
      removed.add(change.assetId)
    } else {
      removed.delete(change.asset.id)
      upserted.set(change.asset.id, assetView(change.asset, urls))
    }
    // The first change after a quiet spell goes out at once (what was announced in the same tick rides
    // along): the first thumbnail of an import is on screen without waiting out a batch window.
    timer ??= setTimeout(flush, Math.max(0, BATCH_MS - (performance.now() - lastFlush)))
  }
  const onProgress = (p: ImportProgress) => {
    events.emit('library.progress', { rootId: p.importId, scanned: p.found, inspected: p.done, done: p.finished })
    if (p.finished) flush()
  }
  library.on('asset', onAsset)
  library.on('progress', onProgress)
  return () => {
    library.off('asset', onAsset)
    library.off('progress', onProgress)
    if (timer) clearTimeout(timer)
  }
}

/** Engine events as the renderer's contract events, with asset URLs instead of paths. */
function forwardJobEvents(engine: JobEngine, events: RendererEvents, urls: AssetUrls, library: Library): () => void {
  return engine.on((event) => {
    switch (event.type) {
      case 'batch.created':
      case 'batch.updated':
        events.emit('jobs.batch', batchView(event.batch, compareGroupOf(engine, event.batch)))
        break
      case 'batch.finished': {
        const summary = engine.get(event.batchId)
        events.emit('jobs.batch', batchView(summary, compareGroupOf(engine, summary)))
        break
      }
      case 'item.updated':
        events.emit('jobs.item', itemView(event.item, urls, library))
        break
      case 'network':
        events.emit('jobs.network', event.network)
        break
      case 'rate_limited':
        events.emit('app.notice', {
          level: 'info',
          message: `${event.provider} asked us to slow down; its queue resumes at ${new Date(event.until).toLocaleTimeString()}.`
        })
        break
      case 'budget.reached':
        events.emit('app.notice', {
          level: 'warning',
          message: `Budget reached (${event.scope} cap ${event.cap} credits, ${event.committed} committed): the next item needs ${event.needed}. Raise the cap to continue.`
        })
        break
    }
  })
}
