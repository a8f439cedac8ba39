import type { RequestRecord } from '../../shared/records'

/** A complete, valid request record; override what a test is about. */
export function makeRecord(overrides: Partial<RequestRecord> & { id: string }): RequestRecord {
  const startedAt = overrides.startedAt ?? '2025-03-10T10:00:00.000Z'
  return {
    kind: 'edit',
    provider: 'pixapi',
    sandbox: false,
    route: 'sync',
    endpoint: 'https://api.pixapi.ai/v1/images/edits',
    model: 'gemini-2.5-flash-image',
    params: { n: 1, size: '1024x1024' },
    prompt: 'Replace the background with a clean white studio sweep',
    inputs: [{ source: 'file', path: '/photos/shoe.jpg', sha256: 'a'.repeat(64), bytes: 123456, width: 2000, height: 1500, format: 'jpeg' }],
    requestIds: [`rq-${overrides.id}`],
    attempts: [{ startedAt, durationMs: 1200, status: 200 }],
    startedAt,
    finishedAt: new Date(Date.parse(startedAt) + 1200).toISOString(),
    latencyMs: 1200,
    status: 'succeeded',
    cost: { credits: 2, estimated: false, estimate: 2 },
    outputs: [],
    ...overrides
  }
}
