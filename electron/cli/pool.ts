/**
 * Runs `fn` over items with at most `limit` at once, keeping the input order in the result. Stops
 * starting new work once `signal` aborts (work already started finishes or fails on its own).
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, signal: AbortSignal, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const i = next++
      results[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (signal.aborted) throw new Error('interrupted')
  return results
}
