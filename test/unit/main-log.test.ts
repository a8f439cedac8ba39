import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAppLog } from '../../electron/main/log'

let logsDir: string
beforeEach(async () => {
  logsDir = await mkdtemp(join(tmpdir(), 'pixdesk-logs-'))
})
afterEach(async () => {
  await rm(logsDir, { recursive: true, force: true })
})

describe('main-process log', () => {
  it('never writes a key to the file, in any of the shapes it can take', async () => {
    const configured = `cfg${randomBytes(16).toString('hex')}`
    const openai = `sk-proj-${randomBytes(20).toString('hex')}`
    const google = `AIza${randomBytes(18).toString('hex').slice(0, 35)}`
    const log = createAppLog({ logsDir, secrets: () => [configured] })
    log.info('request sent', { headers: { authorization: `Bearer ${openai}`, 'x-goog-api-key': google, accept: 'application/json' } })
    log.warn(`retrying with Authorization: Bearer ${openai}`)
    log.error(new Error(`provider said: key ${configured} is invalid; x-goog-api-key: ${google}`))
    log.info(`GET https://generativelanguage.googleapis.com/v1beta/models?key=${google}`)
    log.info('a plain line', 42)
    const text = await readFile(log.file, 'utf8')
    expect(text).toContain('request sent')
    expect(text).toContain('a plain line 42')
    expect(text).toContain('[redacted]')
    for (const secret of [configured, openai, google, openai.slice(8)]) expect(text).not.toContain(secret)
  })

  it('writes from the chosen level up', async () => {
    const log = createAppLog({ logsDir, level: 'warn' })
    log.info('routine detail')
    log.debug('debug detail')
    log.warn('a warning')
    log.error('an error')
    const text = await readFile(log.file, 'utf8')
    expect(text).not.toContain('routine detail')
    expect(text).not.toContain('debug detail')
    expect(text).toMatch(/\[warn\]\s+a warning/)
    expect(text).toMatch(/\[error\]\s+an error/)
  })

  it('rotates by size and keeps a bounded number of old files', async () => {
    const log = createAppLog({ logsDir, maxBytes: 2000, keep: 2 })
    for (let i = 0; i < 200; i++) log.info(`line ${i} ${'x'.repeat(80)}`)
    const files = (await readdir(logsDir)).sort()
    expect(files).toEqual(['main.1.log', 'main.2.log', 'main.log'])
    for (const file of files) expect((await readFile(join(logsDir, file))).length).toBeLessThan(2000 + 200)
    expect(await readFile(log.file, 'utf8')).toContain('line 199')
  })
})
