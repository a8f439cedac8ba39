import { type FileHandle, mkdir, open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { requestRecordSchema, verdictSchema, type RequestRecord } from '../../../shared/records'

/**
 * The ledger on disk: JSON Lines files, one per calendar month (UTC) of writing, in <dataDir>/history.
 * Lines are only ever appended. Each line is one event: a request record, a verdict on a compare group,
 * or a deletion (tombstone). A record id written again supersedes the earlier line.
 */
const HISTORY_DIR = 'history'
const MONTH_FILE = /^(\d{4})-(\d{2})\.jsonl$/

export const ledgerLineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('request'), at: z.string(), record: requestRecordSchema }),
  z.object({
    type: z.literal('verdict'),
    at: z.string(),
    compareGroup: z.string(),
    verdict: verdictSchema,
    pickedRecordId: z.string().optional(),
    note: z.string().optional()
  }),
  z.object({ type: z.literal('delete'), at: z.string(), id: z.string(), deletedFiles: z.array(z.string()) })
])
export type LedgerLine = z.infer<typeof ledgerLineSchema>

/** Every line begins with this, which is how a line glued to a torn one is found again. */
const LINE_START = '{"type":"'

export function historyDir(dataDir: string): string {
  return join(dataDir, HISTORY_DIR)
}

