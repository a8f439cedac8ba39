import { link, unlink, writeFile } from 'node:fs/promises'
import { dirname, extname, join, basename } from 'node:path'
import type { RecordOutput } from '../../../shared/records'

const EXTENSIONS: Record<string, string> = { png: '.png', jpeg: '.jpg', webp: '.webp' }

/**
 * A masked edit's outputs are composites; the model's own images go beside them (`<output>.model.png`),
 * so a person can see what the model did outside the mask. Never overwrites: a taken name gets a suffix.
 * A raw image that cannot be written is skipped: the output itself is what matters.
 */
export async function keepRawResults(outputs: RecordOutput[], images: ReadonlyArray<{ raw?: { bytes: Buffer; format: string } }>): Promise<RecordOutput[]> {
  return Promise.all(
    outputs.map(async (output, i) => {
      const raw = images[i]?.raw
      if (!raw) return output
      const stem = basename(output.path, extname(output.path))
      const ext = EXTENSIONS[raw.format] ?? '.png'
      for (let n = 0; n < 100; n++) {
        const path = join(dirname(output.path), `${stem}.model${n ? `-${n}` : ''}${ext}`)
        const temp = `${path}.${process.pid}.tmp`
        try {
          await writeFile(temp, raw.bytes, { flush: true })
          // link refuses an existing name, so an earlier file is never replaced.
          await link(temp, path)
          return { ...output, rawPath: path }
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return output
        } finally {
          await unlink(temp).catch(() => undefined)
        }
      }
      return output
    })
  )
}
