import type { AppErrorData } from '@shared/errors'
import type { MaskPayload } from '@shared/contract'
import { maskFor } from './maskStore'
import { feathered, greyscaleRgba, maskProblem, renderOps, type MaskOp, type Size } from './maskModel'

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  // String.fromCharCode takes its arguments on the stack: a few kilobytes at a time.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/**
 * The drawn mask as the main process takes it: a greyscale PNG at the picture's size (or the raster
 * limit), white where the edit may happen, the feather applied. A mask that marks nothing or everything
 * is refused here with the same reason the main process would give.
 */
export async function encodeMask(size: Size, ops: readonly MaskOp[], feather: number): Promise<MaskPayload> {
  const raster = renderOps(size, ops)
  const problem = maskProblem(raster)
  if (problem) throw { code: 'validation', field: 'mask', message: problem } satisfies AppErrorData
  const values = feather > 0 ? feathered(raster, feather) : raster.data
  const canvas = document.createElement('canvas')
  canvas.width = raster.width
  canvas.height = raster.height
  const context = canvas.getContext('2d')
  if (!context) throw new Error('The mask could not be drawn: this window has no 2D canvas.')
  context.putImageData(new ImageData(greyscaleRgba(values), raster.width, raster.height), 0, 0)
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
  if (!blob) throw new Error(`The mask (${raster.width}×${raster.height}) could not be encoded as PNG.`)
  return { pngBase64: toBase64(new Uint8Array(await blob.arrayBuffer())) }
}

/** The mask drawn over the picture a run edits, ready to send; undefined when there is none. */
export async function drawnMaskPayload(key: string | null): Promise<MaskPayload | undefined> {
  const mask = maskFor(key)
  return mask ? encodeMask(mask.target.size, mask.ops, mask.feather) : undefined
}
