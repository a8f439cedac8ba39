// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, expect, it } from 'vitest'
import type { ItemView } from '@shared/views'
import { ItemMeta } from '../../renderer/src/components/ItemStatus'

afterEach(cleanup)

const base: ItemView = {
  id: 'item-1',
  batchId: 'batch-1',
  assetId: null,
  sourceName: 'shoe.png',
  sourceUrl: null,
  model: 'gemini-2.5-flash-image',
  provider: 'pixapi',
  prompt: 'white background',
  params: { n: 1 },
  state: 'failed',
  attempts: 1,
  estimate: 4,
  charged: 4,
  mayHaveCharged: false,
  historyPending: false,
  chargedEstimated: false,
  latencyMs: 1200,
  uploadedBytes: 0,
  uploadTotalBytes: 0,
  outputs: [],
  timings: { createdAt: '2026-11-30T10:00:00.000Z', phaseMs: {} }
}

it('says when a paid result is not saved, when a charge is far above the estimate, and when outputs were dropped', () => {
  render(<ItemMeta item={{ ...base, paidNotSaved: { kept: 1, fetchAgain: true }, aboveEstimate: true, outputsDiscarded: 3 }} />)
  expect(screen.getByText('paid, not saved').getAttribute('title')).toMatch(/recovery folder/)
  expect(screen.getByText('charged above estimate')).toBeTruthy()
  expect(screen.getByText('3 extra outputs not kept')).toBeTruthy()
})

it('shows none of them for an ordinary result', () => {
  render(<ItemMeta item={{ ...base, state: 'done' }} />)
  expect(screen.queryByText('paid, not saved')).toBeNull()
  expect(screen.queryByText('charged above estimate')).toBeNull()
  expect(screen.queryByText(/not kept/)).toBeNull()
})
