import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'

/** What the services repair on their own is never silent on the command line. */
const ROOT = resolve(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'pixdesk.cjs')
let dir = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-notices-'))
})
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

function cli(home: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, PIXDESK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })))
}

it('a corrupt settings file is reset with a notice on stderr and a notice event with --json', async () => {
  const home = join(dir, 'settings-home')
  await mkdir(home, { recursive: true })
  await writeFile(join(home, 'settings.json'), '{"version": 3, "provider": ')
  const run = await cli(home, ['models', '--json'])
  expect(run.code, run.stderr).toBe(0)
  const notices = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; message?: string; path?: string })
    .filter((e) => e.type === 'notice')
  expect(notices).toHaveLength(1)
  expect(notices[0]?.message).toMatch(/settings/i)
  expect(notices[0]?.path).toContain('settings.json.corrupt-')
  expect(run.stderr).toContain(`pixdesk: ${notices[0]?.message}`)
  expect((await readdir(home)).some((f) => f.startsWith('settings.json.corrupt-'))).toBe(true)
}, 60_000)
