import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/**
 * The C2PA library (c2pa-rs in its WebAssembly build) on a thread of its own. Signing hashes the whole
 * file inside WebAssembly: 40-80 ms for a JPEG, up to a second for a large PNG and about three seconds
 * to compile the module the first time. On the main thread that time stopped every request slot from
 * being refilled and, in the app, every IPC answer. The private key never crosses over: the thread
 * asks back for each signature, and this side makes it.
 *
 * The thread is started from source text, not from a file: the same code then runs from the sources,
 * from the app's and the command line's bundles and in the test runners, none of which has to know
 * where a worker file was put. The library is an ES module, loaded by URL with the runtime's own import.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { readFileSync } = require('node:fs')

// The library reads images through FileReaderSync, which only browsers' workers have; a Blob that keeps
// its bytes lets a small stand-in answer it synchronously.
const BYTES = Symbol('bytes')
class BytesBlob extends Blob {
  constructor(bytes) { super([bytes]); this[BYTES] = bytes }
  slice(start = 0, end = this[BYTES].length) { return new BytesBlob(this[BYTES].subarray(start, end)) }
}
globalThis.FileReaderSync ??= class {
  readAsArrayBuffer(blob) {
    const bytes = blob[BYTES]
    if (!bytes) throw new Error('Only images handed over by Pixdesk can be read here.')
    return bytes.slice().buffer
  }
}

let loading
function library() {
  loading ??= (async () => {
    const mod = await import(workerData.moduleUrl)
    await mod.default({ module_or_path: readFileSync(workerData.wasmPath) })
    return mod
  })()
  return loading
}

const signatures = new Map()
let nextSignature = 0
function signatureFor(claim, requestId) {
  const signId = ++nextSignature
  return new Promise((resolve, reject) => {
    signatures.set(signId, { resolve, reject })
    parentPort.postMessage({ op: 'claim', id: requestId, signId, claim })
  })
}

async function sign(c2pa, m) {
  const builder = c2pa.WasmBuilder.fromJson(m.manifest, m.settings)
  try {
    if (m.ingredient) {
      try {
        if (!m.ingredient.mime) throw new Error('format not read by the library')
        await builder.addIngredientFromBlob(m.ingredient.json, m.ingredient.mime, new BytesBlob(m.ingredient.bytes))
      } catch {
        // A source the library cannot open is still named as the ingredient, without its own data.
        builder.addIngredient(m.ingredient.fallbackJson)
      }
    }
    const signer = { alg: m.alg, reserveSize: m.reserveSize, sign: (claim) => signatureFor(claim, m.id) }
    return await builder.sign(signer, [], m.mime, new BytesBlob(m.bytes))
  } finally {
    builder.free()
  }
}

async function read(c2pa, m) {
  let reader
  try {
    reader = await c2pa.WasmReader.fromBytes(m.mime, m.bytes)
  } catch (err) {
    if (/JumbfNotFound|no JUMBF|ManifestNotFound|not found/i.test(String(err))) return null
    throw err
  }
  try {
    return reader.json()
  } finally {
    reader.free()
  }
}

parentPort.on('message', async (m) => {
  if (m.op === 'signature') {
    const waiter = signatures.get(m.signId)
    signatures.delete(m.signId)
    if (waiter) m.error ? waiter.reject(new Error(m.error)) : waiter.resolve(m.signature)
    return
  }
  try {
    const c2pa = await library()
    const result = m.op === 'sign' ? await sign(c2pa, m) : m.op === 'read' ? await read(c2pa, m) : null
    parentPort.postMessage({ id: m.id, result }, result instanceof Uint8Array ? [result.buffer] : [])
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) })
  }
})
`

export type C2paMime = 'image/png' | 'image/jpeg' | 'image/webp'

export interface SignRequest {
  manifest: string
  settings: string
  mime: C2paMime
  bytes: Uint8Array
  alg: string
  reserveSize: number
  ingredient?: { json: string; fallbackJson: string; mime?: string; bytes: Uint8Array }
  /** Makes the COSE signature over a claim; called on this thread, where the key is. */
  signClaim(claim: Uint8Array): Promise<Uint8Array>
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
  signClaim?: (claim: Uint8Array) => Promise<Uint8Array>
  /** Keeps the process alive while it is outstanding. */
  hold: boolean
}

type Reply =
  | { op: 'claim'; id: number; signId: number; claim: Uint8Array }
  | { op?: undefined; id: number; result?: Uint8Array | string | null; error?: string }

/** Where the library's module and WebAssembly are; an installed app keeps them unpacked beside its archive. */
function libraryFiles(): { moduleUrl: string; wasmPath: string } {
  let dir = dirname(createRequire(__filename).resolve('@contentauth/c2pa-wasm/package.json'))
  const unpacked = dir.replace(`${sep}app.asar${sep}`, `${sep}app.asar.unpacked${sep}`)
  if (unpacked !== dir && existsSync(unpacked)) dir = unpacked
  return { moduleUrl: pathToFileURL(join(dir, 'pkg', 'c2pa.js')).href, wasmPath: join(dir, 'pkg', 'c2pa_bg.wasm') }
}

class C2paThread {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0

  sign(request: SignRequest): Promise<Uint8Array> {
    const { signClaim, ...message } = request
    return this.send({ op: 'sign', ...message }, signClaim) as Promise<Uint8Array>
  }

  /** Resolves once the library is compiled and loaded, so the first signature does not wait for it. */
  async warm(): Promise<void> {
    // Not worth keeping a finished command alive for: only real work holds the process open.
    await this.send({ op: 'warm' }, undefined, false)
  }

  /** The manifest store as JSON, or null when the file carries none. */
  read(mime: C2paMime, bytes: Uint8Array): Promise<string | null> {
    return this.send({ op: 'read', mime, bytes }) as Promise<string | null>
  }

  private send(message: Record<string, unknown>, signClaim?: Pending['signClaim'], hold = true): Promise<unknown> {
    const worker = this.start()
    const id = ++this.nextId
    // Held while work is outstanding, so a command that is finishing waits for its signatures.
    if (hold && this.held() === 0) worker.ref()
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, signClaim, hold })
      worker.postMessage({ id, ...message })
    })
  }

  private held(): number {
    let count = 0
    for (const waiter of this.pending.values()) if (waiter.hold) count++
    return count
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: libraryFiles(), execArgv: [] })
    // Idle between files: it must not keep a finished command alive.
    worker.unref()
    worker.on('message', (reply: Reply) => this.answer(worker, reply))
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined
      for (const waiter of this.pending.values()) waiter.reject(err)
      this.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the Content Credentials thread stopped (exit code ${code})`)))
    this.worker = worker
    return worker
  }

  private answer(worker: Worker, reply: Reply): void {
    const waiter = this.pending.get(reply.id)
    if (reply.op === 'claim') {
      const signing = waiter?.signClaim ? waiter.signClaim(reply.claim) : Promise.reject(new Error('no signing request is waiting for this claim'))
      signing.then(
        (signature) => worker.postMessage({ op: 'signature', signId: reply.signId, signature }),
        (err: unknown) => worker.postMessage({ op: 'signature', signId: reply.signId, error: (err as Error).message })
      )
      return
    }
    if (!waiter) return
    this.pending.delete(reply.id)
    if (this.held() === 0) worker.unref()
    if (reply.error !== undefined) waiter.reject(new Error(reply.error))
    else waiter.resolve(reply.result ?? null)
  }
}

let thread: C2paThread | undefined
export const c2paThread = (): C2paThread => (thread ??= new C2paThread())
