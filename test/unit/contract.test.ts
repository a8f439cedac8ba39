import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPixdeskApi } from '../../shared/bridge'
import { channelNames } from '../../shared/contract'
import { AppError } from '../../shared/errors'
import { createServices, type Services } from '../../electron/core/services'
import { connectRenderer, type RendererConnection } from '../../electron/ipc/connection'
import type { Dispatch } from '../../electron/ipc/dispatch'

describe('IPC contract and dispatcher', () => {
  let home: string
  let services: Services
  let renderer: RendererConnection
  let dispatch: Dispatch

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pixdesk-contract-'))
    services = await createServices({ paths: { dataDir: join(home, 'data'), cacheDir: join(home, 'cache') }, version: 'test' })
    renderer = connectRenderer(services)
    dispatch = renderer.dispatch
  })
  afterAll(async () => {
    await services.dispose()
    await rm(home, { recursive: true, force: true })
  })

  it('refuses an unknown channel with a validation error, not a crash', async () => {
    const result = await dispatch('fs.readAnything', { path: '/etc/passwd' })
    expect(result).toEqual({ ok: false, error: expect.objectContaining({ code: 'validation' }) })
  })

  it('names the offending field when a payload is invalid', async () => {
    const result = await dispatch('app.ping', { message: 7 })
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatchObject({ code: 'validation', field: 'message' })
  })

  it('refuses payload fields the contract does not declare', async () => {
    const result = await dispatch('app.ping', { message: 'hi', extra: true })
    expect(result.ok).toBe(false)
  })

  it('refuses per-model params for a model that is not run, or with a setting the contract does not declare', async () => {
    const base = { assetIds: [], prompt: 'x', models: ['gemini-2.5-flash-image', 'gpt-image-1.5'] }
    const stray = await dispatch('jobs.estimate', { ...base, paramsByModel: { 'gpt-image-2': { quality: 'low' } } })
    expect(stray.ok).toBe(false)
    if (!stray.ok) expect(stray.error).toMatchObject({ code: 'validation', field: 'paramsByModel.gpt-image-2' })
    const undeclared = await dispatch('jobs.estimate', { ...base, paramsByModel: { 'gpt-image-1.5': { temperature: 1 } } })
    expect(undeclared.ok).toBe(false)
    if (!undeclared.ok) expect(undeclared.error).toMatchObject({ code: 'validation', field: 'paramsByModel.gpt-image-1.5' })
  })

  it('the bridge turns envelopes back into values and AppErrors, and blocks undeclared channels locally', async () => {
    let sent = 0
    const api = createPixdeskApi({
      invoke: (channel, payload) => {
        sent++
        return dispatch(channel, payload)
      },
      subscribe: () => undefined
    })
    await expect(api.invoke('app.ping', { message: 'x' })).resolves.toMatchObject({ echo: 'x' })
    await expect(api.invoke('app.ping', { message: 1 as unknown as string })).rejects.toBeInstanceOf(AppError)
    const before = sent
    await expect(api.invoke('nope' as 'app.ping', { message: '' })).rejects.toThrow(/Unknown IPC channel/)
    expect(sent).toBe(before)
  })

  it('every declared channel has a handler', async () => {
    for (const name of channelNames) {
      const result = await dispatch(name, {})
      if (!result.ok) expect(result.error.message, name).not.toMatch(/Unknown request/)
    }
  })
})
