import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { endianness } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { z } from 'zod'
import type { HistoryVerdict } from '../../../shared/history'
import { providerIds, requestStatusSchema, verdictSchema, type ProviderId, type RequestStatus } from '../../../shared/records'
import type { Entry } from './index-entry'
import { monthOrderBase } from './ledger'

/**
 * The persisted index of one month file, <history>/.index/YYYY-MM.idx: what the in-memory index holds
 * for the file's first `sourceBytes` bytes, so a freshly started app or CLI does not have to parse and
 * validate every line again. The month file stays the source of truth: an index is used only when its
 * format version, checksum and structure are right AND the month file still starts and ends (up to
 * `sourceBytes`) with the bytes the index was built from; anything else is rebuilt from the month file.
 *
 * Layout: MAGIC (8 bytes) | header length (u32 LE) | header (JSON) | body.
 * The body holds named sections: numeric columns as raw arrays in the platform's byte order (checked
 * through the header), strings as JSON arrays (JSON.parse is the fastest string decoder V8 has).
 */
const INDEX_DIR = '.index'
// 2: the flags also say whether a result missed its asked size (indexes without that bit are rebuilt).
export const INDEX_VERSION = 2
const MAGIC = Buffer.from('PXDHIDX\n', 'latin1')
/** How much of the month file's start and of its indexed end is compared with what the index was built from. */
const CHECK_BYTES = 4096
const statuses = requestStatusSchema.options
/** Codes for enums are positions in these lists: an index written for other lists must not be read. */
const SCHEMA = `providers=${providerIds.join(',')};statuses=${statuses.join(',')}`
const LITTLE_ENDIAN = endianness() === 'LE'

const FLAG_SANDBOX = 1
const FLAG_ESTIMATED = 2
const FLAG_SIZE_MISMATCH = 4

export interface DeleteMark {
  id: string
  offset: number
}
export interface VerdictMark {
  offset: number
  verdict: HistoryVerdict
}
export interface BadMark {
  offset: number
  line: number
  reason: string
}

/** Everything the ledger index knows about the first `sourceBytes` bytes of one month file. */
export interface MonthIndexData {
  file: string
  sourceBytes: number
  nextLineNumber: number
  /** Request entries in file order. */
  entries: readonly Entry[]
  deletes: readonly DeleteMark[]
  verdicts: readonly VerdictMark[]
  bad: readonly BadMark[]
}

/**
 * Columns left encoded by decodeMonthIndex (see decodeStringColumn): text search and the duplicate guard
 * need them, most questions do not, and they are most of the index.
 */
export const lazyColumns = ['batchId', 'compareGroup', 'templateId', 'jobItemId', 'search', 'fingerprint'] as const
export type LazyColumn = (typeof lazyColumns)[number]
export type LazyColumns = Record<LazyColumn, Buffer>

export type IndexLoad = { ok: true; data: MonthIndexData; lazy: LazyColumns } | { ok: false; reason: string }

const headerSchema = z.object({
  version: z.number(),
  file: z.string(),
  schema: z.string(),
  littleEndian: z.boolean(),
  sourceBytes: z.number().int().min(0),
  nextLineNumber: z.number().int().min(1),
  headCrc: z.number().int(),
  tailCrc: z.number().int(),
  count: z.number().int().min(0),
  bodyBytes: z.number().int().min(0),
  bodyCrc: z.number().int(),
  sections: z.record(z.string(), z.tuple([z.number().int().min(0), z.number().int().min(0)]))
})
type IndexHeader = z.infer<typeof headerSchema>

const metaSchema = z.object({
  models: z.array(z.string()),
  deletes: z.array(z.tuple([z.string(), z.number().int().min(0)])),
  verdicts: z.array(
    z.tuple([
      z.number().int().min(0),
      z.object({
        compareGroup: z.string(),
        verdict: verdictSchema,
        pickedRecordId: z.string().optional(),
        note: z.string().optional(),
        at: z.string()
      })
    ])
  ),
  bad: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1), z.string()]))
})

class IndexRejected extends Error {}

export function indexDir(historyDir: string): string {
  return join(historyDir, INDEX_DIR)
}

export function indexPath(historyDir: string, monthFile: string): string {
  return join(indexDir(historyDir), monthFile.replace(/\.jsonl$/, '.idx'))
}

