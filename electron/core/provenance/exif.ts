/**
 * The part of a source photo's EXIF an output may carry: who made the photo and with what (camera, lens,
 * exposure), its copyright and captions. Never the orientation (the output's pixels are upright
 * already), never the embedded thumbnail (it shows the original, not the output), never maker notes, and
 * the GPS position only when the user allowed it. The values are copied as they are, in the source's own
 * byte order, so nothing is re-interpreted on the way.
 */

interface RawEntry {
  tag: number
  type: number
  count: number
  /** The value's bytes in the block's byte order. */
  value: Buffer
}

const TYPE_BYTES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 }
const EXIF_IFD_POINTER = 0x8769
const GPS_IFD_POINTER = 0x8825
const LONG = 4

/** Captions, authorship and camera in the main directory (including Windows' XP caption fields). */
const MAIN_TAGS = new Set([0x010e, 0x010f, 0x0110, 0x013b, 0x8298, 0x9c9b, 0x9c9c, 0x9c9d, 0x9c9e, 0x9c9f])
/** When and how the photo was taken, and the user's comment. */
const EXIF_TAGS = new Set([0x829a, 0x829d, 0x8822, 0x8827, 0x9003, 0x9004, 0x9010, 0x9011, 0x9201, 0x9202, 0x9204, 0x9209, 0x920a, 0x9286, 0xa405, 0xa430, 0xa431, 0xa432, 0xa433, 0xa434])

export interface ExifCopyOptions {
  /** Also copy the GPS position (off unless the user allowed it). */
  gps: boolean
}

/**
 * The allowed fields of a source's EXIF block (as sharp reports it, with or without the "Exif\0\0"
 * prefix) as a new TIFF-structured block, or undefined when the source has none of them or the block
 * cannot be read (a damaged source EXIF is not worth failing an output for).
 */
export function copyableExif(raw: Buffer | undefined, options: ExifCopyOptions): Buffer | undefined {
  if (!raw) return undefined
  const tiff = raw.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? raw.subarray(6) : raw
  try {
    const order = tiff.toString('latin1', 0, 2)
    if (order !== 'II' && order !== 'MM') return undefined
    const le = order === 'II'
    const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at))
    const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at))
    if (u16(2) !== 42) return undefined
    const ifd0 = readIfd(tiff, u32(4), u16, u32)
    const pointer = (tag: number) => {
      const entry = ifd0.find((e) => e.tag === tag && e.type === LONG && e.count === 1)
      return entry ? (le ? entry.value.readUInt32LE(0) : entry.value.readUInt32BE(0)) : undefined
    }
    const exifAt = pointer(EXIF_IFD_POINTER)
    const gpsAt = pointer(GPS_IFD_POINTER)
    const main = ifd0.filter((e) => MAIN_TAGS.has(e.tag))
    const exif = exifAt ? readIfd(tiff, exifAt, u16, u32).filter((e) => EXIF_TAGS.has(e.tag)) : []
    const gps = options.gps && gpsAt ? readIfd(tiff, gpsAt, u16, u32) : []
    if (!main.length && !exif.length && !gps.length) return undefined
    return writeTiff(le, main, exif, gps)
  } catch {
    return undefined
  }
}

function readIfd(tiff: Buffer, offset: number, u16: (at: number) => number, u32: (at: number) => number): RawEntry[] {
  const count = u16(offset)
  const entries: RawEntry[] = []
  for (let i = 0; i < count; i++) {
    const at = offset + 2 + i * 12
    const type = u16(at + 2)
    const n = u32(at + 4)
    const size = (TYPE_BYTES[type] ?? 0) * n
    if (!size || size > tiff.length) continue
    const from = size <= 4 ? at + 8 : u32(at + 8)
    if (from + size > tiff.length) continue
    entries.push({ tag: u16(at), type, count: n, value: Buffer.from(tiff.subarray(from, from + size)) })
  }
  return entries
}

const ifdBytes = (entries: readonly RawEntry[]) => 2 + entries.length * 12 + 4 + entries.reduce((sum, e) => sum + (e.value.length > 4 ? e.value.length + (e.value.length % 2) : 0), 0)

function writeTiff(le: boolean, main: RawEntry[], exif: RawEntry[], gps: RawEntry[]): Buffer {
  const pointerEntry = (tag: number): RawEntry => ({ tag, type: LONG, count: 1, value: Buffer.alloc(4) })
  const ifd0 = [...main, ...(exif.length ? [pointerEntry(EXIF_IFD_POINTER)] : []), ...(gps.length ? [pointerEntry(GPS_IFD_POINTER)] : [])].sort((a, b) => a.tag - b.tag)
  // Not right after the header: ExifTool takes an IFD at offset 8 of a PNG eXIf chunk for the C2PA box it
  // read at the same relative offset, and then skips it; two bytes of padding keep the two apart.
  const ifd0At = 10
  const exifAt = ifd0At + ifdBytes(ifd0)
  const gpsAt = exifAt + (exif.length ? ifdBytes(exif) : 0)
  const setPointer = (tag: number, value: number) => {
    const entry = ifd0.find((e) => e.tag === tag)
    if (!entry) return
    if (le) entry.value.writeUInt32LE(value)
    else entry.value.writeUInt32BE(value)
  }
  setPointer(EXIF_IFD_POINTER, exifAt)
  setPointer(GPS_IFD_POINTER, gpsAt)
  const header = Buffer.alloc(8)
  header.write(le ? 'II' : 'MM', 0, 'latin1')
  if (le) {
    header.writeUInt16LE(42, 2)
    header.writeUInt32LE(ifd0At, 4)
  } else {
    header.writeUInt16BE(42, 2)
    header.writeUInt32BE(ifd0At, 4)
  }
  const parts = [header, Buffer.alloc(ifd0At - header.length), serialiseIfd(le, ifd0, ifd0At)]
  if (exif.length) parts.push(serialiseIfd(le, exif, exifAt))
  if (gps.length) parts.push(serialiseIfd(le, gps, gpsAt))
  return Buffer.concat(parts)
}

/** One directory at `at`, its larger values right after it; no next directory (no thumbnail). */
function serialiseIfd(le: boolean, entries: readonly RawEntry[], at: number): Buffer {
  const table = Buffer.alloc(2 + entries.length * 12 + 4)
  const w16 = (v: number, o: number) => (le ? table.writeUInt16LE(v, o) : table.writeUInt16BE(v, o))
  const w32 = (v: number, o: number) => (le ? table.writeUInt32LE(v, o) : table.writeUInt32BE(v, o))
  w16(entries.length, 0)
  const data: Buffer[] = []
  let dataAt = at + table.length
  for (const [i, e] of entries.entries()) {
    const o = 2 + i * 12
    w16(e.tag, o)
    w16(e.type, o + 2)
    w32(e.count, o + 4)
    if (e.value.length <= 4) {
      e.value.copy(table, o + 8)
    } else {
      w32(dataAt, o + 8)
      const padded = e.value.length % 2 ? Buffer.concat([e.value, Buffer.alloc(1)]) : e.value
      data.push(padded)
      dataAt += padded.length
    }
  }
  return Buffer.concat([table, ...data])
}
