import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { LibraryChange } from '../../shared/views'
import type { Library } from '../../electron/core/library/library'
import type { LibraryAsset } from '../../electron/core/library/types'
import { createAssetUrls } from '../../electron/ipc/asset-urls'
import { forwardLibraryEvents, RendererEvents } from '../../electron/ipc/events'

/** Only what the forwarder reads of a library: its events and the lists behind the roots summary. */
function fakeLibrary(): Library & EventEmitter {
  const emitter = new EventEmitter()
  return Object.assign(emitter, { importedRoots: () => [], importedFiles: () => [], list: () => [], watching: false, get: () => undefined }) as unknown as Library & EventEmitter
}

function asset(n: number): LibraryAsset {
  return {
    id: `a${n}`,
    path: `/shoot/photo-${n}.jpg`,
    format: 'jpeg',
    width: 2048,
    height: 1365,
    displayWidth: 2048,
    displayHeight: 1365,
    bytes: 400_000,
    mtimeMs: 0,
    orientation: 1,
    alpha: false,
    space: 'srgb',
    bitsPerSample: 8,
    pages: 1,
    sha256: `${n}`.padStart(64, '0'),
    verdict: { ok: true }
  }
}

describe('library changes on their way to the renderer', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function forwarded() {
    const library = fakeLibrary()
    const events = new RendererEvents()
    const sent: LibraryChange[] = []
    events.onAny((name, payload) => {
      if (name === 'library.changed') sent.push(payload as LibraryChange)
    })
    forwardLibraryEvents(library, events, createAssetUrls('asset://', library))
    return { library, sent }
  }

  it('sends the first change of an import at once, with what was announced in the same tick', async () => {
    const { library, sent } = forwarded()
    library.emit('asset', { type: 'added', asset: asset(1) })
    library.emit('asset', { type: 'added', asset: asset(2) })
    await vi.advanceTimersByTimeAsync(0)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.upserted.map((a) => a.id)).toEqual(['a1', 'a2'])
  })

  it('batches a steady stream: thousands of files become a few messages a second', async () => {
    const { library, sent } = forwarded()
    // 1,000 files over two seconds, one every 2 ms.
    for (let n = 0; n < 1000; n++) {
      library.emit('asset', { type: 'added', asset: asset(n) })
      await vi.advanceTimersByTimeAsync(2)
    }
    await vi.advanceTimersByTimeAsync(100)
    expect(sent.reduce((sum, change) => sum + change.upserted.length, 0)).toBe(1000)
    expect(sent.length).toBeLessThanOrEqual(2000 / 80 + 2)
  })
})
