import { describe, expect, it } from 'vitest'
import { budgetMessage, checkBudget, dayStart } from '../../electron/core/jobs/budget'

describe('budget checks', () => {
  it('no cap lets anything start, priced or not', () => {
    expect(checkBudget(null, { charged: 1e9, reserved: 0 }, 5)).toEqual({ ok: true })
    expect(checkBudget(null, { charged: 0, reserved: 0 }, null)).toEqual({ ok: true })
  })

  it('allows an item that lands exactly on the cap and refuses the one after', () => {
    expect(checkBudget(10, { charged: 8, reserved: 0 }, 2)).toEqual({ ok: true })
    expect(checkBudget(10, { charged: 8, reserved: 0 }, 3)).toEqual({ ok: false, reason: 'cap', cap: 10, committed: 8, needed: 3 })
  })

  it('counts reservations of items in flight, so items starting together cannot share the same free credits', () => {
    // Cap 6, nothing charged yet, each item 2: three may start, the fourth sees three reservations.
    let ledger = { charged: 0, reserved: 0 }
    const started: number[] = []
    for (let i = 0; i < 4; i++) {
      if (checkBudget(6, ledger, 2).ok) {
        started.push(i)
        ledger = { ...ledger, reserved: ledger.reserved + 2 }
      }
    }
    expect(started).toEqual([0, 1, 2])
    expect(checkBudget(6, { charged: 2, reserved: 4 }, 2)).toMatchObject({ ok: false, committed: 6 })
  })

  it('compares fractional credits the way people add them', () => {
    expect(checkBudget(0.3, { charged: 0.1, reserved: 0 }, 0.2).ok).toBe(true)
  })

  it('refuses an unpriced item under a cap and says why', () => {
    const check = checkBudget(100, { charged: 0, reserved: 0 }, null)
    expect(check).toEqual({ ok: false, reason: 'unpriced', cap: 100, committed: 0 })
    if (check.ok) throw new Error('expected a refusal')
    expect(budgetMessage('batch', check)).toMatch(/price is unknown.*this batch's budget of 100 credits/)
  })

  it('names the scope, the committed credits and the need in its message', () => {
    const check = checkBudget(14, { charged: 12, reserved: 2 }, 2)
    if (check.ok) throw new Error('expected a refusal')
    expect(budgetMessage('daily', check)).toBe(
      "Budget reached: 14 of today's budget of 14 credits are spent or reserved and the next item needs 2. Raise the cap to continue."
    )
  })
})

describe('daily window', () => {
  it('starts at local midnight of the same day', () => {
    const afternoon = new Date(2025, 2, 14, 15, 42, 7, 300).getTime()
    const start = dayStart(afternoon)
    expect([start.getFullYear(), start.getMonth(), start.getDate(), start.getHours(), start.getMinutes(), start.getSeconds(), start.getMilliseconds()]).toEqual([2025, 2, 14, 0, 0, 0, 0])
    expect(dayStart(start.getTime()).getTime()).toBe(start.getTime())
    expect(dayStart(start.getTime() - 1).getDate()).toBe(13)
  })
})
