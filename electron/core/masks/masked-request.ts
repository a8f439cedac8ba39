import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { maskRouteFor, type ModelEntry } from '../../../shared/catalog'
import { AppError } from '../../../shared/errors'
import type { MaskUse } from '../../../shared/records'
import type { ImageRequest, OutputImage } from '../providers/types'
import { decodeRgb, finishMaskedOutput } from './composite'
import { scaleMask, type EditMask } from './read'
import { cropBox, cropImage, openaiMaskPng, scaleBox, type Box } from './route-shapes'
import { loadMask, uprightSize, type MaskRef } from './store'

/**
 * A masked edit from the request's point of view: what is sent (the mask part, or the masked region
 * instead of the whole picture) and what is done with each answer (placed back, leak measured,
 * composited over the original).
 */
export interface MaskPlan {
  ref: MaskRef
  route: 'native' | 'crop'
  /** At the original's upright size. */
  mask: EditMask
  /** The user's file the result is composited onto. */
  originalPath: string
  /** Crop route: the region sent, in the original's pixels. */
  box?: Box
}

export interface ShapedRequest {
  request: ImageRequest
  plan: MaskPlan
  cleanup(): Promise<void>
}

/** An output of a masked edit: the composite, with the model's own result kept for inspection. */
export type MaskedOutputImage = OutputImage & { raw: { bytes: Buffer; format: string } }

/**
 * Reshapes a prepared request (its first input the normalised upload of `originalPath`) for a mask:
 * models that take one get the mask part at the upload's size; the others get only the masked region.
 */
export async function shapeMaskedRequest(request: ImageRequest, ref: MaskRef, originalPath: string, model: ModelEntry, tempDir?: string): Promise<ShapedRequest> {
  const first = request.inputs[0]
  if (!first || first.source !== 'file' || !first.width || !first.height) {
    throw new AppError({ code: 'validation', field: 'mask', message: 'A mask needs the image to edit as a file on this computer.' })
  }
  const plan = await maskPlanFor(ref, originalPath, model)
  if (plan.route === 'native') {
    const png = await openaiMaskPng(plan.mask, first.width, first.height)
    return { request: { ...request, mask: png }, plan, cleanup: async () => undefined }
  }
  const box = plan.box!
  const original = { width: plan.mask.width, height: plan.mask.height }
  const uploadBox = scaleBox(box, original, { width: first.width, height: first.height })
  const dir = await mkdtemp(join(tempDir ?? tmpdir(), 'pixdesk-mask-'))
  const cleanup = () => rm(dir, { recursive: true, force: true })
  try {
    const crop = await cropImage(first.path, uploadBox)
    const path = join(dir, 'region.png')
    await writeFile(path, crop)
    const region = { ...first, path, format: 'png', width: uploadBox.width, height: uploadBox.height, bytes: crop.length }
    return { request: { ...request, inputs: [region, ...request.inputs.slice(1)] }, plan, cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * How a masked edit's answers are finished, from the snapshot alone: also what a task resumed after a
 * restart, or a paid result fetched again, needs to be composited like the first time.
 */
export async function maskPlanFor(ref: MaskRef, originalPath: string, model: ModelEntry): Promise<MaskPlan> {
  const mask = await loadMask(ref)
  const original = await uprightSize(originalPath)
  if (Math.abs(mask.width / mask.height - original.width / original.height) > 0.01 * (original.width / original.height)) {
    throw new AppError({ code: 'validation', field: 'mask', path: originalPath, message: `${originalPath} is now ${original.width}×${original.height}, which no longer fits its ${mask.width}×${mask.height} mask; choose the mask again.` })
  }
  const fitted: EditMask = mask.width === original.width && mask.height === original.height ? mask : { ...original, data: await scaleMask(mask, original.width, original.height) }
  const route = maskRouteFor(model)
  if (route === 'native') return { ref, route, mask: fitted, originalPath }
  const box = cropBox(fitted)
  if (!box) throw new AppError({ code: 'validation', field: 'mask', message: 'The mask marks nothing to edit.' })
  return { ref, route, mask: fitted, originalPath, box }
}

/** Every answer placed back, measured and composited; the record learns how the mask went and the leak per output. */
export async function finishMaskedImages(images: readonly OutputImage[], plan: MaskPlan): Promise<{ images: MaskedOutputImage[]; use: MaskUse }> {
  const original = await decodeRgb(plan.originalPath)
  const finished: MaskedOutputImage[] = []
  const leak: number[] = []
  for (const image of images) {
    const out = await finishMaskedOutput(image.bytes, original, plan.mask, plan.box)
    leak.push(out.leak)
    finished.push({ bytes: out.bytes, format: 'png', mime: 'image/png', width: original.width, height: original.height, raw: { bytes: image.bytes, format: image.format } })
  }
  return { images: finished, use: { sha256: plan.ref.sha256, route: plan.route, leak, ...(plan.box ? { crop: plan.box } : {}) } }
}