export function monthFileName(date: Date): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}.jsonl`
}

/** Month files sorted oldest first. */
export async function listMonthFiles(dir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return names.filter((n) => MONTH_FILE.test(n)).sort()
}

/**
 * A line's position in the whole ledger: month-file order × 1e12 + byte offset, so later lines have
 * larger orders across files too. Exact in a double for files under 1 TB until the year 2700.
 */
export function orderOf(file: string, offset: number): number {
  return monthOrderBase(file) + offset
}

export function monthOrderBase(file: string): number {
  const year = Number(file.slice(0, 4))
  const month = Number(file.slice(5, 7))
  return ((year - 2000) * 12 + (month - 1)) * 1e12
}

/**
 * Appends lines. Each line goes out in ONE write() on a file opened with O_APPEND, so lines from the
 * desktop app and the CLI never mix, and is flushed (fdatasync) before the append resolves. If the file
 * does not end with a newline (a writer was killed mid-line), a newline is written first so the torn
 * fragment stays on its own line and the new line is intact.
 */
export class LedgerWriter {
  private readonly handles = new Map<string, Promise<FileHandle>>()
  private dirReady: Promise<unknown> | null = null

  constructor(
    private readonly dir: string,
    private readonly now: () => Date = () => new Date()
  ) {}

  async append(line: LedgerLine): Promise<{ file: string }> {
    const file = monthFileName(this.now())
    const text = `${JSON.stringify(line)}\n`
    const handle = await this.handle(file)
    const { size } = await handle.stat()
    let payload = Buffer.from(text, 'utf8')
    if (size > 0) {
      const last = Buffer.alloc(1)
      await handle.read(last, 0, 1, size - 1)
      if (last[0] !== 0x0a) payload = Buffer.concat([Buffer.from('\n'), payload])
    }
    const { bytesWritten } = await handle.write(payload, 0, payload.length)
    if (bytesWritten !== payload.length) {
      // Only a full disk or a quota gets here; the reader will skip the partial line and say so.
      throw new Error(`History line only partly written to ${file} (${bytesWritten} of ${payload.length} bytes): is the disk full?`)
    }
    await handle.datasync()
    return { file }
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()]
    this.handles.clear()
    await Promise.all(handles.map(async (h) => (await h.catch(() => null))?.close()))
  }

  private handle(file: string): Promise<FileHandle> {
    let handle = this.handles.get(file)
    if (!handle) {
      this.dirReady ??= mkdir(this.dir, { recursive: true })
      handle = this.dirReady.then(() => open(join(this.dir, file), 'a+', 0o600))
      handle.catch(() => this.handles.delete(file))
      // A month has passed: the previous month's file will not be written again by this process.
      for (const [name, old] of this.handles) {
        if (name !== file) {
          this.handles.delete(name)
          void old.then((h) => h.close()).catch(() => undefined)
        }
      }
      this.handles.set(file, handle)
    }
    return handle
  }
}

export type DecodedLine =
  | { ok: true; line: LedgerLine; /** bytes skipped at the start of the raw line (a torn fragment) */ skipped: number }
  | { ok: false; reason: string }

/** Parses and validates one raw line; a valid line glued after a torn fragment is recovered. */
function decodeLine(text: string): DecodedLine {
  const direct = tryDecode(text)
  if (direct.ok) return { ok: true, line: direct.line, skipped: 0 }
  const glued = text.lastIndexOf(LINE_START)
  if (glued > 0) {
    const rest = tryDecode(text.slice(glued))
    if (rest.ok) return { ok: true, line: rest.line, skipped: Buffer.byteLength(text.slice(0, glued)) }
  }
  return { ok: false, reason: direct.reason }
}

function tryDecode(text: string): { ok: true; line: LedgerLine } | { ok: false; reason: string } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'not valid JSON (a line cut short by a crash, or edited by hand)' }
  }
  const parsed = ledgerLineSchema.safeParse(json)
  if (parsed.success) return { ok: true, line: parsed.data }
  const issue = parsed.error.issues[0]
  return { ok: false, reason: `not a valid history entry (${issue?.path.join('.') || 'line'}: ${issue?.message ?? 'invalid'})` }
}

interface ScannedLine {
  line: LedgerLine
  offset: number
  length: number
  lineNumber: number
}

export interface ScanResult {
  lines: ScannedLine[]
  bad: { lineNumber: number; offset: number; reason: string }[]
  /** Bytes fully consumed: an unterminated last line (possibly still being written) is left for the next scan. */
  endOffset: number
  /** Line number the next scan starts counting from. */
  nextLineNumber: number
  /** An unterminated line at the end of the file, if any. */
  pendingTail: { offset: number; bytes: number } | null
}

/**
 * Reads a month file from `fromOffset` to its current end. Calls `onChunk` every few thousand lines
 * so a long first read does not hold the main process for its whole duration.
 */
export async function scanFile(
  path: string,
  fromOffset: number,
  firstLineNumber: number,
  onChunk?: () => Promise<void>
): Promise<ScanResult> {
  const handle = await open(path, 'r')
  let buf: Buffer
  try {
    const { size } = await handle.stat()
    const length = Math.max(0, size - fromOffset)
    buf = Buffer.alloc(length)
    let read = 0
    while (read < length) {
      const { bytesRead } = await handle.read(buf, read, length - read, fromOffset + read)
      if (bytesRead === 0) break
      read += bytesRead
    }
    buf = buf.subarray(0, read)
  } finally {
    await handle.close()
  }

  const result: ScanResult = { lines: [], bad: [], endOffset: fromOffset, nextLineNumber: firstLineNumber, pendingTail: null }
  let pos = 0
  let lineNumber = firstLineNumber
  let sinceYield = 0
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos)
    if (nl < 0) {
      result.pendingTail = { offset: fromOffset + pos, bytes: buf.length - pos }
      break
    }
    if (nl > pos) {
      const decoded = decodeLine(buf.toString('utf8', pos, nl))
      if (decoded.ok) {
        result.lines.push({ line: decoded.line, offset: fromOffset + pos + decoded.skipped, length: nl - pos - decoded.skipped, lineNumber })
        if (decoded.skipped > 0) {
          result.bad.push({ lineNumber, offset: fromOffset + pos, reason: 'torn fragment before an intact line (a writer was interrupted)' })
        }
      } else {
        result.bad.push({ lineNumber, offset: fromOffset + pos, reason: decoded.reason })
      }
    }
    lineNumber++
    pos = nl + 1
    result.endOffset = fromOffset + pos
    if (onChunk && ++sinceYield >= 2000) {
      sinceYield = 0
      await onChunk()
    }
  }
  result.nextLineNumber = lineNumber
  return result
}

/**
 * Reads several stored records back by position. Positions close together (a page of newest entries
 * is usually one stretch of the file) are read in one go: each read waits its turn in the I/O pool.
 */
export async function readRecordsAt(handle: FileHandle, positions: readonly { offset: number; length: number }[]): Promise<(RequestRecord | null)[]> {
  const MAX_GAP = 64 * 1024
  const MAX_SPAN = 4 * 1024 * 1024
  const order = positions.map((_, i) => i).sort((a, b) => (positions[a]?.offset ?? 0) - (positions[b]?.offset ?? 0))
  const runs: number[][] = []
  let run: number[] = []
  let runStart = 0
  let runEnd = 0
  for (const i of order) {
    const { offset, length } = positions[i] as { offset: number; length: number }
    if (run.length > 0 && offset - runEnd <= MAX_GAP && offset + length - runStart <= MAX_SPAN) {
      run.push(i)
      runEnd = Math.max(runEnd, offset + length)
    } else {
      if (run.length > 0) runs.push(run)
      run = [i]
      runStart = offset
      runEnd = offset + length
    }
  }
  if (run.length > 0) runs.push(run)
  const out: (RequestRecord | null)[] = positions.map(() => null)
  await Promise.all(
    runs.map(async (members) => {
      const first = positions[members[0] as number] as { offset: number }
      const end = Math.max(...members.map((i) => (positions[i]?.offset ?? 0) + (positions[i]?.length ?? 0)))
      const buf = Buffer.alloc(end - first.offset)
      const { bytesRead } = await handle.read(buf, 0, buf.length, first.offset)
      for (const i of members) {
        const { offset, length } = positions[i] as { offset: number; length: number }
        const start = offset - first.offset
        if (start + length > bytesRead) continue
        const decoded = decodeLine(buf.toString('utf8', start, start + length))
        out[i] = decoded.ok && decoded.line.type === 'request' ? decoded.line.record : null
      }
    })
  )
  return out
}

/**
 * Reads a month file backwards, newest line first, in blocks, for the newest entries without reading
 * the whole file. Stops as soon as `visit` returns false.
 */
export async function scanBackwards(
  path: string,
  visit: (item: { decoded: DecodedLine; offset: number; length: number }) => boolean
): Promise<void> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const block = 256 * 1024
    let end = size
    let carry = Buffer.alloc(0)
    // The last line may be unterminated (being written, or torn): it is not a finished entry yet.
    let trailingPartial = true
    while (end > 0) {
      const start = Math.max(0, end - block)
      const chunk = Buffer.alloc(end - start)
      await handle.read(chunk, 0, chunk.length, start)
      let buf = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk
      let lineEnd = buf.length
      for (let i = buf.length - 1; i >= 0; i--) {
        if (buf[i] !== 0x0a) continue
        if (trailingPartial) {
          trailingPartial = false
        } else if (lineEnd > i + 1) {
          const offset = start + i + 1
          const length = lineEnd - (i + 1)
          const decoded = decodeLine(buf.toString('utf8', i + 1, lineEnd))
          const skipped = decoded.ok ? decoded.skipped : 0
          if (!visit({ decoded, offset: offset + skipped, length: length - skipped })) return
        }
        lineEnd = i
      }
      if (trailingPartial && start === 0) return
      buf = buf.subarray(0, lineEnd)
      carry = Buffer.from(buf)
      end = start
    }
    if (carry.length > 0 && !trailingPartial) {
      const decoded = decodeLine(carry.toString('utf8'))
      const skipped = decoded.ok ? decoded.skipped : 0
      visit({ decoded, offset: skipped, length: carry.length - skipped })
    }
  } finally {
    await handle.close()
  }
}

export async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}
