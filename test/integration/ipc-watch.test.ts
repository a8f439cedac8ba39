import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Channel, Payload, Result } from '../../shared/contract'
import type { WatchRuleView } from '../../shared/watch'
import { noDialogs } from '../../electron/core/dialogs'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'
import { makeImages } from '../support/jobs-fixtures'

/** Watch rules behind the IPC contract: chosen folders only, state as events, and rules that come back after a restart. */
describe('watch rules behind the IPC contract (sandbox)', () => {
  let home: string
  let services: Services
  let renderer: RendererConnection
  const picks: string[][] = []
  const views = new Map<string, WatchRuleView>()

  async function open(): Promise<void> {
    services = await createServices({
      paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') },
      env: {},
      watchFolders: false,
      runWatchRules: true,
      dialogs: { ...noDialogs, openDirectories: async () => picks.shift() ?? [] }
    })
    renderer = connectRenderer(services)
    renderer.onEvent((event, payload) => {
      if (event === 'watch.rule') views.set((payload as WatchRuleView).rule.id, payload as WatchRuleView)
    })
  }

  async function call<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>> {
    const envelope = await renderer.dispatch(channel, payload)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.code}: ${envelope.error.message}`)
    return envelope.value as Result<C>
  }

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pixdesk-ipc-watch-'))
    await open()
    await call('settings.update', { patch: { provider: { sandbox: true } } })
  })
  afterAll(async () => {
    await services.dispose()
    await rm(home, { recursive: true, force: true })
  })

  it('creates a rule only for a folder chosen in the dialog, runs it, pauses it, and runs it again after a restart', async () => {
    const sources = await makeImages(join(home, 'src'), 3)
    const inbox = join(home, 'inbox')
    await mkdir(inbox)
    const rule = { folder: inbox, prompt: 'Put the product on a white background', models: ['gemini-2.5-flash-image'] }

    const refused = await renderer.dispatch('watch.create', { rule })
    expect(refused.ok).toBe(false)
    if (!refused.ok) expect(refused.error.message).toMatch(/Refused as the folder to watch/)

    picks.push([inbox])
    expect(await call('watch.pickFolder', {})).toEqual({ path: inbox })
    const created = await call('watch.create', { rule: { ...rule, dailyBudget: 100 } })
    expect(created.state).toBe('watching')
    expect((await call('watch.list', {})).map((v) => v.rule.id)).toEqual([created.rule.id])

    await copyFile(sources[0]!, join(inbox, 'first.png'))
    await expect.poll(() => views.get(created.rule.id)?.lastFiles.find((f) => f.outcome === 'queued')?.path, { timeout: 30_000 }).toBe(join(inbox, 'first.png'))
    await expect.poll(async () => (await readdir(join(inbox, 'pixdesk')).catch(() => [])).length, { timeout: 30_000 }).toBeGreaterThan(0)

    const paused = await call('watch.setPaused', { id: created.rule.id, paused: true })
    expect(paused.state).toBe('paused')

    // Quit and start again: the rule is still there, still paused; resumed, it finds what came meanwhile.
    await services.dispose()
    await copyFile(sources[1]!, join(inbox, 'while-closed.png'))
    await open()
    await expect.poll(async () => (await call('watch.list', {}))[0]?.state, { timeout: 10_000 }).toBe('paused')
    const resumed = await call('watch.setPaused', { id: created.rule.id, paused: false })
    expect(resumed.state).toBe('watching')
    await expect.poll(() => views.get(created.rule.id)?.lastFiles.some((f) => f.path === join(inbox, 'while-closed.png') && f.outcome === 'queued'), { timeout: 30_000 }).toBe(true)
    await expect.poll(async () => (await call('history.query', {})).total, { timeout: 30_000 }).toBe(2)

    await call('watch.delete', { id: created.rule.id })
    expect(await call('watch.list', {})).toEqual([])
  }, 120_000)
})
