import type { JobDeps, JobLimits, PreparedRequest, RunContext, RunOutcome } from '../../electron/core/jobs/types'
import type { AppErrorData } from '../../shared/errors'
import type { JobItem } from '../../electron/core/jobs/model'
import type { RequestRecord } from '../../shared/records'

/** A request the fake provider is holding: the test decides when and how it ends. */
export interface HeldRequest {
  item: JobItem
  ctx: RunContext
  succeed(): void
  fail(error: AppErrorData): void
}

/**
 * In-memory dependencies for the engine: nothing touches the network or the disk outside the data
 * folder, and every request waits until the test answers it (or the engine aborts it).
 */
export function fakeDeps() {
  const held: HeldRequest[] = []
  const sent: JobItem[] = []
  const records: RequestRecord[] = []
  const waiters: Array<() => void> = []
  const notify = () => waiters.splice(0).forEach((w) => w())

  const record = (item: JobItem, status: RequestRecord['status'], error?: AppErrorData): RequestRecord => ({
    id: `rec-${records.length + sent.length}-${item.id}`,
    kind: item.snapshot.kind,
    provider: item.snapshot.provider,
    sandbox: item.snapshot.sandbox,
    route: item.snapshot.route,
    endpoint: 'fake://api/v1',
    model: item.snapshot.model,
    params: item.snapshot.params,
    prompt: item.snapshot.prompt,
    inputs: item.snapshot.inputs.map((i) => ({ source: 'file' as const, path: i.path })),
    requestIds: [`req-${sent.length}`],
    attempts: [],
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    latencyMs: 1,
    status,
    error,
    cost: { credits: status === 'succeeded' ? 1 : 0, estimated: true, estimate: 1 },
    outputs: []
  })

  const deps: JobDeps = {
    prepare: async (): Promise<PreparedRequest> => ({ uploadBytes: 100, cleanup: async () => undefined }),
    execute: (item, _prepared, ctx) =>
      new Promise<RunOutcome>((resolve) => {
        // The engine passes the live item; keep what was sent as it was then.
        sent.push(structuredClone(item))
        const answer = (status: RequestRecord['status'], error?: AppErrorData) => {
          const index = held.indexOf(request)
          if (index >= 0) held.splice(index, 1)
          resolve({ record: record(item, status, error), images: [] })
        }
        const request: HeldRequest = { item, ctx, succeed: () => answer('succeeded'), fail: (error) => answer('failed', error) }
        ctx.signal.addEventListener('abort', () => answer('cancelled', { code: 'cancelled', message: 'Cancelled.' }))
        ctx.onStage('running')
        held.push(request)
        notify()
      }),
    resume: () => Promise.reject(new Error('no async tasks in these tests')),
    writeOutputs: async () => [],
    keepImages: () => Promise.reject(new Error('no recovery area in these tests')),
    readKeptImages: () => Promise.reject(new Error('no recovery area in these tests')),
    discardKeptImages: async () => undefined,
    findKeptImages: async () => [],
    downloadAgain: () => Promise.reject(new Error('no output URLs in these tests')),
    appendRecord: async (r) => {
      records.push(r)
    },
    itemRecords: async (itemId) => records.filter((r) => r.jobItemId === itemId),
    findDuplicate: async () => null,
    estimate: () => 1,
    endpoint: () => 'fake://api/v1',
    spentSince: async () => 0,
    probe: async () => true
  }

  return {
    deps,
    held,
    sent,
    records,
    /** Resolves once `n` requests are being held. */
    async heldCount(n: number): Promise<void> {
      while (held.length < n) await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }
}

export function limits(concurrency: number): () => JobLimits {
  return () => ({
    concurrency,
    perProvider: { pixapi: concurrency, openai: concurrency, gemini: concurrency },
    maxAttempts: 3,
    maxRateLimitHits: 3,
    dailyBudgetCredits: null
  })
}
