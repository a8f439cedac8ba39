import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, startCli, type CliOptions, type CliProcess, type CliResult } from '../support/cli-process'

/**
 * The command line end to end: every command runs as a child process (`node bin/pixdesk.cjs`, as
 * `npx pixdesk` does), in a temporary PIXDESK_HOME, against a sandbox server started by
 * `pixdesk sandbox --port 0` in another child process, over loopback.
 */

let dir: string
let home: string
let sandbox: CliProcess
let sandboxUrl: string
let keyedSandbox: CliProcess
let keyedUrl: string
let images: string
let shoot: string

/**
 * Against the `pixdesk sandbox` child unless `baseUrl` says otherwise (undefined: none, for the in-process
 * `--sandbox`), with an empty standard input as a script gives it.
 */
const options = (overrides: Partial<CliOptions> = {}): CliOptions => ({ home, cwd: dir, baseUrl: sandboxUrl, input: '', ...overrides })
const start = (args: string[], overrides?: Partial<CliOptions>): CliProcess => startCli(args, options(overrides))
const run = (args: string[], overrides?: Partial<CliOptions>): Promise<CliResult> => runCli(args, options(overrides))

/** `pixdesk sandbox` on a free port, left running; its first line says where. */
async function startSandbox(args: string[], env: Record<string, string> = {}): Promise<{ server: CliProcess; url: string }> {
  const server = startCli(['sandbox', '--port', '0', '--json', ...args], { home, env })
  await server.until(() => server.stdout().includes('\n') && server.stdout().split('\n')[0] !== '', 'the sandbox address')
  return { server, url: (JSON.parse(server.stdout().split('\n')[0]!) as { url: string }).url }
}

async function sandboxControl(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandboxUrl}/__sandbox/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return res.json()
}

const submissions = async () => ((await sandboxControl('stats')) as { submissions: unknown[] }).submissions.length
const summaryOf = (r: CliResult) => r.events.at(-1)!

async function png(path: string, colour: [number, number, number], w = 64, h = 48): Promise<void> {
  await sharp({ create: { width: w, height: h, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } } })
    .png()
    .toFile(path)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pixdesk-cli-'))
  home = join(dir, 'home')
  images = join(dir, 'images')
  shoot = join(dir, 'shoot')
  await mkdir(images, { recursive: true })
  await mkdir(shoot, { recursive: true })
  await png(join(images, 'red.png'), [220, 30, 30])
  await sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 30, g: 30, b: 200 } } }).jpeg().toFile(join(images, 'blue.jpg'))
  await writeFile(join(images, 'notes.txt'), 'not an image\n')
  for (const [i, c] of ([[200, 200, 200], [20, 160, 20], [250, 200, 0]] as const).entries()) await png(join(shoot, `item-${i + 1}.png`), [...c])
  ;({ server: sandbox, url: sandboxUrl } = await startSandbox([]))
  ;({ server: keyedSandbox, url: keyedUrl } = await startSandbox(['--require-key'], { PIXAPI_KEY: 'sk_right_key_0123456789' }))
})

afterAll(async () => {
  for (const server of [sandbox, keyedSandbox]) {
    if (server && server.child.exitCode === null) await server.stop('SIGINT')
  }
  await rm(dir, { recursive: true, force: true })
})

