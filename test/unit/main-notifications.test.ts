import { EventEmitter } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { RendererEvents } from '../../electron/ipc/events'
import { loadSettings } from '../../electron/core/settings'
import { BatchFeedback, describeFinished, type BatchFeedbackDeps, type NotificationOptions } from '../../electron/main/notifications'
import type { BatchView } from '../../shared/views'

function batch(overrides: Omit<Partial<BatchView>, 'counts'> & { counts?: Partial<BatchView['counts']> } = {}): BatchView {
  const { counts, ...rest } = overrides
  return {
    id: 'b1',
    name: 'Spring shoes',
    kind: 'batch',
    state: 'running',
    createdAt: '2026-11-30T09:00:00.000Z',
    models: ['gpt-image-1.5'],
    counts: { total: 4, queued: 4, active: 0, done: 0, failed: 0, cancelled: 0, interrupted: 0, skipped: 0, waiting: 0, ...counts },
    estimate: 8,
    charged: 0,
    budget: null,
    reserved: 0,
    ...rest
  }
}

/** Electron's Notification, app.setBadgeCount and BrowserWindow.setProgressBar, recorded. */
function fakes(options: { enabled?: boolean; supported?: boolean; mac?: boolean } = {}) {
  const shown: Array<NotificationOptions & { click(): void }> = []
  const progress: Array<[number, string]> = []
  const badge: number[] = []
  const opened: string[] = []
  let enabled = options.enabled ?? true
  const deps: BatchFeedbackDeps = {
    notifications: {
      isSupported: () => options.supported ?? true,
      create(opts) {
        const emitter = new EventEmitter()
        return {
          on: (event, listener) => emitter.on(event, listener),
          show: () => shown.push({ ...opts, click: () => emitter.emit('click') })
        }
      }
    },
    setProgress: (fraction, mode) => progress.push([fraction, mode]),
    ...(options.mac === false ? {} : { setBadgeCount: (n: number) => badge.push(n) }),
    openBatch: (id) => opened.push(id),
    enabled: () => enabled
  }
  return { deps, shown, progress, badge, opened, setEnabled: (on: boolean) => (enabled = on) }
}

