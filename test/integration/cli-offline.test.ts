import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { makeImages } from '../support/jobs-fixtures'

/**
 * With the server unreachable, a request command waits for it (never "done" with work left), says so,
 * and ends on Ctrl-C (130) or when --max-wait runs out (69), the work left queued and resumable.
 */
const ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'pixdesk.cjs')

let dir = ''
let image = ''
let deadUrl = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-offline-'))
  image = (await makeImages(join(dir, 'shoot'), 1))[0]!
  // A port that was just free: nothing listens there, so every connection is refused.
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  deadUrl = `http://127.0.0.1:${(probe.address() as { port: number }).port}`
  await new Promise((r) => probe.close(r))
})
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

function cli(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, PIXDESK_HOME: join(dir, 'home'), PIXAPI_BASE_URL: deadUrl, PIXAPI_KEY: 'sk-test-offline' }
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
  return { child, exited, out: () => stdout, err: () => stderr }
}

const edit = ['edit', '', '--prompt', 'white background', '--model', 'gemini-2.5-flash-image']

it('waits for an unreachable server instead of ending, until Ctrl-C (130)', async () => {
  const run = cli(edit.map((a) => a || image))
  // Until it says it is waiting, then a good while longer: it must still be there.
  while (!run.err().includes('waiting for it to come back')) {
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode} before waiting: ${run.err()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  await new Promise((r) => setTimeout(r, 4000))
  expect(run.child.exitCode, run.err()).toBeNull()
  run.child.kill('SIGINT')
  expect(await run.exited).toBe(130)
}, 90_000)

it('--max-wait ends the wait with exit 69, nothing sent, the batch left to resume', async () => {
  const run = cli([...edit.map((a) => a || image), '--max-wait', '2s'])
  const code = await run.exited
  expect(code, run.err()).toBe(69)
  expect(run.err()).toMatch(/stayed unreachable for 2 s; stopped waiting\. Nothing left was sent: resume with "pixdesk batch resume [\w-]+"/)
}, 90_000)

it('--max-wait refuses a value that is not a duration, before anything else', async () => {
  const run = cli([...edit.map((a) => a || image), '--max-wait', 'soon'])
  expect(await run.exited).toBe(2)
  expect(run.err()).toContain('--max-wait: must be a duration such as 90s, 10m or 2h')
}, 60_000)
