import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { priceFor, requestIssues, type InputFacts, type ModelEntry } from '../../../shared/catalog'
import { bundledCatalog, type Catalog } from '../catalog'
import { geminiFrame, geminiGenerationOf } from '../providers/gemini-frames'
import { answerUrls, hostileBody } from './hostile'
import { FaultInjector, faultPlanSchema, type FaultKind, type FaultPlan, type FaultSpec, type FaultStage } from './faults'
import { RenderCache } from './render-cache'
import { checkMask, type MaskStat } from './masks'
import { referencesStat, type ReferencesStat } from './references'
import { HttpFailure, parseSubmission, readBody, type ParsedInput, type ParsedSubmission } from './parse'
import { renderOutputs, type RenderRequest } from './simulate'

/**
 * The sandbox: a local server speaking the Pixapi contract exactly as the app assumes it
 * (docs/pixapi-contract.md), with simulated edits, tasks, request ids and credit accounting from the
 * catalog. It lets people try everything with no key, and lets tests drive every failure through
 * /__sandbox/* from another process.
 */

export interface SandboxOptions {
  port?: number
  host?: string
  /** Added to every submission (shorthand for faults.latencyMs). */
  latencyMs?: number | [number, number]
  faults?: FaultPlan
  catalog?: Catalog
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; otherwise any key (or none) is accepted. */
  apiKey?: string
  /** Polls a task answers "queued"/"processing" before "completed". */
  taskPolls?: number
  /** Include `costCredits` in responses (off: the client must fall back to the catalog estimate). */
  reportCost?: boolean
  /** Largest request body accepted. */
  maxBodyBytes?: number
  /** Output downloads need `Authorization: Bearer <apiKey>` too, like a provider that serves results behind its key. */
  downloadsNeedKey?: boolean
  /** Answer a submission seen before (same input, prompt, size, n) with the outputs rendered the first time. */
  reuseRenders?: boolean
}

interface SandboxInputStat {
  sha256: string
  bytes: number
  format: string | null
}

interface SandboxSubmission {
  seq: number
  at: string
  route: 'sync' | 'async'
  endpoint: string
  model: string
  prompt: string
  n: number
  size?: string
  aspectRatio?: string
  inputs: SandboxInputStat[]
  /** Request body bytes actually received, and the Content-Length the client declared (absent when chunked). */
  bodyBytes: number
  contentLength?: number
  requestId: string
  /** Set when the submission created a task. */
  taskId?: string
  /** HTTP status answered (0 when the connection was reset). */
  status: number
  fault?: FaultKind
  /** The mask part as received, when there was one. */
  mask?: MaskStat
  /** An edit's reference images (every image after the first) as received, in order, with their roles. */
  references?: ReferencesStat
}

export interface SandboxStats {
  submissions: SandboxSubmission[]
  sync: number
  async: number
  tasksCreated: number
  polls: number
  downloads: number
  creditsCharged: number
  faults: Array<{ kind: FaultKind; stage: FaultStage; path: string }>
  /** Output downloads refused for a missing or wrong key (downloadsNeedKey). */
  downloadsRefused: number
}

export interface Sandbox {
  url: string
  port: number
  close(): Promise<void>
  stats(): SandboxStats
  setFaults(plan: FaultPlan): void
  reset(): void
}

interface Task {
  id: string
  requestId: string
  polls: number
  stuck: boolean
  state: 'working' | 'done' | 'failed'
  urls: string[]
  credits: number
  charged: boolean
  error?: { code: string; message: string }
}


