import { describe, expect, it } from 'vitest'
import { Limiter } from '../../electron/core/library/limiter'

describe('library work limiter', () => {
  it('runs at most its concurrency at once, and starts urgent work before queued background work, each in order', async () => {
    const limiter = new Limiter(2)
    const started: string[] = []
    let running = 0
    let most = 0
    const gates = new Map<string, () => void>()
    const task = (name: string) => () =>
      new Promise<void>((resolve) => {
        started.push(name)
        running++
        most = Math.max(most, running)
        gates.set(name, () => {
          running--
          resolve()
        })
      })
    const runs = [
      limiter.run(task('import 1')),
      limiter.run(task('import 2')),
      limiter.run(task('import 3')),
      limiter.run(task('import 4')),
      limiter.run(task('visible 1'), { urgent: true }),
      limiter.run(task('visible 2'), { urgent: true })
    ]
    await new Promise((resolve) => setImmediate(resolve))
    expect(started).toEqual(['import 1', 'import 2'])
    for (const name of ['import 1', 'import 2', 'visible 1', 'visible 2', 'import 3', 'import 4']) {
      await new Promise((resolve) => setImmediate(resolve))
      gates.get(name)!()
    }
    await Promise.all(runs)
    expect(started).toEqual(['import 1', 'import 2', 'visible 1', 'visible 2', 'import 3', 'import 4'])
    expect(most).toBe(2)
  })
})
