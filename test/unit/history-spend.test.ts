import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openHistory, type History } from '../../electron/core/history/history'
import { intervalFor } from '../../electron/core/history/spend'
import { makeRecord } from '../support/history-fixtures'

let dataDir: string
const opened: History[] = []
const savedTz = process.env.TZ
/** The clock the history uses to end an open range: a fixed "today". */
const open = (now = '2026-03-20T12:00:00.000Z') => {
  const h = openHistory(dataDir, { now: () => new Date(now) })
  opened.push(h)
  return h
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-spend-'))
})
afterEach(async () => {
  await Promise.all(opened.splice(0).map((h) => h.close()))
  await rm(dataDir, { recursive: true, force: true })
  process.env.TZ = savedTz
})

/** Node reads TZ again whenever it is assigned, so local days follow it from here on. */
function inZone(zone: string) {
  process.env.TZ = zone
}

describe('spend over time', () => {
  it('buckets credits by local day and model, quiet days included, the totals unchanged', async () => {
    inZone('UTC')
    const h = open()
    await h.append(makeRecord({ id: 'a', startedAt: '2026-03-02T10:00:00Z', model: 'gemini-2.5-flash-image', cost: { credits: 2, estimated: false, estimate: 2 } }))
    await h.append(makeRecord({ id: 'b', startedAt: '2026-03-02T11:00:00Z', model: 'gpt-image-1.5', cost: { credits: 14, estimated: false, estimate: 14 } }))
    await h.append(makeRecord({ id: 'c', startedAt: '2026-03-04T09:00:00Z', model: 'gpt-image-1.5', cost: { credits: 14, estimated: true, estimate: 14 } }))
    const spend = await h.spend({ from: '2026-03-01', to: '2026-03-05' })
    expect(spend.by).toBe('day')
    expect(spend.buckets.map((b) => [b.start, b.end, b.credits, b.count])).toEqual([
      ['2026-03-01', '2026-03-01', 0, 0],
      ['2026-03-02', '2026-03-02', 16, 2],
      ['2026-03-03', '2026-03-03', 0, 0],
      ['2026-03-04', '2026-03-04', 14, 1],
      ['2026-03-05', '2026-03-05', 0, 0]
    ])
    expect(spend.buckets[1]?.models.map((m) => [m.model, m.credits])).toEqual([
      ['gpt-image-1.5', 14],
      ['gemini-2.5-flash-image', 2]
    ])
    expect(spend.models.map((m) => [m.model, m.credits, m.count])).toEqual([
      ['gpt-image-1.5', 28, 2],
      ['gemini-2.5-flash-image', 2, 1]
    ])
    // The chart and the totals table answer the same question the same way.
    const totals = await h.totals({ from: '2026-03-01', to: '2026-03-05', by: 'model' })
    expect(spend.overall.credits).toBe(totals.overall.credits)
    expect(spend.overall.count).toBe(totals.overall.count)
  })

  it('an open range runs from the first request to today', async () => {
    inZone('UTC')
    const h = open('2026-03-06T08:00:00Z')
    await h.append(makeRecord({ id: 'a', startedAt: '2026-03-03T10:00:00Z' }))
    const spend = await h.spend({})
    expect(spend.buckets.map((b) => b.start)).toEqual(['2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'])
    expect(await open().spend({ model: 'no-such-model' })).toMatchObject({ buckets: [], models: [], overall: { credits: 0, count: 0 } })
  })

  it('puts a request in the local day it started in, on either side of midnight', async () => {
    // 04:30 UTC on the 10th is still the evening of the 9th in New York and already midday in Auckland.
    const records = [
      makeRecord({ id: 'late', startedAt: '2026-03-10T04:30:00Z', cost: { credits: 3, estimated: false, estimate: 3 } }),
      makeRecord({ id: 'early', startedAt: '2026-03-10T05:30:00Z', cost: { credits: 5, estimated: false, estimate: 5 } })
    ]
    const h = open()
    for (const r of records) await h.append(r)
    const credits = async (zone: string) => {
      inZone(zone)
      const spend = await h.spend({ from: '2026-03-08', to: '2026-03-11' })
      return Object.fromEntries(spend.buckets.filter((b) => b.count).map((b) => [b.start, b.credits]))
    }
    // New York is UTC-4 after its change to daylight saving time on 8 March 2026.
    expect(await credits('America/New_York')).toEqual({ '2026-03-10': 8 })
    expect(await credits('America/Chicago')).toEqual({ '2026-03-09': 3, '2026-03-10': 5 })
    expect(await credits('Pacific/Auckland')).toEqual({ '2026-03-10': 8 })
    expect(await credits('UTC')).toEqual({ '2026-03-10': 8 })
  })

  it('keeps a day whole across a daylight saving change', async () => {
    inZone('Europe/Berlin')
    const h = open()
    // 29 March 2026 has 23 hours in Berlin: its last minute is 21:59 UTC.
    await h.append(makeRecord({ id: 'a', startedAt: '2026-03-29T21:59:00Z' }))
    await h.append(makeRecord({ id: 'b', startedAt: '2026-03-29T22:01:00Z' }))
    const spend = await h.spend({ from: '2026-03-28', to: '2026-03-31' })
    expect(spend.buckets.map((b) => [b.start, b.count])).toEqual([
      ['2026-03-28', 0],
      ['2026-03-29', 1],
      ['2026-03-30', 1],
      ['2026-03-31', 0]
    ])
  })

  it('chooses days up to 60 days, weeks up to a year, months beyond, or what it is told', async () => {
    expect(intervalFor('2026-01-01', '2026-03-01')).toBe('day')
    expect(intervalFor('2026-01-01', '2026-03-02')).toBe('week')
    expect(intervalFor('2025-01-01', '2026-01-01')).toBe('week')
    expect(intervalFor('2025-01-01', '2026-01-02')).toBe('month')
    inZone('UTC')
    const h = open('2026-03-20T12:00:00Z')
    // Sunday 1 March and Monday 2 March fall in different weeks; weeks start on Monday.
    await h.append(makeRecord({ id: 'sun', startedAt: '2026-03-01T10:00:00Z', cost: { credits: 1, estimated: false, estimate: 1 } }))
    await h.append(makeRecord({ id: 'mon', startedAt: '2026-03-02T10:00:00Z', cost: { credits: 2, estimated: false, estimate: 2 } }))
    await h.append(makeRecord({ id: 'old', startedAt: '2025-06-15T10:00:00Z', cost: { credits: 4, estimated: false, estimate: 4 } }))
    const weeks = await h.spend({ from: '2026-02-20', by: 'week' })
    expect(weeks.buckets.filter((b) => b.count).map((b) => [b.start, b.end, b.credits])).toEqual([
      ['2026-02-23', '2026-03-01', 1],
      ['2026-03-02', '2026-03-08', 2]
    ])
    const auto = await h.spend({})
    expect(auto.by).toBe('week')
    const months = await h.spend({ by: 'month' })
    expect(months.buckets[0]).toMatchObject({ start: '2025-06-01', end: '2025-06-30', credits: 4 })
    expect(months.buckets.at(-1)).toMatchObject({ start: '2026-03-01', end: '2026-03-31', credits: 3 })
    expect(months.buckets).toHaveLength(10)
    await expect(h.spend({ from: '1900-01-01', by: 'day' })).rejects.toMatchObject({ code: 'validation', data: { field: 'by' } })
  })

  it('counts failed requests with their zero credits and keeps interrupted credits at risk apart', async () => {
    inZone('UTC')
    const h = open()
    const at = '2026-03-03T10:00:00Z'
    await h.append(makeRecord({ id: 'ok', startedAt: at, cost: { credits: 14, estimated: false, estimate: 14 }, model: 'gpt-image-1.5' }))
    await h.append(
      makeRecord({ id: 'failed', startedAt: at, status: 'failed', model: 'gpt-image-1.5', cost: { credits: 0, estimated: true, estimate: 14 }, error: { code: 'server', message: 'HTTP 500' } })
    )
    // Cut off in flight: nobody knows whether it was charged.
    await h.append(
      makeRecord({ id: 'cut', startedAt: at, status: 'interrupted', model: 'gpt-image-1.5', cost: { credits: 0, estimated: true, estimate: 14 }, error: { code: 'interrupted', message: 'may have been charged' } })
    )
    // The server answered before the app stopped: booked as spent.
    await h.append(
      makeRecord({ id: 'answered', startedAt: at, status: 'interrupted', model: 'gemini-2.5-flash-image', cost: { credits: 2, estimated: true, estimate: 2 }, error: { code: 'interrupted', message: 'charged, not saved' } })
    )
    const spend = await h.spend({ from: '2026-03-03', to: '2026-03-03' })
    expect(spend.overall).toEqual({ credits: 16, atRisk: 14, count: 4, failed: 1, interrupted: 2 })
    expect(spend.models).toEqual([
      { model: 'gpt-image-1.5', credits: 14, atRisk: 14, count: 3, failed: 1, interrupted: 1 },
      { model: 'gemini-2.5-flash-image', credits: 2, atRisk: 0, count: 1, failed: 0, interrupted: 1 }
    ])
    expect(spend.buckets[0]).toMatchObject({ credits: 16, atRisk: 14, count: 4 })
  })

  it('answers from the persisted month indexes as it does from the month files', async () => {
    inZone('UTC')
    const first = open()
    for (let i = 0; i < 300; i++) {
      const day = 1 + (i % 28)
      await first.append(makeRecord({ id: `r${i}`, startedAt: `2026-02-${String(day).padStart(2, '0')}T12:00:00Z`, model: i % 3 ? 'gpt-image-1.5' : 'gemini-2.5-flash-image', cost: { credits: i % 5, estimated: false, estimate: 4 } }))
    }
    const fromFiles = await first.spend({ from: '2026-02-01', to: '2026-02-28' })
    await first.close()
    const second = open()
    const fromIndex = await second.spend({ from: '2026-02-01', to: '2026-02-28' })
    expect(second.indexStats().loadedFromIndex).toEqual(['2026-03.jsonl'])
    expect(second.indexStats().linesScanned).toBe(0)
    expect(fromIndex).toEqual(fromFiles)
    expect(fromIndex.overall.count).toBe(300)
  })
})