describe('batch feedback outside the window', () => {
  it('notifies once when a batch it saw running ends, with done, failed and credits; a click opens it', () => {
    const f = fakes()
    const feedback = new BatchFeedback(f.deps)
    const events = new RendererEvents()
    feedback.watch(events)
    events.emit('jobs.batch', batch())
    events.emit('jobs.batch', batch({ counts: { queued: 1, done: 2, failed: 1 }, charged: 4 }))
    expect(f.shown).toEqual([])
    events.emit('jobs.batch', batch({ state: 'done', counts: { queued: 0, done: 3, failed: 1 }, charged: 6, finishedAt: '2026-11-30T09:05:00.000Z' }))
    events.emit('jobs.batch', batch({ state: 'done', counts: { queued: 0, done: 3, failed: 1 }, charged: 6 }))
    expect(f.shown).toHaveLength(1)
    expect(f.shown[0]).toMatchObject({ title: 'Batch “Spring shoes” finished with failures', body: '3 done, 1 failed · 6 credits', urgency: 'normal' })
    f.shown[0]!.click()
    expect(f.opened).toEqual(['b1'])
  })

  it('names comparisons and cancelled batches', () => {
    expect(describeFinished(batch({ kind: 'compare', name: 'Shoe A', state: 'done', counts: { done: 2 }, charged: 1 }))).toEqual({ title: 'Comparison “Shoe A” finished', body: '2 done · 1 credit' })
    expect(describeFinished(batch({ state: 'cancelled', counts: { done: 1, cancelled: 3 }, charged: 2.5 })).title).toBe('Batch “Spring shoes” was cancelled')
  })

  it('leaves single edits to the editor, which shows them as they end', () => {
    const f = fakes()
    const feedback = new BatchFeedback(f.deps)
    feedback.update(batch({ kind: 'single' }))
    feedback.update(batch({ kind: 'single', state: 'done', counts: { queued: 0, failed: 4 } }))
    expect(f.shown).toEqual([])
    expect(f.badge).toEqual([])
  })

  it('stays quiet about batches that had already finished when the app started', () => {
    const f = fakes()
    const feedback = new BatchFeedback(f.deps)
    feedback.update(batch({ state: 'done', counts: { queued: 0, done: 4 } }))
    expect(f.shown).toEqual([])
  })

  it('is turned off by the setting, badge included', () => {
    const f = fakes({ enabled: false })
    const feedback = new BatchFeedback(f.deps)
    feedback.update(batch())
    feedback.update(batch({ state: 'done', counts: { queued: 0, done: 2, failed: 2 } }))
    expect(f.shown).toEqual([])
    expect(f.badge).toEqual([])
  })

  it('shows progress over every unfinished batch and removes it when all are done', () => {
    const f = fakes()
    const feedback = new BatchFeedback(f.deps)
    feedback.update(batch({ id: 'a', counts: { total: 4, queued: 3, done: 1 } }))
    feedback.update(batch({ id: 'b', counts: { total: 6, queued: 3, done: 3 } }))
    expect(f.progress.at(-1)).toEqual([0.4, 'normal'])
    feedback.update(batch({ id: 'b', counts: { total: 6, queued: 2, done: 3, failed: 1 } }))
    expect(f.progress.at(-1)).toEqual([0.5, 'error'])
    feedback.update(batch({ id: 'a', state: 'done', counts: { total: 4, queued: 0, done: 4 } }))
    feedback.update(batch({ id: 'b', state: 'paused', counts: { total: 6, queued: 2, done: 4 } }))
    expect(f.progress.at(-1)).toEqual([4 / 6, 'paused'])
    feedback.update(batch({ id: 'b', state: 'done', counts: { total: 6, queued: 0, done: 6 } }))
    expect(f.progress.at(-1)).toEqual([-1, 'normal'])
  })

  it('counts failures on the macOS badge until the window is focused', () => {
    const f = fakes()
    const feedback = new BatchFeedback(f.deps)
    feedback.update(batch({ id: 'a' }))
    feedback.update(batch({ id: 'b' }))
    feedback.update(batch({ id: 'a', state: 'done', counts: { queued: 0, done: 2, failed: 2 } }))
    feedback.update(batch({ id: 'b', state: 'done', counts: { queued: 0, done: 3, failed: 1 } }))
    expect(f.badge).toEqual([2, 3])
    feedback.windowFocused()
    feedback.windowFocused()
    expect(f.badge).toEqual([2, 3, 0])
    // No badge where the platform has none (Windows, Linux): nothing to call.
    const other = fakes({ mac: false })
    const plain = new BatchFeedback(other.deps)
    plain.update(batch())
    plain.update(batch({ state: 'done', counts: { queued: 0, failed: 4 } }))
    expect(other.shown).toHaveLength(1)
  })

  it('does not try to notify where the system has no notifications', () => {
    const f = fakes({ supported: false })
    const feedback = new BatchFeedback(f.deps)
    feedback.update(batch())
    expect(() => feedback.update(batch({ state: 'done', counts: { queued: 0, done: 4 } }))).not.toThrow()
    expect(f.shown).toEqual([])
  })

  it('has notifications on by default, also for settings files written before the setting existed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pixdesk-notify-settings-'))
    try {
      expect((await loadSettings(dir)).settings.notifications).toEqual({ batchFinished: true })
      await writeFile(join(dir, 'settings.json'), JSON.stringify({ version: 1, jobs: { concurrency: 3 } }))
      const loaded = await loadSettings(dir)
      expect(loaded.settings.notifications).toEqual({ batchFinished: true })
      expect(loaded.settings.jobs.concurrency).toBe(3)
      expect(loaded.notice).toBeUndefined()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('ignores other events', () => {
    const f = fakes()
    const events = new RendererEvents()
    const stop = new BatchFeedback(f.deps).watch(events)
    events.emit('app.notice', { level: 'info', message: 'hello' })
    stop()
    events.emit('jobs.batch', batch())
    expect(f.progress).toEqual([])
  })
})