const MAX_STORED_FILES = 2000

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1'
  const st: SandboxState = {
    catalog: options.catalog ?? bundledCatalog(),
    faults: new FaultInjector({ ...options.faults, ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}) }),
    taskPolls: options.taskPolls ?? 2,
    reportCost: options.reportCost ?? true,
    maxBody: options.maxBodyBytes ?? 256 * 1024 * 1024,
    apiKey: options.apiKey,
    downloadsNeedKey: options.downloadsNeedKey ?? false,
    baseUrl: '',
    seq: 0,
    stats: emptyStats(),
    tasks: new Map(),
    files: new Map(),
    pending: new Set(),
    renders: options.reuseRenders ? new RenderCache() : undefined
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const m = /^\/v1\/(async\/)?images\/(edits|generations)$/.exec(path)
    if (m && req.method === 'POST') return submit(st, req, res, m[1] ? 'async' : 'sync', m[2] === 'edits' ? 'edit' : 'generate', path)
    const task = /^\/v1\/tasks\/([^/]+)$/.exec(path)
    if (task && req.method === 'GET') return poll(st, req, res, decodeURIComponent(task[1]!))
    const file = /^\/__sandbox\/files\/([\w-]+)$/.exec(path)
    if (file && req.method === 'GET') return serveFile(st, req, res, file[1]!)
    const ctl = /^\/__sandbox\/(\w+)$/.exec(path)
    if (ctl) return control(st, req, res, ctl[1]!)
    json(res, 404, { error: { code: 'not_found', message: `No route ${req.method} ${path} in the sandbox.`, type: 'invalid_request_error' } })
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { code: 'internal_error', message: `Sandbox error: ${err instanceof Error ? err.message : String(err)}`, type: 'server_error' } })
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  st.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  return {
    url: st.baseUrl,
    port,
    stats: () => structuredClone(st.stats),
    setFaults: (plan) => void st.faults.set(plan),
    reset: () => {
      st.stats = emptyStats()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ac of st.pending) ac.abort()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/** What one running sandbox keeps between requests. */
interface SandboxState {
  catalog: Catalog
  faults: FaultInjector
  taskPolls: number
  reportCost: boolean
  maxBody: number
  apiKey: string | undefined
  downloadsNeedKey: boolean
  baseUrl: string
  seq: number
  stats: SandboxStats
  tasks: Map<string, Task>
  files: Map<string, { bytes: Buffer; mime: string }>
  pending: Set<AbortController>
  renders: RenderCache | undefined
}

const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('hex')}`

function storeFile(st: SandboxState, bytes: Buffer, mime: string): string {
  const id = newId('file')
  st.files.set(id, { bytes, mime })
  // Oldest first out, so a long demo session does not grow without bound.
  if (st.files.size > MAX_STORED_FILES) st.files.delete(st.files.keys().next().value as string)
  return `${st.baseUrl}/__sandbox/files/${id}`
}

async function submit(st: SandboxState, req: IncomingMessage, res: ServerResponse, route: 'sync' | 'async', kind: 'edit' | 'generate', endpoint: string): Promise<void> {
  const requestId = newId('req')
  const declared = req.headers['content-length']
  const entry: SandboxSubmission = {
    seq: ++st.seq,
    at: new Date().toISOString(),
    route,
    endpoint,
    model: '',
    prompt: '',
    n: 0,
    inputs: [],
    bodyBytes: 0,
    contentLength: declared === undefined ? undefined : Number(declared),
    requestId,
    status: 0
  }
  st.stats.submissions.push(entry)
  st.stats[route]++
  let parsed: ParsedSubmission
  // The latency runs from the moment the whole request is in, as a provider's answer time does: the
  // upload before it is the client's, the sandbox's own parsing and checks after it are inside it.
  let received = performance.now()
  try {
    checkAuth(req, st.apiKey)
    parsed = await parseSubmission(req, kind, st.maxBody, (bytes) => {
      entry.bodyBytes = bytes
      received = performance.now()
    })
  } catch (e) {
    const err = e instanceof HttpFailure ? e : new HttpFailure(400, 'invalid_request', 'invalid_request_error', 'The request body could not be read.')
    entry.status = err.status
    return failure(res, err, requestId)
  }
  Object.assign(entry, { model: parsed.model, prompt: parsed.prompt, n: parsed.n, size: parsed.size, aspectRatio: parsed.aspectRatio, inputs: parsed.inputs.map(inputStat) })
  if (kind === 'edit' && parsed.inputs.length > 1) entry.references = await referencesStat(parsed.inputs, parsed.prompt)

  await sleep(Math.max(0, st.faults.latency() - (performance.now() - received)))
  const fault = st.faults.next('submit')
  entry.fault = fault?.kind
  if (await applyFault(fault, 'submit', req, res, requestId, st.stats, st.pending)) {
    entry.status = res.statusCode === 200 ? 0 : res.statusCode
    return
  }
  if (res.destroyed) return

  let model: ModelEntry
  try {
    model = validate(st.catalog, parsed, kind, route)
    if (parsed.mask) {
      const checked = await checkMask(model, parsed.mask, parsed.inputs[0]?.bytes)
      if ('problem' in checked) throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', checked.problem, 'mask')
      entry.mask = checked.stat
    }
  } catch (e) {
    const err = e as HttpFailure
    entry.status = err.status
    return failure(res, err, requestId)
  }
  const credits = priceFor(model, parsed.size, parsed.quality, parsed.n) ?? 0
  const nonImage = fault?.kind === 'non_image'

  if (route === 'async') {
    const task: Task = { id: newId('task'), requestId, polls: 0, stuck: fault?.kind === 'stuck_task', state: 'working', urls: [], credits, charged: false }
    st.tasks.set(task.id, task)
    st.stats.tasksCreated++
    entry.taskId = task.id
    entry.status = 200
    json(res, 200, { id: task.id, status: 'queued', model: model.id, created: Math.floor(Date.now() / 1000), request_id: requestId }, { 'x-request-id': requestId })
    void renderFor(st, parsed, entry, nonImage, fault).then(
      (outs) => {
        task.urls = answerUrls(fault, outs.map((o) => storeFile(st, o.bytes, o.mime)))
        task.state = 'done'
      },
      (e: unknown) => {
        task.state = 'failed'
        task.error = { code: 'invalid_request', message: `The input image could not be processed: ${e instanceof Error ? e.message : String(e)}` }
      }
    )
    return
  }

  if (fault?.kind === 'stuck_task') {
    // A sync request that never finishes: hold it until the client gives up.
    await waitOrClose(24 * 60 * 60 * 1000, res, st.pending)
    return
  }
  let outs: Array<{ bytes: Buffer; mime: string }>
  try {
    outs = await renderFor(st, parsed, entry, nonImage, fault)
  } catch (e) {
    entry.status = 400
    return failure(res, new HttpFailure(400, 'invalid_request', 'invalid_request_error', `The input image could not be processed: ${e instanceof Error ? e.message : String(e)}`), requestId)
  }
  st.stats.creditsCharged += credits
  entry.status = 200
  const asUrl = (parsed.responseFormat ?? 'url') === 'url'
  const data = asUrl
    ? answerUrls(fault, outs.map((o) => storeFile(st, o.bytes, o.mime))).map((url) => ({ url }))
    : answerUrls(fault, outs.map((o) => o.bytes.toString('base64'))).map((b64_json) => ({ b64_json }))
  json(
    res,
    200,
    {
      created: Math.floor(Date.now() / 1000),
      data,
      request_id: requestId,
      ...(st.reportCost ? { costCredits: credits } : {}),
      simulated: true
    },
    { 'x-request-id': requestId }
  )
}

async function poll(st: SandboxState, req: IncomingMessage, res: ServerResponse, taskId: string): Promise<void> {
  st.stats.polls++
  const requestId = newId('req')
  const fault = st.faults.next('poll')
  if (await applyFault(fault, 'poll', req, res, requestId, st.stats, st.pending)) return
  if (res.destroyed) return
  const task = st.tasks.get(taskId)
  if (!task) return failure(res, new HttpFailure(404, 'task_not_found', 'invalid_request_error', `Task "${taskId}" not found.`), requestId)
  task.polls++
  const base = { id: task.id, request_id: task.requestId }
  if (task.stuck || task.polls <= st.taskPolls || task.state === 'working') {
    return json(res, 200, { ...base, status: task.polls <= 1 ? 'queued' : 'processing' }, { 'x-request-id': requestId })
  }
  if (task.state === 'failed') return json(res, 200, { ...base, status: 'failed', error: task.error }, { 'x-request-id': requestId })
  // Pixapi charges after a successful output: once, when the task is first seen completed.
  if (!task.charged) {
    st.stats.creditsCharged += task.credits
    task.charged = true
  }
  return json(
    res,
    200,
    { ...base, status: 'completed', result: { data: task.urls.map((url) => ({ url })) }, ...(st.reportCost ? { costCredits: task.credits } : {}), simulated: true },
    { 'x-request-id': requestId }
  )
}

async function serveFile(st: SandboxState, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  st.stats.downloads++
  const fault = st.faults.next('download')
  if (fault?.kind === 'non_image') {
    st.stats.faults.push({ kind: fault.kind, stage: 'download', path: req.url ?? '' })
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<html>not an image</html>')
    return
  }
  if (await applyFault(fault, 'download', req, res, newId('req'), st.stats, st.pending)) return
  if (fault?.kind === 'redirect' && fault.target) {
    res.writeHead(302, { location: fault.target }).end()
    return
  }
  if (st.downloadsNeedKey && req.headers.authorization !== `Bearer ${st.apiKey ?? ''}`) {
    st.stats.downloadsRefused++
    return json(res, 401, { error: { code: 'unauthorized', message: 'This file needs the API key (simulated).', type: 'authentication_error' } })
  }
  const file = st.files.get(id)
  if (!file) return json(res, 404, { error: { code: 'file_not_found', message: 'No such file.', type: 'invalid_request_error' } })
  res.writeHead(200, { 'content-type': file.mime, 'content-length': file.bytes.length })
  res.end(file.bytes)
}

async function control(st: SandboxState, req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
  if (req.method === 'GET' && action === 'stats') return json(res, 200, st.stats)
  if (req.method === 'GET' && action === 'health') return json(res, 200, { ok: true, simulated: true })
  if (req.method === 'GET' && action === 'faults') return json(res, 200, st.faults.current())
  if (req.method === 'POST' && action === 'faults') {
    const body = await readBody(req, 1024 * 1024)
    let plan: unknown
    try {
      plan = JSON.parse(body.toString('utf8'))
    } catch {
      return json(res, 400, { error: { code: 'invalid_json', message: 'The fault plan is not JSON.', type: 'invalid_request_error' } })
    }
    const parsed = faultPlanSchema.safeParse(plan)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      return json(res, 400, { error: { code: 'invalid_fault_plan', message: `${issue?.path.join('.') || 'plan'}: ${issue?.message}`, type: 'invalid_request_error' } })
    }
    return json(res, 200, st.faults.set(parsed.data))
  }
  if (req.method === 'POST' && action === 'reset') {
    st.stats = emptyStats()
    return json(res, 200, { ok: true })
  }
  return json(res, 404, { error: { code: 'not_found', message: `No sandbox control "${action}".`, type: 'invalid_request_error' } })
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function failure(res: ServerResponse, err: HttpFailure, requestId: string, extra: Record<string, string> = {}): void {
  json(res, err.status, { error: { code: err.code, message: err.message, type: err.type, ...(err.param ? { param: err.param } : {}) } }, { 'x-request-id': requestId, ...extra })
}

/** Applies a fault that ends the exchange; returns true when the response has been handled. */
async function applyFault(
  fault: FaultSpec | undefined,
  stage: FaultStage,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  stats: SandboxStats,
  pending: Set<AbortController>
): Promise<boolean> {
  if (!fault) return false
  stats.faults.push({ kind: fault.kind, stage, path: req.url ?? '' })
  const err = (status: number, code: string, type: string, message: string) => failure(res, new HttpFailure(status, code, type, message), requestId)
  switch (fault.kind) {
    case 'rate_limited': {
      const headers: Record<string, string> =
        fault.retryAfterMs !== undefined ? { 'retry-after-ms': String(fault.retryAfterMs) } : { 'retry-after': String(fault.retryAfterS ?? 1) }
      failure(res, new HttpFailure(429, 'rate_limited', 'rate_limit_error', 'Too many requests (simulated).'), requestId, headers)
      return true
    }
    case 'server_error':
      err(500, 'internal_error', 'server_error', 'Internal error (simulated).')
      return true
    case 'unavailable':
      err(503, 'model_unavailable', 'server_error', 'The model is temporarily unavailable (simulated).')
      return true
    case 'insufficient_credits':
      err(402, 'insufficient_credits', 'billing_error', 'Not enough credits (simulated).')
      return true
    case 'prompt_rejected':
      err(422, 'prompt_rejected', 'policy_error', 'The prompt was rejected by the content policy (simulated).')
      return true
    case 'slow':
      await waitOrClose(fault.delayMs, res, pending)
      return false
    case 'reset':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096', 'x-request-id': requestId })
      res.write('{"created":1700000000,"data":[{"b64_json":"iVBORw0KGgo')
      // Give the partial body a moment on the wire, then drop the connection mid-body.
      setTimeout(() => res.socket?.destroy(), 20)
      return true
    case 'malformed_json':
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId })
      res.end('{"created": 1700000000, "data": [{"url": ')
      return true
    case 'trickle':
    case 'endless':
    case 'huge': {
      // Ended by the client's own bounds, or when the sandbox closes (which aborts everything in `pending`).
      const closing = new AbortController()
      pending.add(closing)
      res.on('close', () => pending.delete(closing))
      return hostileBody(fault, res, requestId, stage === 'download' ? 'image/png' : 'application/json', closing.signal)
    }
    case 'non_image':
    case 'stuck_task':
    case 'small_output':
    case 'excess_outputs':
    case 'foreign_url':
    case 'redirect':
      return false
  }
}

/** Waits, cut short when the client goes away or the sandbox closes (which aborts everything in `pending`). */
async function waitOrClose(ms: number, res: ServerResponse, pending: Set<AbortController>): Promise<void> {
  const ac = new AbortController()
  pending.add(ac)
  const onClose = () => ac.abort()
  res.on('close', onClose)
  try {
    await sleep(ms, undefined, { signal: ac.signal })
  } catch {
    // The client went away or the sandbox is closing: nothing left to answer.
  } finally {
    res.off('close', onClose)
    pending.delete(ac)
  }
}

function checkAuth(req: IncomingMessage, apiKey: string | undefined): void {
  if (apiKey === undefined) return
  if (req.headers.authorization !== `Bearer ${apiKey}`) {
    throw new HttpFailure(401, 'unauthorized', 'authentication_error', 'Invalid or missing API key.')
  }
}

function validate(catalog: Catalog, p: ParsedSubmission, kind: 'edit' | 'generate', route: 'sync' | 'async'): ModelEntry {
  if (!p.model) throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', 'Missing field "model".', 'model')
  const model = catalog.get(p.model)
  if (!model || !model.routes.pixapi) throw new HttpFailure(404, 'model_not_found', 'invalid_request_error', `Model "${p.model}" not found.`, 'model')
  const issue = requestIssues(model, {
    kind,
    provider: 'pixapi',
    route,
    prompt: p.prompt,
    params: { n: p.n, size: p.size, aspectRatio: p.aspectRatio, quality: p.quality, responseFormat: p.responseFormat },
    inputs: p.inputs.map((i, k): InputFacts => ({ source: 'data', format: i.format ?? 'unknown', bytes: i.bytes.length, label: `image ${k + 1}` }))
  })[0]
  if (issue) throw new HttpFailure(400, 'invalid_request', 'invalid_request_error', issue.message, issue.field)
  return model
}

function renderFor(st: SandboxState, p: ParsedSubmission, entry: SandboxSubmission, nonImage: boolean, fault?: FaultSpec): Promise<Array<{ bytes: Buffer; mime: string }>> {
  const plan = st.faults.current()
  const looks: RenderLooks = { leakRows: plan.leakOutsideMask, format: plan.answerFormat, scale: fault?.kind === 'small_output' ? fault.scale : undefined }
  // A masked, leaking, shrunk or re-encoded answer depends on more than the cache's key: it is rendered afresh.
  if (!st.renders || nonImage || p.mask || looks.leakRows || looks.format || looks.scale) return render(p, nonImage, looks)
  return st.renders.get({ inputSha256: entry.inputs[0]?.sha256, prompt: p.prompt, size: answeredSize(p), n: p.n }, () => render(p, nonImage, looks))
}

function emptyStats(): SandboxStats {
  return { submissions: [], sync: 0, async: 0, tasksCreated: 0, polls: 0, downloads: 0, creditsCharged: 0, faults: [], downloadsRefused: 0 }
}

type RenderLooks = Pick<RenderRequest, 'leakRows' | 'format' | 'scale'>
const render = (p: ParsedSubmission, nonImage: boolean, looks: RenderLooks) =>
  renderOutputs({ input: p.inputs[0]?.bytes, mask: p.mask, prompt: p.prompt, size: answeredSize(p), n: p.n, nonImage, ...looks })

/** A Gemini model asked for a ratio answers its own frame for it at the asked tier (1K when none), as Gemini does. */
function answeredSize(p: ParsedSubmission): string | undefined {
  if (!p.aspectRatio) return p.size
  const tier = /^(\d)K$/.exec(p.size ?? '1K')
  const frame = tier ? geminiFrame(geminiGenerationOf(p.model), p.aspectRatio, Number(tier[1])) : null
  return frame ? `${frame.width}x${frame.height}` : p.size
}

function inputStat(i: ParsedInput): SandboxInputStat {
  return { sha256: createHash('sha256').update(i.bytes).digest('hex'), bytes: i.bytes.length, format: i.format }
}

/** `tsx electron/core/sandbox/server.ts [--port N]`: the sandbox on its own, until Ctrl+C. */
async function main(argv: string[]): Promise<void> {
  const portArg = argv.indexOf('--port')
  const port = portArg >= 0 ? Number(argv[portArg + 1]) : 0
  const sandbox = await startSandbox({ port })
  console.log(`Pixdesk sandbox (simulated Pixapi) listening on ${sandbox.url}`)
  console.log(`Point the app or CLI at it as the Pixapi base URL; no key needed. Stats: ${sandbox.url}/__sandbox/stats`)
  const stop = () => void sandbox.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

if (require.main === module) void main(process.argv.slice(2))
