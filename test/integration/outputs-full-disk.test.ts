import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeOutputs } from '../../electron/core/outputs'

/**
 * Outputs on a full disk: a small tmpfs, which only root can mount. Elsewhere these tests are skipped
 * with the reason.
 */
const mountPoint = mkdtempSync(join(tmpdir(), 'pixdesk-full-'))
let unavailable = ''

beforeAll(() => {
  if (process.getuid?.() !== 0) unavailable = 'mounting a small tmpfs needs root'
  else {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { encoding: 'utf8' })
    if (mounted.status !== 0) unavailable = `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message || '').trim()}`
  }
})
afterAll(() => {
  if (!unavailable) spawnSync('umount', [mountPoint])
  rmSync(mountPoint, { recursive: true, force: true })
})

/** Noise does not compress: a PNG of about the given number of bytes. */
async function bigPng(bytes: number): Promise<Buffer> {
  const side = Math.ceil(Math.sqrt(bytes / 3))
  const raw = Buffer.alloc(side * side * 3)
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24
  return sharp(raw, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer()
}

describe('outputs on a full disk', () => {
  it('fails with the reason and leaves no temporary file behind', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable)
    const outDir = join(mountPoint, 'out')
    const fits = await bigPng(60_000)
    const tooBig = await bigPng(400_000)
    const error = await writeOutputs([{ bytes: fits }, { bytes: tooBig }], { model: 'gpt-image-2', prompt: 'p', outputDir: outDir }).then(
      () => null,
      (err: unknown) => err as NodeJS.ErrnoException
    )
    expect(error?.code).toBe('ENOSPC')
    const left = readdirSync(outDir)
    expect(left.filter((n) => n.endsWith('.tmp'))).toEqual([])
    // What did fit was saved whole.
    expect(left.filter((n) => n.endsWith('.png'))).toHaveLength(1)
  })
})
