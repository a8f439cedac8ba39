import { Worker } from 'node:worker_threads'

/**
 * The queue journal's file, written from a thread of its own. Node's asynchronous file calls share a
 * small thread pool with image decoding, hashing and every other fsync in the process; a submission
 * must be on disk before it is sent, and queued behind that work it waited many times an fsync's
 * length while its request slot stood idle. Here a write and its fsync are one hop to a thread that
 * does nothing else. Messages are handled in order, so lines land in the order they were given; the
 * messages that arrived while the thread was busy are taken together, and one fsync covers every
 * durable line among them (a group commit), so a submission never queues behind another one's fsync.
 */
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads')
const fs = require('node:fs')
let fd
const failure = (err) => ({ message: err.message, code: err.code })
parentPort.on('message', (first) => {
  const messages = [first]
  for (let next; (next = receiveMessageOnPort(parentPort)); ) messages.push(next.message)
  const replies = []
  let unsynced = []
  const sync = () => {
    if (!unsynced.length) return
    try {
      fs.fdatasyncSync(fd)
    } catch (err) {
      for (const reply of unsynced) reply.error = failure(err)
    }
    unsynced = []
  }
  for (const message of messages) {
    const reply = { id: message.id }
    replies.push(reply)
    try {
      if (message.op === 'close') {
        sync()
        if (fd !== undefined) fs.closeSync(fd)
        fd = undefined
        continue
      }
      if (fd === undefined) fd = fs.openSync(workerData.path, 'a')
      if (message.op === 'append') {
        const bytes = Buffer.from(message.text, 'utf8')
        let written = 0
        while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written)
        if (message.sync) unsynced.push(reply)
      } else if (message.op === 'truncate') {
        sync()
        fs.ftruncateSync(fd, 0)
      }
    } catch (err) {
      reply.error = failure(err)
    }
  }
  sync()
  for (const reply of replies) parentPort.postMessage(reply)
})
`

type Request = { op: 'append'; text: string; sync: boolean } | { op: 'truncate' } | { op: 'close' }

interface Pending {
  resolve(): void
  reject(err: unknown): void
}

export class JournalFile {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0

  constructor(private readonly path: string) {}

  /** `sync`: resolves only once the text is on disk (fdatasync). */
  append(text: string, sync: boolean): Promise<void> {
    return this.send({ op: 'append', text, sync })
  }

  truncate(): Promise<void> {
    return this.send({ op: 'truncate' })
  }

  async close(): Promise<void> {
    if (!this.worker) return
    await this.send({ op: 'close' }).catch(() => undefined)
    const worker = this.worker
    this.worker = undefined
    await worker.terminate()
  }

  private send(request: Request): Promise<void> {
    const worker = this.start()
    const id = ++this.nextId
    // Held while a write is outstanding, so a process that is closing waits for it.
    if (this.pending.size === 0) worker.ref()
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ id, ...request })
    })
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.path } })
    // Idle between writes: it must not keep a finished command alive.
    worker.unref()
    worker.on('message', (message: { id: number; error?: { message: string; code?: string } }) => {
      const waiter = this.pending.get(message.id)
      if (!waiter) return
      this.pending.delete(message.id)
      if (this.pending.size === 0) worker.unref()
      if (!message.error) return waiter.resolve()
      waiter.reject(Object.assign(new Error(message.error.message), { code: message.error.code }))
    })
    const fail = (err: unknown) => {
      if (this.worker === worker) this.worker = undefined
      for (const waiter of this.pending.values()) waiter.reject(err)
      this.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the journal writer stopped (exit code ${code})`)))
    this.worker = worker
    return worker
  }
}
