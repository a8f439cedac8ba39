import { readFile } from 'node:fs/promises'
import { AppError } from '../../../shared/errors'
import type { PackFinish } from '../../../shared/packs'
import type { RecordOutput } from '../../../shared/records'
import { checkOutput, finishImage, type FinishedImage } from './finish'

/**
 * The jobs pipeline's side of pack finishing: the answer's images finished before they are written, and
 * the checks measured on the files as written, stored with each output in the request record.
 */

/**
 * Room under a byte cap for what the output writer embeds (parameters, the prompt twice: as a field and
 * in the JSON of all parameters, and the provenance fields).
 */
function metadataReserve(prompt: string): number {
  return 16 * 1024 + 2 * Buffer.byteLength(prompt)
}

export async function finishPackImages(images: ReadonlyArray<{ bytes: Buffer }>, spec: PackFinish, prompt: string): Promise<Array<FinishedImage & { bytes: Buffer }>> {
  const out: FinishedImage[] = []
  for (const [i, image] of images.entries()) {
    try {
      out.push(await finishImage(image.bytes, spec, metadataReserve(prompt)))
    } catch (err) {
      throw new AppError(
        { code: 'bad_response', message: `Output ${i + 1} could not be finished to ${spec.target} (${spec.width}×${spec.height}): ${(err as Error).message}.` },
        { cause: err }
      )
    }
  }
  return out
}

/** Each written output with its finishing and its checks, measured on the file on disk. */
export async function withPackChecks(outputs: readonly RecordOutput[], finished: readonly FinishedImage[], spec: PackFinish): Promise<RecordOutput[]> {
  return Promise.all(
    outputs.map(async (output, i) => {
      const checks = await checkOutput(await readFile(output.path), spec)
      const done = finished[i]
      if (!done) return output
      return { ...output, finish: { ...done.finish, checks } }
    })
  )
}
