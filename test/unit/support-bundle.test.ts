import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openHistory, type History } from '../../electron/core/history/history'
import { configuredKeys, formatSupportBundle } from '../../electron/core/history/support-bundle'
import { createKeychain, type SecretStore } from '../../electron/core/keychain'
import { makeRecord } from '../support/history-fixtures'

/** A key in no shape the redactor's patterns know: only knowing it as a configured key can hide it. */
const STORED_KEY = 'studio-Zq81xLmP02vTk7RwYc'
/** A key from the environment, in OpenAI's shape. */
const ENV_KEY = 'sk-proj-Aa11Bb22Cc33Dd44Ee55Ff66'

function memoryStore(entries: Record<string, string>): SecretStore {
  const map = new Map(Object.entries(entries))
  return {
    getPassword: async (_service, account) => map.get(account) ?? null,
    setPassword: async (_service, account, password) => void map.set(account, password),
    deletePassword: async (_service, account) => map.delete(account)
  }
}

let dataDir: string
let history: History

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pixdesk-bundle-'))
  history = openHistory(dataDir)
})
afterEach(async () => {
  await history.close()
  await rm(dataDir, { recursive: true, force: true })
})

describe('support bundle', () => {
  it('names every id, the record, the error and the outputs with their hashes', async () => {
    const output = join(dataDir, 'shoe_nano-banana_1.png')
    await writeFile(output, 'png bytes')
    await history.append(
      makeRecord({
        id: 'rec-77',
        model: 'gemini-2.5-flash-image',
        route: 'async',
        params: { n: 1, aspectRatio: '4:5' },
        requestIds: ['req-first', 'req-second'],
        taskId: 'task-9',
        batchId: 'batch-3',
        status: 'failed',
        attempts: [
          { startedAt: '2025-03-10T10:00:00.000Z', durationMs: 800, status: 500, errorCode: 'server', requestId: 'req-first' },
          { startedAt: '2025-03-10T10:00:02.000Z', durationMs: 900, status: 502, errorCode: 'server', requestId: 'req-second' }
        ],
        error: { code: 'server', message: 'The provider failed (HTTP 502).', status: 502, providerCode: 'upstream_error', requestId: 'req-second' },
        cost: { credits: 0, estimated: true, estimate: 2 },
        outputs: [{ path: output, sha256: 'b'.repeat(64), bytes: 9, width: 1024, height: 1280, format: 'png' }],
        prompt: 'Our unreleased spring campaign'
      })
    )
    const item = await history.get('rec-77')
    const text = formatSupportBundle(item!, { appVersion: '1.2.3', modelLabel: () => 'Nano Banana', secrets: [], now: new Date('2026-03-01T00:00:00Z') })
    for (const expected of [
      'Record id: rec-77',
      'Request ids: req-first, req-second',
      'Task id: task-9',
      'Batch id: batch-3',
      'State: failed',
      'Model: Nano Banana (gemini-2.5-flash-image)',
      'Provider: Pixapi',
      'Route: edit, async',
      'Parameters: n=1, aspectRatio=4:5',
      'Started: 2025-03-10T10:00:00.000Z',
      'Credits: 0 (catalog estimate',
      'Error: server, HTTP 502, provider code upstream_error',
      'The provider failed (HTTP 502).',
      '2. 2025-03-10T10:00:02.000Z 900 ms HTTP 502 server request id req-second',
      `shoe_nano-banana_1.png png 1024×1280 9 bytes sha256 ${'b'.repeat(64)}`,
      `sha256 ${'a'.repeat(64)}`
    ]) {
      expect(text).toContain(expected)
    }
    // The studio's prompt and folders stay at home.
    expect(text).not.toContain('spring campaign')
    expect(text).not.toContain(dataDir)
    expect(text).not.toContain('/photos/shoe.jpg')
  })

  it('never holds a configured key, wherever in the record it turned up', async () => {
    const keychain = createKeychain({ env: { OPENAI_API_KEY: ENV_KEY }, store: memoryStore({ pixapi: STORED_KEY }) })
    const secrets = await configuredKeys(keychain)
    expect(secrets.sort()).toEqual([ENV_KEY, STORED_KEY].sort())
    await history.append(
      makeRecord({
        id: 'leaky',
        endpoint: `https://api.pixapi.ai/v1/${STORED_KEY}/images/edits`,
        requestIds: [`req-${STORED_KEY}`],
        taskId: ENV_KEY,
        status: 'failed',
        error: { code: 'auth', message: `Key ${STORED_KEY} was refused; also tried Bearer ${ENV_KEY}`, providerCode: STORED_KEY, requestId: ENV_KEY },
        usage: { echo: { apiKey: STORED_KEY, note: ENV_KEY } },
        attempts: [{ startedAt: '2025-03-10T10:00:00.000Z', durationMs: 5, status: 401, errorCode: 'auth', requestId: STORED_KEY }],
        outputs: [{ path: `/out/${STORED_KEY}.png`, sha256: 'c'.repeat(64), bytes: 1, width: 1, height: 1, format: 'png' }]
      })
    )
    const text = formatSupportBundle((await history.get('leaky'))!, { appVersion: 'test', modelLabel: () => undefined, secrets, now: new Date() })
    expect(text).not.toContain(STORED_KEY)
    expect(text).not.toContain(ENV_KEY)
    // Redacted where they were, so support still sees that something was there.
    expect(text).toContain('Request ids: req-[redacted]')
    expect(text).toContain('Task id: [redacted]')
  })
})