describe('pixdesk: launcher, parsing and exit code 2', () => {
  it('prints help and exits 0; unknown commands and flags exit 2 with a specific message', async () => {
    const help = await run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('batch')
    const unknown = await run(['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/)
    const flag = await run(['edit', join(images, 'red.png'), '--prompt', 'x', '--model', 'nano-banana', '--bogus'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toMatch(/unknown option '--bogus'/)
  })

  it('refuses missing files, non-images, unknown models and bad values with exit 2, sending nothing', async () => {
    const before = await submissions()
    const cases: Array<[string[], RegExp]> = [
      [['edit', join(images, 'missing.png'), '--prompt', 'x', '--model', 'nano-banana'], /does not exist/],
      [['edit', join(images, 'notes.txt'), '--prompt', 'x', '--model', 'nano-banana'], /not an image/],
      [['edit', join(images, 'red.png'), '--prompt', 'x', '--model', 'nano-banan'], /unknown model "nano-banan".*Did you mean "nano-banana"/],
      [['edit', join(images, 'red.png'), '--prompt', 'x', '--model', 'nano-banana', '--n', '0'], /--n: must be between 1 and 10/],
      [['edit', join(images, 'red.png'), '--prompt', 'x', '--model', 'gpt-image-1.5', '--size', '999x3'], /--size: Size "999x3" is not allowed/],
      [['batch', shoot, '--model', 'nano-banana'], /--prompt .* or .*--template/],
      [['batch', shoot, '--template', 'no-such-template', '--model', 'nano-banana'], /no template "no-such-template"/],
      [['compare', join(images, 'red.png'), '--prompt', 'x', '--models', 'nano-banana'], /needs 2 to 4 models/],
      [['history', '--status', 'done'], /--status: use one of succeeded/],
      [['history', 'export', '--format', 'xml'], /--format: use csv or json/],
      [['--sandbox', 'edit', join(images, 'red.png'), '--prompt', 'x', '--model', 'gpt-image-1.5', '--provider', 'openai'], /simulates Pixapi only/]
    ]
    for (const [args, message] of cases) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    expect(await submissions()).toBe(before)
  })
})

describe('pixdesk: look-ups', () => {
  it('models and templates list the catalog and the template library as JSON lines', async () => {
    const models = await run(['models', '--json'])
    expect(models.code).toBe(0)
    const ids = models.events.filter((l) => l.type === 'model').map((l) => l.id)
    expect(ids).toContain('gpt-image-1.5')
    const maskRoute = (id: string) => models.events.find((l) => l.type === 'model' && l.id === id)?.masks
    expect([maskRoute('gpt-image-1.5'), maskRoute('gemini-2.5-flash-image')]).toEqual(['native', 'crop'])
    expect(summaryOf(models)).toMatchObject({ type: 'summary', count: ids.length })
    const templates = await run(['templates', '--json'])
    expect(templates.code).toBe(0)
    expect(templates.events.filter((l) => l.type === 'template').map((l) => l.id)).toContain('background-replace')
  })

  it('scan gives one line per file with content facts, the reason for refusals, and exit 1 when one is refused', async () => {
    const r = await run(['scan', images, '--json'])
    expect(r.code).toBe(1)
    const files = r.events.filter((l) => l.type === 'file')
    expect(files).toHaveLength(3)
    const red = files.find((f) => String(f.path).endsWith('red.png'))!
    expect(red).toMatchObject({ ok: true, format: 'png', width: 64, height: 48 })
    expect(red.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(red.bytes).toBeGreaterThan(0)
    const notes = files.find((f) => String(f.path).endsWith('notes.txt'))!
    expect(notes).toMatchObject({ ok: false, error: { code: 'unsupported_format' } })
    const good = await run(['scan', join(images, 'red.png'), join(images, 'blue.jpg'), '--model', 'gpt-image-1.5', '--json'])
    expect(good.code).toBe(0)
    expect(summaryOf(good)).toMatchObject({ files: 2, ok: 2, failed: 0, model: 'gpt-image-1.5' })
  })
})

describe('pixdesk: requests against the sandbox', () => {
  it('edit writes the output, records the request id, and history finds it by that id', async () => {
    const r = await run(['edit', join(images, 'red.png'), '--prompt', 'warm grey studio background', '--model', 'nano-banana', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const summary = summaryOf(r)
    expect(summary).toMatchObject({ type: 'summary', exitCode: 0, counts: { done: 1 } })
    const outputs = summary.outputs as string[]
    expect(outputs).toHaveLength(1)
    expect(existsSync(outputs[0]!)).toBe(true)
    expect(outputs[0]).toContain(join(images, 'pixdesk'))
    expect(r.events.some((l) => l.type === 'item.updated')).toBe(true)
    const done = r.events.filter((l) => l.type === 'item.updated').map((l) => l.item as { state: string; requestIds: string[] }).find((i) => i.state === 'done')!
    const requestId = done.requestIds[0]!
    expect(requestId).toMatch(/^req_/)

    const found = await run(['history', '--search', requestId, '--json'])
    expect(found.code).toBe(0)
    const records = found.events.filter((l) => l.type === 'record')
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ model: 'gemini-2.5-flash-image', status: 'succeeded', sandbox: true, requestIds: [requestId] })
  })

  it('templates: InvokeAI presets import, run with --template and --prompt, count their use and export; a missing value sends nothing', async () => {
    const red = join(images, 'red.png')
    const csv = join(dir, 'styles.csv')
    await writeFile(csv, 'name,prompt,negative_prompt\nStudio grey,"{prompt}, on a warm grey studio background","harsh shadows"\n')
    const imported = await run(['templates', 'import', csv, '--json'])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.events.filter((l) => l.type === 'template').map((l) => l.id)).toEqual(['studio-grey'])

    const before = await submissions()
    const noText = await run(['edit', red, '--template', 'studio-grey', '--model', 'nano-banana'])
    expect(noText.code).toBe(2)
    expect(noText.stderr).toMatch(/--prompt: Template "Studio grey" puts your text where it says \{prompt\}/)
    const badVar = await run(['batch', shoot, '--template', 'colour-variant', '--var', 'shade=red', '--model', 'nano-banana'])
    expect(badVar.code).toBe(2)
    expect(badVar.stderr).toMatch(/--var: Template "Colour variant" has no variable "shade" \(it has: part, colour\)/)
    expect(await submissions()).toBe(before)

    const r = await run(['edit', red, '--template', 'studio-grey', '--prompt', 'the red tile', '--model', 'nano-banana', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const shown = await run(['templates', 'show', 'studio-grey', '--json'])
    expect(shown.events[0]).toMatchObject({ type: 'template', id: 'studio-grey', builtIn: false, usage: { count: 1 } })
    const found = await run(['history', '--search', 'warm grey studio background', '--json'])
    expect(found.events.filter((l) => l.type === 'record').map((l) => l.prompt)).toContain('the red tile, on a warm grey studio background\n\nAvoid: harsh shadows')

    const out = join(dir, 'my-templates.json')
    const exported = await run(['templates', 'export', out, '--json'])
    expect(summaryOf(exported)).toMatchObject({ type: 'summary', count: 1, path: out })
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ format: 'pixdesk-templates', templates: [{ name: 'Studio grey', negativePrompt: 'harsh shadows' }] })
  })

  it('edit takes a data URL input; generate works with the in-process --sandbox; both honour --out', async () => {
    const out = join(dir, 'out-single')
    const dataUrl = `data:image/png;base64,${(await readFile(join(images, 'red.png'))).toString('base64')}`
    const edit = await run(['edit', dataUrl, '--prompt', 'make it teal', '--model', 'gpt-image-1.5', '--quality', 'low', '--out', out, '--json'])
    expect(edit.code, edit.stderr).toBe(0)
    const generate = await run(['--sandbox', 'generate', '--prompt', 'a ceramic mug on oak', '--model', 'nano-banana', '--out', out, '--json'], { baseUrl: undefined })
    expect(generate.code, generate.stderr).toBe(0)
    for (const r of [edit, generate]) {
      const [path] = summaryOf(r).outputs as string[]
      expect(path!.startsWith(out)).toBe(true)
      expect(existsSync(path!)).toBe(true)
    }
  })

  it('compare runs one arm per model with latency, credits and outputs', async () => {
    const r = await run(['compare', join(images, 'blue.jpg'), '--prompt', 'white background', '--models', 'nano-banana,gpt-image-1.5', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const arms = r.events.filter((l) => l.type === 'arm')
    expect(arms.map((a) => a.model)).toEqual(['gemini-2.5-flash-image', 'gpt-image-1.5'])
    for (const arm of arms) {
      expect(arm.state).toBe('done')
      expect(arm.latencyMs).toBeGreaterThanOrEqual(0)
      expect(arm.charged).toBeGreaterThan(0)
      expect((arm.outputs as string[]).length).toBe(1)
    }
    expect(summaryOf(r)).toMatchObject({ kind: 'compare', exitCode: 0 })
  })

  it('batch lists a damaged image in a folder as skipped with its reason, runs the rest, and books it in the history at 0 credits', async () => {
    const mixed = join(dir, 'mixed-shoot')
    await mkdir(mixed, { recursive: true })
    await png(join(mixed, 'ok.png'), [10, 120, 200])
    const jpeg = await sharp({ create: { width: 200, height: 150, channels: 3, background: { r: 250, g: 250, b: 250 } } }).jpeg().toBuffer()
    await writeFile(join(mixed, 'torn.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)))
    await writeFile(join(mixed, 'notes.txt'), 'not an image\n')

    const text = await run(['batch', mixed, '--prompt', 'clean white background', '--model', 'nano-banana'])
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/model\s+items\s+done\s+failed\s+skipped/)
    expect(text.stdout).toContain('Skipped (the file cannot be used; nothing sent, no credits):')
    expect(text.stdout).toMatch(/torn\.jpg · gemini-2\.5-flash-image: skipped, nothing sent: .*torn\.jpg/)
    expect(text.stderr).toContain('skipped 1 file in')

    const json = await run(['batch', mixed, '--prompt', 'another clean background', '--model', 'nano-banana', '--json'])
    const summary = summaryOf(json)
    expect(summary).toMatchObject({ counts: { total: 2, done: 1, skipped: 1 }, exitCode: 1 })
    const [skipped] = summary.skipped as Array<{ source: string; reason: { code: string; message: string } }>
    expect(skipped).toMatchObject({ source: join(mixed, 'torn.jpg'), reason: { code: 'corrupt' } })

    const history = await run(['history', '--status', 'skipped', '--batch', String(summary.batchId), '--json'])
    const records = history.events.filter((l) => l.type === 'record')
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ status: 'skipped', cost: { credits: 0 }, error: { message: skipped!.reason.message }, inputs: [{ path: join(mixed, 'torn.jpg') }] })
  })

  it('batch over a folder and two models prints the final table; a failure gives exit 1 with its reason and request id', async () => {
    const ok = await run(['batch', shoot, '--prompt', 'clean white background', '--model', 'nano-banana,gpt-image-1.5', '--out', join(dir, 'out-batch')])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/model\s+items\s+done\s+failed/)
    expect(ok.stdout).toMatch(/total\s+6\s+6\s+0/)

    await sandboxControl('faults', { queue: [{ kind: 'prompt_rejected' }] })
    const bad = await run(['batch', shoot, '--prompt', 'another look', '--model', 'nano-banana', '--concurrency', '1', '--json'])
    await sandboxControl('faults', {})
    expect(bad.code).toBe(1)
    const summary = summaryOf(bad)
    expect(summary).toMatchObject({ counts: { total: 3, done: 2, failed: 1 }, exitCode: 1 })
    const [failure] = summary.failures as Array<{ error: { code: string; message: string }; requestId: string }>
    expect(failure!.error.code).toBe('prompt_rejected')
    expect(failure!.requestId).toMatch(/^req_/)
    expect(bad.stderr).toContain(failure!.requestId)

    const totals = await run(['history', 'totals', '--by', 'batch', '--json'])
    const row = totals.events.find((l) => l.type === 'total' && l.key === summary.batchId)
    expect(row).toMatchObject({ count: 3, succeeded: 2, failed: 1 })
  })

  it('stops at the budget with exit 4, then batch resume with a larger budget finishes it', async () => {
    const r = await run(['batch', shoot, '--prompt', 'budget run', '--model', 'nano-banana', '--budget', '3', '--concurrency', '1', '--json'])
    expect(r.code, r.stderr).toBe(4)
    const summary = summaryOf(r)
    expect(summary).toMatchObject({ counts: { done: 1 }, charged: 2, exitCode: 4 })
    expect(r.events.some((l) => l.type === 'budget.reached')).toBe(true)

    const resumed = await run(['batch', 'resume', String(summary.batchId), '--budget', '10', '--json'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(summaryOf(resumed)).toMatchObject({ counts: { done: 3 }, charged: 6 })
  })

  it('Ctrl-C cancels the request in flight, exits 130 and leaves the batch resumable; resume completes it', async () => {
    await sandboxControl('faults', { latencyMs: 1500 })
    const batch = start(['batch', shoot, '--prompt', 'interrupted run', '--model', 'nano-banana', '--concurrency', '1', '--json'])
    // Interrupt once the first request is on the wire.
    await batch.until(() => /"state":"(uploading|running)"/.test(batch.stdout()), 'the first request on the wire')
    const r = await batch.stop('SIGINT')
    await sandboxControl('faults', {})
    expect(r.code, r.stderr).toBe(130)
    const summary = summaryOf(r)
    expect(summary.state).toBe('paused')
    const batchId = String(summary.batchId)
    expect((summary.counts as { done: number }).done).toBeLessThan(3)

    const status = await run(['batch', 'status', batchId, '--json'])
    expect(status.code).toBe(0)
    expect(summaryOf(status)).toMatchObject({ state: 'paused', total: 3 })
    const list = await run(['batch', 'list', '--json'])
    expect(list.events.find((l) => l.type === 'batch' && l.id === batchId)).toMatchObject({ state: 'paused' })

    const resumed = await run(['batch', 'resume', batchId.slice(0, 8), '--json'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(summaryOf(resumed)).toMatchObject({ batchId, counts: { total: 3, done: 3 }, exitCode: 0 })
  })

  it('a key the API refuses ends with exit 3; the key never appears in the output', async () => {
    const key = 'sk_wrong_key_abcdefghijkl'
    const r = await run(['edit', join(images, 'red.png'), '--prompt', 'x', '--model', 'nano-banana', '--json'], { baseUrl: keyedUrl, env: { PIXAPI_KEY: key } })
    expect(r.code).toBe(3)
    expect(summaryOf(r)).toMatchObject({ exitCode: 3 })
    expect(r.stdout + r.stderr).not.toContain(key)
    const good = await run(['edit', join(images, 'red.png'), '--prompt', 'y', '--model', 'nano-banana'], { baseUrl: keyedUrl, env: { PIXAPI_KEY: 'sk_right_key_0123456789' } })
    expect(good.code, good.stderr).toBe(0)
  })

  it('history lists, filters and exports what the other commands recorded', async () => {
    const all = await run(['history', '--json', '--limit', '500'])
    expect(all.code).toBe(0)
    const records = all.events.filter((l) => l.type === 'record')
    expect(records.length).toBeGreaterThan(10)
    const failed = await run(['history', '--status', 'failed', '--since', '2020-01-01', '--json'])
    expect(failed.events.filter((l) => l.type === 'record').every((l) => l.status === 'failed')).toBe(true)
    const byModel = await run(['history', '--model', 'gpt-image-1.5', '--json'])
    expect(byModel.events.filter((l) => l.type === 'record').every((l) => l.model === 'gpt-image-1.5')).toBe(true)

    const csvPath = join(dir, 'support.csv')
    const exported = await run(['history', 'export', '--format', 'csv', '--out', csvPath, '--status', 'failed'])
    expect(exported.code).toBe(0)
    const csv = await readFile(csvPath, 'utf8')
    expect(csv).toContain('request_ids')
    expect(csv).toContain('prompt_rejected')
    const json = await run(['history', 'export', '--format', 'json'])
    expect((JSON.parse(json.stdout) as { count: number }).count).toBe(records.length)

    const human = await run(['history', 'totals', '--by', 'model'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/gemini-2\.5-flash-image/)
  })

  it('history spend totals the same credits period by period, and bundle names the ids of a record', async () => {
    // Spend over time answers with the same credits as the totals, period by period.
    const totals = await run(['history', 'totals', '--json'])
    const spend = await run(['history', 'spend', '--by', 'day', '--json'])
    expect(spend.code, spend.stderr).toBe(0)
    const overall = (summaryOf(totals) as unknown as { overall: { credits: number; count: number } }).overall
    expect(summaryOf(spend)).toMatchObject({ by: 'day', overall: { credits: overall.credits, count: overall.count } })
    const periods = spend.events.filter((l) => l.type === 'spend') as unknown as Array<{ credits: number }>
    expect(periods.length).toBeGreaterThan(0)
    expect(periods.reduce((sum, p) => sum + p.credits, 0)).toBeCloseTo(overall.credits, 6)
    expect((await run(['history', 'spend', '--by', 'year'])).code).toBe(2)

    // A support bundle names the request ids of the record it is about.
    const failed = await run(['history', '--status', 'failed', '--json'])
    const failedRecord = failed.events.find((l) => l.type === 'record') as unknown as { id: string; requestIds: string[] }
    const bundle = await run(['history', 'bundle', failedRecord.id])
    expect(bundle.code, bundle.stderr).toBe(0)
    expect(bundle.stdout).toContain(`Record id: ${failedRecord.id}`)
    for (const requestId of failedRecord.requestIds) expect(bundle.stdout).toContain(requestId)
  })
})
