// @vitest-environment happy-dom
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { PixdeskApi } from '@shared/contract'
import type { SpendResult } from '@shared/history'
import type * as Clipboard from '../../renderer/src/app/clipboard'
import type * as RequestId from '../../renderer/src/components/RequestId'
import type * as Selectors from '../../renderer/src/features/history/selectors'

const invoke = vi.fn()
let clipboard: typeof Clipboard
let requestId: typeof RequestId
let selectors: typeof Selectors

beforeAll(async () => {
  // The stores subscribe to events when they load, so the bridge must exist first.
  ;(window as unknown as { pixdesk: PixdeskApi }).pixdesk = { invoke, on: () => () => undefined } as unknown as PixdeskApi
  clipboard = await import('../../renderer/src/app/clipboard')
  requestId = await import('../../renderer/src/components/RequestId')
  selectors = await import('../../renderer/src/features/history/selectors')
})

describe('request ids in the window', () => {
  it('elides the middle of a long id and keeps both ends', () => {
    const { middleTruncate } = requestId
    expect(middleTruncate('req_short', 18)).toBe('req_short')
    const cut = middleTruncate('req_01JH8Z3XQ4V7M2N5P9R3T6W8Y0_final', 18)
    expect(cut).toHaveLength(18)
    expect(cut).toBe('req_01JH8…Y0_final')
  })

  it('copies the id of the focused row before the selected one, through the main process', async () => {
    document.body.innerHTML = `
      <div data-copy-request-id="req-selected" data-selected="true"></div>
      <div data-copy-request-id="req-focused"><button id="inside">row</button></div>
      <div><button id="elsewhere">other</button></div>`
    const { requestIdInFocus, copyRequestIdInFocus } = clipboard
    document.getElementById('inside')!.focus()
    expect(requestIdInFocus()).toBe('req-focused')
    document.getElementById('elsewhere')!.focus()
    expect(requestIdInFocus()).toBe('req-selected')

    invoke.mockResolvedValue({ ok: true })
    document.getElementById('inside')!.focus()
    copyRequestIdInFocus()
    await vi.waitFor(() => expect(invoke).toHaveBeenCalledWith('clipboard.write', { text: 'req-focused' }))

    document.body.innerHTML = '<button id="alone">x</button>'
    expect(requestIdInFocus()).toBeNull()
  })

  it('stacks the five models that spent most and folds the rest into one series with safe keys', () => {
    const models = ['m.a', 'm.b', 'm.c', 'm.d', 'm.e', 'm.f', 'm.g'].map((model, i) => ({ model, credits: 10 - i, atRisk: 0, count: 1, failed: 0, interrupted: 0 }))
    const spend: SpendResult = {
      by: 'day',
      buckets: [{ start: '2026-03-01', end: '2026-03-01', credits: 49, atRisk: 0, count: 7, models }],
      models,
      overall: { credits: 49, atRisk: 0, count: 7, failed: 0, interrupted: 0 },
      readWarnings: []
    }
    const { series, rows } = selectors.spendChartData(spend, [])
    expect(series.map((s) => s.key)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'other'])
    expect(series.at(-1)).toMatchObject({ label: 'Other models (2)', models: ['m.f', 'm.g'] })
    expect(rows[0]).toMatchObject({ m0: 10, m4: 6, other: 9, credits: 49 })
    expect(selectors.spendSummary(spend, [])).toContain('49 cr in 7 requests')
  })
})
