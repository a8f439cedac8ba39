import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeOutputs } from '../../electron/core/outputs'
import { startSandbox } from '../../electron/core/sandbox/server'
import { makeImages, openTestEngine, waitFor } from '../support/jobs-fixtures'

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
  it('fails with the reason, saves none of the result, and leaves no temporary file behind', async (ctx) => {
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
    // The image that did fit is removed again: the result is saved whole, or kept elsewhere whole.
    expect(left.filter((n) => n.endsWith('.png'))).toEqual([])
  })
})

function fillDisk(path: string): void {
  const fd = openSync(path, 'w')
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096, 1))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
}

describe('a paid result on a full disk', () => {
  it('is kept in the recovery area and saved once space is freed, with no second request', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable)
    const work = mkdtempSync(join(tmpdir(), 'pixdesk-full-work-'))
    const sandbox = await startSandbox()
    const t = await openTestEngine(join(work, 'data'), () => sandbox.url)
    try {
      const outDir = join(mountPoint, 'results')
      // Fill the disk to the last block.
      const filler = join(mountPoint, 'filler.bin')
      fillDisk(filler)
      const [file] = await makeImages(join(work, 'in'), 1, 256)
      const batch = await t.engine.createBatch({ files: [{ path: file! }], prompt: 'white background', models: [{ model: 'gemini-2.5-flash-image', provider: 'pixapi' }], sandbox: true, outputDir: outDir })
      await waitFor(t.engine, () => ['failed', 'done'].includes(t.engine.get(batch.id).items[0]?.state ?? ''))
      const failed = t.engine.get(batch.id).items[0]!
      expect(failed.error?.code).toBe('not_saved')
      expect(failed.error?.message).toMatch(/ENOSPC|no space/i)
      expect(failed.paidResult?.kept).toHaveLength(1)
      expect(existsSync(failed.paidResult!.kept![0]!.path)).toBe(true)
      expect(readdirSync(mountPoint, { recursive: true }).map(String).filter((n) => n.endsWith('.tmp'))).toEqual([])

      rmSync(filler)
      t.engine.retry(batch.id)
      await waitFor(t.engine, () => t.engine.get(batch.id).items[0]?.state === 'done')
      const done = t.engine.get(batch.id).items[0]!
      expect(done.outputs[0]?.path.startsWith(outDir)).toBe(true)
      expect(existsSync(done.outputs[0]!.path)).toBe(true)
      expect(sandbox.stats().submissions).toHaveLength(1)
      expect(done.charged).toBe(failed.charged)
    } finally {
      await t.close()
      await sandbox.close()
      rmSync(work, { recursive: true, force: true })
    }
  })
})
