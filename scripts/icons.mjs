// `node scripts/icons.mjs`: renders resources/icon.svg into every icon the installers need —
// PNGs for Linux (resources/icons/NxN.png), an .icns for macOS and an .ico for Windows. Both containers
// hold PNG images, which every supported OS version reads, so they are written here directly.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import sharp from 'sharp'

const root = resolve(import.meta.dirname, '..')
const source = join(root, 'resources', 'icon.svg')
const outDir = join(root, 'resources', 'icons')

export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024]
// Apple's PNG-capable icon types: the plain ones and their @2x twins.
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512]
]
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]

async function render(size) {
  // Render at the target density rather than downscaling one bitmap, so small sizes stay crisp.
  return sharp(source, { density: Math.max(72, Math.ceil((72 * size) / 1024) * 4) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer()
}

function icns(pngs) {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const data = pngs.get(size)
    const header = Buffer.alloc(8)
    header.write(type, 0, 'ascii')
    header.writeUInt32BE(data.length + 8, 4)
    return Buffer.concat([header, data])
  })
  const body = Buffer.concat(chunks)
  const header = Buffer.alloc(8)
  header.write('icns', 0, 'ascii')
  header.writeUInt32BE(body.length + 8, 4)
  return Buffer.concat([header, body])
}

function ico(pngs) {
  const header = Buffer.alloc(6)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2) // 1 = icon
  header.writeUInt16LE(ICO_SIZES.length, 4)
  const entries = []
  const images = []
  let offset = 6 + 16 * ICO_SIZES.length
  for (const size of ICO_SIZES) {
    const data = pngs.get(size)
    const entry = Buffer.alloc(16)
    entry.writeUInt8(size >= 256 ? 0 : size, 0) // 0 means 256
    entry.writeUInt8(size >= 256 ? 0 : size, 1)
    entry.writeUInt8(0, 2) // no palette
    entry.writeUInt8(0, 3)
    entry.writeUInt16LE(1, 4) // colour planes
    entry.writeUInt16LE(32, 6) // bits per pixel
    entry.writeUInt32LE(data.length, 8)
    entry.writeUInt32LE(offset, 12)
    offset += data.length
    entries.push(entry)
    images.push(data)
  }
  return Buffer.concat([header, ...entries, ...images])
}

mkdirSync(outDir, { recursive: true })
const pngs = new Map()
for (const size of PNG_SIZES) {
  const png = await render(size)
  pngs.set(size, png)
  writeFileSync(join(outDir, `${size}x${size}.png`), png)
}
writeFileSync(join(outDir, 'icon.icns'), icns(pngs))
writeFileSync(join(outDir, 'icon.ico'), ico(pngs))
console.log(`icons written to ${outDir}: ${PNG_SIZES.map((s) => `${s}px`).join(', ')}, icon.icns, icon.ico`)
