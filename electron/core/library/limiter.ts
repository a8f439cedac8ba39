/**
 * Runs at most `concurrency` tasks at once. sharp works one thread per call here, so parallelism comes
 * from concurrent calls, and an unbounded folder import would pile up decoded images in memory.
 * Urgent tasks (a picture someone is waiting to see) go before queued background work (an import).
 */
export class Limiter {
  private active = 0
  private readonly waiting: Array<() => void> = []
  private readonly urgent: Array<() => void> = []

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`)
  }

  async run<T>(task: () => Promise<T>, options: { urgent?: boolean } = {}): Promise<T> {
    if (this.active >= this.concurrency) {
      await new Promise<void>((resolve) => (options.urgent ? this.urgent : this.waiting).push(resolve))
    }
    this.active++
    try {
      return await task()
    } finally {
      this.active--
      const next = this.urgent.shift() ?? this.waiting.shift()
      next?.()
    }
  }
}
