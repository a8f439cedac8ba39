import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'

/**
 * The queue journal's file. A submission must be on disk before it is sent, so a durable line's fsync
 * stands between a granted slot and its request, and where that fsync runs decides how long the slot
 * waits. While this disk's fsyncs are quick, lines are written and fsync'd on the calling thread: a
 * hand-over to another thread and back through a busy event loop cost twice the fsync itself. Once an
 * fsync is slow (a spinning or network disk, or one busy with other writes), lines go to a writer
 * thread of its own, so a slow disk never holds the app's main thread for longer than that one fsync;
 * they come back once the thread has seen a run of quick ones. Node's asynchronous file calls are not
 * used: they share a small thread pool with image decoding and hashing, and a submission queued behind
 * that work waited many times an fsync's length.
 *
 * Lines land in the order given: the calling thread writes only while the thread has nothing waiting,
 * and the thread handles its messages in order. The thread takes every message waiting at once and
 * makes one fsync for all the durable lines among them (a group commit).
 */
const WORKER_SOURCE = `
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads')
const fs = require('node:fs')
const { performance } = require('node:perf_hooks')
let fd
const failure = (err) => ({ message: err.message, code: err.code })
// appendAll below, in plain JavaScript.
const appendAll = (fd, bytes) => {
  let written = 0
  try {
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written)
  } catch (err) {
    if (written > 0) try { fs.ftruncateSync(fd, fs.fstatSync(fd).size - written) } catch {}
    throw err
  }
}
parentPort.on('message', (first) => {
  const messages = [first]
  for (let next; (next = receiveMessageOnPort(parentPort)); ) messages.push(next.message)
  const replies = []
  let unsynced = []
  const sync = () => {
    if (!unsynced.length) return
    const started = performance.now()
    try {
      fs.fdatasyncSync(fd)
      unsynced[0].fsyncMs = performance.now() - started
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
        appendAll(fd, Buffer.from(message.text, 'utf8'))
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

/**
 * Appends all of `bytes`; a write that fails midway is cut back off, as a line cut short would make
 * every line after it unreadable on replay.
 */
function appendAll(fd: number, bytes: Buffer): void {
  let written = 0
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
  } catch (err) {
    if (written > 0) {
      try {
        ftruncateSync(fd, fstatSync(fd).size - written)
      } catch {
        // The torn line stays: replay stops before it and keeps a copy of the journal.
      }
    }
    throw err
  }
}

/** Longer than this, an fsync is slow: the next ones are made on the writer thread. */
export const SLOW_FSYNC_MS = 10
/** How many quick fsyncs in a row on the writer thread bring them back to the calling thread. */
export const QUICK_FSYNC_RUN = 8

/**
 * Where the next lines go, from the fsyncs measured so far: the calling thread until one is slow,
 * then the writer thread until it has made a run of quick ones.
 */
export class FsyncPlacement {
  private quickInARow: number

  constructor(
    private readonly slowMs = SLOW_FSYNC_MS,
    private readonly run = QUICK_FSYNC_RUN
  ) {
    this.quickInARow = run
  }

  inline(): boolean {
    return this.quickInARow >= this.run
  }

  measured(ms: number): void {
    this.quickInARow = ms > this.slowMs ? 0 : this.quickInARow + 1
  }
}

export interface JournalFileOptions {
  /** Decides where lines are written and fsync'd (tests force one place or the other). */
  placement?: Pick<FsyncPlacement, 'inline' | 'measured'>
}

type Request = { op: 'append'; text: string; sync: boolean } | { op: 'truncate' } | { op: 'close' }

interface Reply {
  id: number
  /** Set on the reply of the first durable line an fsync covered. */
  fsyncMs?: number
  error?: { message: string; code?: string }
}

interface Pending {
  resolve(): void
  reject(err: unknown): void
}

export class JournalFile {
  private fd: number | undefined
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private readonly placement: Pick<FsyncPlacement, 'inline' | 'measured'>
  /** How many fsyncs were made on the calling thread and on the writer thread. */
  readonly fsyncs = { inline: 0, thread: 0 }

  constructor(
    private readonly path: string,
    options: JournalFileOptions = {}
  ) {
    this.placement = options.placement ?? new FsyncPlacement()
  }

  /** `sync`: resolves only once the text is on disk (fdatasync). */
  append(text: string, sync: boolean): Promise<void> {
    if (!this.here()) return this.send({ op: 'append', text, sync })
    try {
      const fd = this.open()
      appendAll(fd, Buffer.from(text, 'utf8'))
      if (sync) {
        const started = performance.now()
        fdatasyncSync(fd)
        this.fsyncs.inline++
        this.placement.measured(performance.now() - started)
      }
      return Promise.resolve()
    } catch (err) {
      return Promise.reject(err)
    }
  }

  truncate(): Promise<void> {
    if (!this.here()) return this.send({ op: 'truncate' })
    try {
      ftruncateSync(this.open(), 0)
      return Promise.resolve()
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Waits for the writer thread's work, then closes the file and stops the thread. */
  async close(): Promise<void> {
    if (this.worker) {
      await this.send({ op: 'close' }).catch(() => undefined)
      const worker = this.worker
      this.worker = undefined
      await worker.terminate()
    }
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  /** On the calling thread, unless the disk is slow or the writer thread still has lines to write first. */
  private here(): boolean {
    return this.pending.size === 0 && this.placement.inline()
  }

  private open(): number {
    this.fd ??= openSync(this.path, 'a')
    return this.fd
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
    worker.on('message', (reply: Reply) => {
      if (reply.fsyncMs !== undefined) {
        this.fsyncs.thread++
        this.placement.measured(reply.fsyncMs)
      }
      const waiter = this.pending.get(reply.id)
      if (!waiter) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) worker.unref()
      if (!reply.error) return waiter.resolve()
      waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }))
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
