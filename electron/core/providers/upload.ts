import { randomBytes } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import type { ProgressEvent } from './types'

/**
 * Request bodies whose length is known before the first byte goes out, so they are sent with
 * Content-Length (some gateways refuse or buffer chunked uploads) and byte progress has a total.
 * Files are streamed from disk part by part; nothing but the file's first chunk is held in memory.
 */

/** A piece of a body: bytes in memory, or (part of) a file, streamed when its turn comes. */
export type BodyPart = Uint8Array | { blob: Blob; label: string }

export interface UploadBody {
  contentType: string
  length: number
  /** The body for one attempt; `onSent` sees the running count each time a chunk has been taken by the connection. */
  stream(onSent: (sentBytes: number) => void): AsyncIterable<Uint8Array>
}

/** Larger in-memory parts are handed over in slices of this size, so progress moves while they go out. */
export const UPLOAD_CHUNK = 64 * 1024

const partLength = (p: BodyPart) => (p instanceof Uint8Array ? p.byteLength : p.blob.size)

function partsBody(parts: BodyPart[], contentType: string): UploadBody {
  const length = parts.reduce((sum, p) => sum + partLength(p), 0)
  return {
    contentType,
    length,
    async *stream(onSent) {
      let sent = 0
      for await (const chunk of chunksOf(parts)) {
        yield chunk
        sent += chunk.byteLength
        onSent(sent)
      }
    }
  }
}

/**
 * The body in the pieces it is written in. In-memory parts next to each other go out as one chunk of up
 * to UPLOAD_CHUNK: each chunk is a write (and a read on the server), so a small upload (form fields,
 * file, closing boundary) is one. Files are read as they go.
 */
async function* chunksOf(parts: BodyPart[]): AsyncIterable<Uint8Array> {
  let held: Uint8Array[] = []
  let heldBytes = 0
  const release = () => {
    const chunk = held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held, heldBytes)
    held = []
    heldBytes = 0
    return chunk
  }
  for (const part of parts) {
    if (part instanceof Uint8Array) {
      for (let at = 0; at < part.byteLength; ) {
        const piece = part.subarray(at, at + UPLOAD_CHUNK - heldBytes)
        held.push(piece)
        heldBytes += piece.byteLength
        at += piece.byteLength
        if (heldBytes === UPLOAD_CHUNK) yield release()
      }
      continue
    }
    if (heldBytes > 0) yield release()
    // Blob streams hand out Uint8Arrays read on demand: backpressure reaches the disk.
    const reader = (part.blob.stream() as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    for (;;) {
      let next: IteratorResult<Uint8Array>
      try {
        next = await reader.next()
      } catch (err) {
        // A file-backed Blob refuses to read a file that changed since it was validated.
        throw new AppError(
          { code: 'validation', field: 'inputs', message: `Input ${part.label} changed or became unreadable while it was being uploaded; nothing more was sent. Try again.` },
          { cause: err }
        )
      }
      if (next.done) break
      yield next.value
    }
  }
  if (heldBytes > 0) yield release()
}

export function bytesBody(bytes: Uint8Array, contentType: string): UploadBody {
  return partsBody([bytes], contentType)
}

export interface MultipartFile {
  field: string
  fileName: string
  type: string
  /** The content in order: typically the first chunk already read, then the rest of the file as a Blob. */
  parts: BodyPart[]
}

// The WHATWG multipart/form-data encoding, byte for byte what undici's FormData sends.
const escapeName = (s: string) => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22')
const crlfLines = (s: string) => s.replace(/\r?\n|\r/g, '\r\n')

export function multipartUpload(fields: Record<string, string | number | undefined>, files: MultipartFile[]): UploadBody {
  const boundary = `----formdata-pixdesk-${randomBytes(12).toString('hex')}`
  const open = `--${boundary}\r\nContent-Disposition: form-data; name="`
  let text = ''
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) text += `${open}${escapeName(crlfLines(name))}"\r\n\r\n${crlfLines(String(value))}\r\n`
  }
  const parts: BodyPart[] = []
  for (const file of files) {
    text += `${open}${escapeName(crlfLines(file.field))}"; filename="${escapeName(file.fileName)}"\r\nContent-Type: ${file.type}\r\n\r\n`
    parts.push(Buffer.from(text), ...file.parts)
    text = '\r\n'
  }
  parts.push(Buffer.from(`${text}--${boundary}--\r\n`))
  return partsBody(parts, `multipart/form-data; boundary=${boundary}`)
}

/** How often byte progress is reported at most: a renderer redrawing per socket write would be the bottleneck. */
const PROGRESS_MIN_BYTES = 64 * 1024
const PROGRESS_MIN_MS = 100

/**
 * Byte progress for one attempt: an event at 0 when the attempt starts, then at most one per
 * PROGRESS_MIN_BYTES and PROGRESS_MIN_MS, and always one when the last byte has been taken.
 */
export function uploadMeter(
  report: (e: ProgressEvent) => void,
  attempt: number,
  totalBytes: number,
  now: () => number = () => performance.now()
): (sentBytes: number) => void {
  let lastBytes = 0
  let lastAt = now()
  report({ stage: 'uploading', attempt, sentBytes: 0, totalBytes })
  return (sentBytes) => {
    if (sentBytes !== totalBytes) {
      if (sentBytes - lastBytes < PROGRESS_MIN_BYTES) return
      const at = now()
      if (at - lastAt < PROGRESS_MIN_MS) return
      lastAt = at
    }
    lastBytes = sentBytes
    report({ stage: 'uploading', attempt, sentBytes, totalBytes })
  }
}