/** Splits an index file into its header text and body; throws on a file that is not one. */
export function splitIndexFile(buf: Buffer): { headerText: string; body: Buffer } {
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new IndexRejected('not a history index file')
  const headerLength = buf.readUInt32LE(MAGIC.length)
  const bodyStart = MAGIC.length + 4 + headerLength
  if (bodyStart > buf.length) throw new IndexRejected('header cut short')
  return { headerText: buf.toString('utf8', MAGIC.length + 4, bodyStart), body: buf.subarray(bodyStart) }
}

export function joinIndexFile(headerText: string, body: Buffer): Buffer {
  const header = Buffer.from(headerText, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32LE(header.length)
  return Buffer.concat([MAGIC, length, header, body])
}

function encodeMonthIndex(data: MonthIndexData, check: { headCrc: number; tailCrc: number }): Buffer {
  const { entries } = data
  const n = entries.length
  const f64 = (get: (e: Entry) => number) => {
    const col = new Float64Array(n)
    for (let i = 0; i < n; i++) col[i] = get(entries[i] as Entry)
    return Buffer.from(col.buffer)
  }
  const models = new Map<string, number>()
  const modelCol = new Uint32Array(n)
  const status = Buffer.alloc(n)
  const provider = Buffer.alloc(n)
  const flags = Buffer.alloc(n)
  for (let i = 0; i < n; i++) {
    const e = entries[i] as Entry
    let code = models.get(e.model)
    if (code === undefined) models.set(e.model, (code = models.size))
    modelCol[i] = code
    status[i] = statuses.indexOf(e.status)
    provider[i] = providerIds.indexOf(e.provider)
    flags[i] = (e.sandbox ? FLAG_SANDBOX : 0) | (e.estimated ? FLAG_ESTIMATED : 0) | (e.sizeMismatch ? FLAG_SIZE_MISMATCH : 0)
  }
  const strings = (get: (e: Entry) => string | undefined) => Buffer.from(JSON.stringify(entries.map((e) => get(e) ?? null)), 'utf8')
  const meta = {
    models: [...models.keys()],
    deletes: data.deletes.map((d) => [d.id, d.offset]),
    verdicts: data.verdicts.map((v) => [v.offset, v.verdict]),
    bad: data.bad.map((b) => [b.offset, b.line, b.reason])
  }
  const parts: [string, Buffer][] = [
    ['offset', f64((e) => e.offset)],
    ['length', f64((e) => e.length)],
    ['startedMs', f64((e) => e.startedMs)],
    ['credits', f64((e) => e.credits)],
    ['estimate', f64((e) => e.estimate)],
    ['latencyMs', f64((e) => e.latencyMs)],
    ['model', Buffer.from(modelCol.buffer)],
    ['status', status],
    ['provider', provider],
    ['flags', flags],
    ['meta', Buffer.from(JSON.stringify(meta), 'utf8')],
    ['id', strings((e) => e.id)],
    ['batchId', strings((e) => e.batchId)],
    ['compareGroup', strings((e) => e.compareGroup)],
    ['templateId', strings((e) => e.templateId)],
    ['jobItemId', strings((e) => e.jobItemId)],
    ['search', strings((e) => e.search ?? '')],
    ['fingerprint', strings((e) => e.fingerprint)]
  ]
  const sections: Record<string, [number, number]> = {}
  let at = 0
  for (const [name, buf] of parts) {
    sections[name] = [at, buf.length]
    at += buf.length
  }
  const body = Buffer.concat(parts.map(([, buf]) => buf), at)
  const header: IndexHeader = {
    version: INDEX_VERSION,
    file: data.file,
    schema: SCHEMA,
    littleEndian: LITTLE_ENDIAN,
    sourceBytes: data.sourceBytes,
    nextLineNumber: data.nextLineNumber,
    headCrc: check.headCrc,
    tailCrc: check.tailCrc,
    count: n,
    bodyBytes: body.length,
    bodyCrc: crc32(body),
    sections
  }
  return joinIndexFile(JSON.stringify(header), body)
}

/** Decodes a JSON array of `count` strings (or nulls, when optional) as written by encodeMonthIndex. */
export function decodeStringColumn(raw: Buffer, count: number, name: string, optional: boolean): (string | null)[] {
  let col: unknown
  try {
    col = JSON.parse(raw.toString('utf8'))
  } catch {
    throw new IndexRejected(`section ${name} is not valid JSON`)
  }
  if (!Array.isArray(col) || col.length !== count) throw new IndexRejected(`section ${name} does not hold ${count} values`)
  for (const v of col) if (typeof v !== 'string' && !(optional && v === null)) throw new IndexRejected(`section ${name} holds a non-string`)
  return col as (string | null)[]
}

/**
 * Parses and checks an index file's own consistency (not yet against the month file). Entries come
 * without the lazy columns (batch, compare group, template, job item, search text, fingerprint): those
 * are returned encoded, in `lazy`, for decodeStringColumn when a question needs them.
 */
function decodeMonthIndex(buf: Buffer, file: string): { data: MonthIndexData; header: IndexHeader; lazy: LazyColumns } {
  const { headerText, body } = splitIndexFile(buf)
  let json: unknown
  try {
    json = JSON.parse(headerText)
  } catch {
    throw new IndexRejected('header is not valid JSON')
  }
  const version = (json as { version?: unknown } | null)?.version
  if (version !== INDEX_VERSION) throw new IndexRejected(`format version ${String(version)}, expected ${INDEX_VERSION}`)
  const parsed = headerSchema.safeParse(json)
  if (!parsed.success) throw new IndexRejected(`header invalid (${parsed.error.issues[0]?.path.join('.') ?? ''})`)
  const header = parsed.data
  if (header.file !== file) throw new IndexRejected(`built for ${header.file}`)
  if (header.schema !== SCHEMA) throw new IndexRejected('built for other provider or status lists')
  if (header.littleEndian !== LITTLE_ENDIAN) throw new IndexRejected('built on a machine with another byte order')
  if (body.length !== header.bodyBytes) throw new IndexRejected(`body is ${body.length} bytes, header says ${header.bodyBytes}`)
  if (crc32(body) !== header.bodyCrc) throw new IndexRejected('checksum mismatch')

  const n = header.count
  const section = (name: string, bytes?: number): Buffer => {
    const range = header.sections[name]
    if (!range || range[0] + range[1] > body.length) throw new IndexRejected(`section ${name} missing or out of bounds`)
    if (bytes !== undefined && range[1] !== bytes) throw new IndexRejected(`section ${name} is ${range[1]} bytes, expected ${bytes}`)
    return body.subarray(range[0], range[0] + range[1])
  }
  const f64 = (name: string) => {
    const col = new Float64Array(n)
    // Copied rather than viewed: the section need not be 8-byte aligned within the file buffer.
    new Uint8Array(col.buffer).set(section(name, n * 8))
    return col
  }
  const stringColumn = (name: string, optional: boolean) => decodeStringColumn(section(name), n, name, optional)

  const offset = f64('offset')
  const length = f64('length')
  const startedMs = f64('startedMs')
  const credits = f64('credits')
  const estimate = f64('estimate')
  const latencyMs = f64('latencyMs')
  const modelCodes = new Uint32Array(n)
  new Uint8Array(modelCodes.buffer).set(section('model', n * 4))
  const status = section('status', n)
  const provider = section('provider', n)
  const flags = section('flags', n)
  let metaJson: unknown
  try {
    metaJson = JSON.parse(section('meta').toString('utf8'))
  } catch {
    throw new IndexRejected('section meta is not valid JSON')
  }
  const meta = metaSchema.safeParse(metaJson)
  if (!meta.success) throw new IndexRejected(`section meta invalid (${meta.error.issues[0]?.path.join('.') ?? ''})`)
  const { models } = meta.data
  const ids = stringColumn('id', false)
  const lazy = Object.fromEntries(lazyColumns.map((name) => [name, section(name)])) as LazyColumns

  const orderBase = monthOrderBase(file)
  const entries: Entry[] = new Array<Entry>(n)
  let previousEnd = 0
  for (let i = 0; i < n; i++) {
    const off = offset[i] as number
    const len = length[i] as number
    // Lines are in file order and never overlap; anything else means the index is not what it claims.
    if (!(off >= previousEnd && len > 0 && off + len <= header.sourceBytes)) throw new IndexRejected(`entry ${i} has an impossible position`)
    previousEnd = off + len
    const model = models[modelCodes[i] as number]
    const st = statuses[status[i] as number]
    const pr = providerIds[provider[i] as number]
    if (model === undefined || st === undefined || pr === undefined) throw new IndexRejected(`entry ${i} has an unknown code`)
    const f = flags[i] as number
    entries[i] = {
      id: ids[i] as string,
      file,
      offset: off,
      length: len,
      order: orderBase + off,
      startedMs: startedMs[i] as number,
      model,
      provider: pr as ProviderId,
      status: st as RequestStatus,
      sandbox: (f & FLAG_SANDBOX) !== 0,
      credits: credits[i] as number,
      estimate: estimate[i] as number,
      estimated: (f & FLAG_ESTIMATED) !== 0,
      latencyMs: latencyMs[i] as number,
      sizeMismatch: (f & FLAG_SIZE_MISMATCH) !== 0,
      // Listed (as undefined until decoded) so these entries have the same shape as ones read from lines.
      batchId: undefined,
      compareGroup: undefined,
      templateId: undefined,
      jobItemId: undefined,
      search: undefined,
      fingerprint: undefined,
      superseded: false
    }
  }
  const within = (o: number) => {
    if (o >= header.sourceBytes) throw new IndexRejected('a line lies beyond the indexed bytes')
    return o
  }
  return {
    header,
    lazy,
    data: {
      file,
      sourceBytes: header.sourceBytes,
      nextLineNumber: header.nextLineNumber,
      entries,
      deletes: meta.data.deletes.map(([id, o]) => ({ id, offset: within(o) })),
      verdicts: meta.data.verdicts.map(([o, verdict]) => ({ offset: within(o), verdict })),
      bad: meta.data.bad.map(([o, line, reason]) => ({ offset: within(o), line, reason }))
    }
  }
}

/** CRC-32 of the month file's first bytes and of the last bytes up to `sourceBytes`. */
async function monthFileCheck(path: string, sourceBytes: number): Promise<{ headCrc: number; tailCrc: number }> {
  const handle = await open(path, 'r')
  try {
    const read = async (start: number, end: number) => {
      const buf = Buffer.alloc(end - start)
      const { bytesRead } = await handle.read(buf, 0, buf.length, start)
      return crc32(buf.subarray(0, bytesRead))
    }
    return {
      headCrc: await read(0, Math.min(CHECK_BYTES, sourceBytes)),
      tailCrc: await read(Math.max(0, sourceBytes - CHECK_BYTES), sourceBytes)
    }
  } finally {
    await handle.close()
  }
}

/**
 * The persisted index for a month file, if there is one and it can be trusted for the file as it is
 * now (`monthFileSize` bytes). null when there is no index file.
 */
export async function loadMonthIndex(historyDir: string, file: string, monthFileSize: number): Promise<IndexLoad | null> {
  let buf: Buffer
  try {
    buf = await readFile(indexPath(historyDir, file))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    return { ok: false, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }
  }
  try {
    const { data, header, lazy } = decodeMonthIndex(buf, file)
    if (monthFileSize < data.sourceBytes) {
      return { ok: false, reason: `built from ${data.sourceBytes} bytes but ${file} now has ${monthFileSize}` }
    }
    const check = await monthFileCheck(join(historyDir, file), data.sourceBytes)
    if (check.headCrc !== header.headCrc || check.tailCrc !== header.tailCrc) {
      return { ok: false, reason: `${file} no longer holds the bytes the index was built from` }
    }
    return { ok: true, data, lazy }
  } catch (err) {
    if (err instanceof IndexRejected) return { ok: false, reason: err.message }
    throw err
  }
}

/**
 * Writes a month file's index atomically (a temporary file renamed over the old one), so a reader in
 * another process sees the old index or the new one, never a mix. Not flushed to disk: an index torn by
 * a power cut fails its checksum and is rebuilt, which costs less than a flush on every write.
 */
export async function writeMonthIndex(historyDir: string, data: MonthIndexData): Promise<void> {
  const check = await monthFileCheck(join(historyDir, data.file), data.sourceBytes)
  const buf = encodeMonthIndex(data, check)
  const target = indexPath(historyDir, data.file)
  await mkdir(indexDir(historyDir), { recursive: true })
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, buf, { mode: 0o600 })
    await rename(temp, target)
  } catch (err) {
    await unlink(temp).catch(() => undefined)
    throw new Error(`Could not write the history index ${target}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Removes what a killed writer left behind (temporary files older than an hour) and indexes whose month
 * file is gone, so the index folder does not grow forever.
 */
export async function sweepIndexDir(historyDir: string, monthFiles: readonly string[]): Promise<void> {
  const dir = indexDir(historyDir)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  const expected = new Set(monthFiles.map((f) => f.replace(/\.jsonl$/, '.idx')))
  const hourAgo = Date.now() - 60 * 60 * 1000
  for (const name of names) {
    const path = join(dir, name)
    try {
      if (name.endsWith('.tmp')) {
        if ((await stat(path)).mtimeMs < hourAgo) await unlink(path)
      } else if (name.endsWith('.idx') && !expected.has(name)) {
        await unlink(path)
      }
    } catch {
      // Another process swept it first, or it is not ours to remove: either way nothing to do.
    }
  }
}
