import { capabilitiesFor, parseSize, type Capabilities, type ModelEntry } from '../../../shared/catalog'
import { AppError } from '../../../shared/errors'
import type { Pack, PackFinish, PackFramePlan, PackPlan, PackTarget, PackTargetPlan } from '../../../shared/packs'
import type { ProviderId } from '../../../shared/providers'
import type { RequestParams } from '../../../shared/records'
import { geminiFrame } from '../providers/gemini-frames'

/**
 * For each target of a pack: the model's nearest native frame (aspect ratio first, then the smallest size
 * that covers the target without enlarging), the prompt that asks for that frame, and how sharp finishes
 * the answer to the exact pixels. Pure: the catalog entry and a price function come in, a plan goes out.
 */

const TIERS = [
  ['1K', 1],
  ['2K', 2],
  ['4K', 4]
] as const

/** Every frame the model makes on this route: aspect ratio × tier for Gemini, the listed WxH sizes otherwise. */
export function nativeFrames(model: ModelEntry, caps: Capabilities): PackFramePlan[] {
  if (caps.aspectRatios.length) {
    const tiers = TIERS.filter(([tier]) => caps.sizes.includes(tier))
    const usable = tiers.length ? tiers : [TIERS[0]]
    const generation = usable.some(([tier]) => tier !== '1K') ? '3' : '2.5'
    return usable.flatMap(([tier, scale]) =>
      caps.aspectRatios.flatMap((ratio) => {
        const frame = geminiFrame(generation, ratio, scale)
        if (!frame) return []
        const { width, height } = frame
        return [{ size: tier, aspectRatio: ratio, width, height, label: `${tier} ${ratio} (${width}×${height})` }]
      })
    )
  }
  return caps.sizes.flatMap((size) => {
    const wh = parseSize(size)
    return wh ? [{ size, width: wh.width, height: wh.height, label: `${wh.width}×${wh.height}` }] : []
  })
}

/**
 * Models that take any WxH within a rule (gpt-image-2): the target's own aspect ratio at the smallest
 * size that covers it, or (for "largest") as large as the rule allows.
 */
function freeFrame(caps: Capabilities, ratioW: number, ratioH: number, cover: { width: number; height: number } | null): PackFramePlan | null {
  const rule = caps.sizeRule
  if (!rule) return null
  const m = rule.multipleOf
  const long = Math.max(ratioW, ratioH) / Math.min(ratioW, ratioH)
  if (long > rule.maxAspect) return null
  const fits = (w: number, h: number) => Math.max(w, h) <= rule.maxLongEdge && w * h <= rule.maxPixels && Math.min(w, h) >= rule.minEdge
  let width: number
  let height: number
  if (cover) {
    width = Math.ceil(cover.width / m) * m
    height = Math.ceil(cover.height / m) * m
  } else {
    width = 0
    height = 0
  }
  if (!cover || !fits(width, height)) {
    // As large as the rule allows at this ratio: the longest edge, then the pixel budget.
    const scale = Math.min(rule.maxLongEdge / Math.max(ratioW, ratioH), Math.sqrt(rule.maxPixels / (ratioW * ratioH)))
    width = Math.floor((ratioW * scale) / m) * m
    height = Math.floor((ratioH * scale) / m) * m
    // Keep the exact ratio when whole steps of the rule's multiple allow it.
    const step = lcmStep(ratioW, ratioH, m)
    if (step) {
      const k = Math.floor(Math.min(width / step.w, height / step.h))
      if (k >= 1) [width, height] = [k * step.w, k * step.h]
    }
  }
  if (!fits(width, height)) return null
  return { size: `${width}x${height}`, width, height, label: `${width}×${height} (free size)` }
}

/** The smallest frame with sides multiples of m in the exact ratio w:h. */
function lcmStep(w: number, h: number, m: number): { w: number; h: number } | null {
  const g = gcd(w, h)
  const [a, b] = [w / g, h / g]
  for (let k = 1; k <= m; k++) if (((a * k) % m === 0 && (b * k) % m === 0)) return { w: a * k, h: b * k }
  return null
}
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

const aspectDistance = (frame: { width: number; height: number }, ratio: number) => Math.abs(Math.log(frame.width / frame.height / ratio))

export interface FrameChoice {
  frame: PackFramePlan
  /** The exact frame the output is finished to. */
  width: number
  height: number
  /** > 1: the model's frame is smaller than the target and sharp enlarges it. */
  upscale: number | null
}

/** The model's frame for one target, and the target's exact pixels ("largest" targets resolve here). */
export function chooseFrame(model: ModelEntry, caps: Capabilities, target: PackTarget): FrameChoice {
  const [rw, rh] = target.width && target.height ? [target.width, target.height] : (target.aspectRatio ?? '1:1').split(':').map(Number)
  const ratio = rw! / rh!
  const exact = target.width && target.height ? { width: target.width, height: target.height } : null
  const frames = nativeFrames(model, caps)
  const free = freeFrame(caps, rw!, rh!, exact)
  if (free) frames.push(free)
  if (!frames.length) {
    throw new AppError({ code: 'validation', field: 'model', message: `${model.id} lists no fixed output sizes, so a pack cannot plan frames for it.` })
  }
  const nearest = Math.min(...frames.map((f) => aspectDistance(f, ratio)))
  const sameRatio = frames.filter((f) => aspectDistance(f, ratio) <= nearest + 1e-3)
  const area = (f: { width: number; height: number }) => f.width * f.height
  const largest = sameRatio.reduce((a, b) => (area(b) > area(a) ? b : a))
  if (!exact) {
    // The largest exact rw:rh frame inside the model's largest one.
    const g = gcd(rw!, rh!)
    const [a, b] = [rw! / g, rh! / g]
    const k = Math.floor(Math.min(largest.width / a, largest.height / b))
    return { frame: largest, width: a * k, height: b * k, upscale: null }
  }
  const covering = sameRatio.filter((f) => f.width >= exact.width && f.height >= exact.height)
  const frame = covering.length ? covering.reduce((a, b) => (area(b) < area(a) ? b : a)) : largest
  const scale = target.method === 'pad' ? Math.min(exact.width / frame.width, exact.height / frame.height) : Math.max(exact.width / frame.width, exact.height / frame.height)
  return { frame, ...exact, upscale: scale > 1.0005 ? Math.round(scale * 100) / 100 : null }
}

const ratioWords = (w: number, h: number) => (w === h ? 'square' : w > h ? 'landscape' : 'portrait')

/** The request's own instructions for one target: the product stays as it is, the frame and background change. */
export function targetPrompt(target: PackTarget, frame: { width: number; height: number }, transparentByModel: boolean, extra?: string): string {
  const parts: string[] = []
  const shape = `${ratioWords(frame.width, frame.height)} ${frame.width}×${frame.height}`
  if (target.method === 'recompose') {
    parts.push(
      `Recompose this image for a ${shape} frame.`,
      'Keep the product exactly as it is: the same shape, proportions, colours, materials, labels and text; do not redraw, restyle, distort or crop it.',
      'Extend or rearrange the scene around it so the composition fits the new frame naturally.'
    )
  } else {
    parts.push('Keep the composition and the product exactly as they are: the same shape, proportions, colours, labels and text.')
  }
  if (target.fill) parts.push(`The product should fill about ${Math.round(target.fill * 100)}% of the frame, centred.`)
  if (target.background === 'white' || (target.background === 'transparent' && !transparentByModel)) {
    parts.push('Place the product on a pure white background (#FFFFFF) that reaches every edge of the image, with no shadows, props or texture near the edges.')
  } else if (target.background === 'transparent') {
    parts.push('Isolate the product on a fully transparent background.')
  } else {
    parts.push("Keep the background's look and lighting.")
  }
  if (target.notes) parts.push(target.notes)
  if (extra?.trim()) parts.push(extra.trim())
  return parts.join(' ')
}

const mb = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`)
const FORMAT_NAMES: Record<PackTarget['format'], string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP' }

/** Finishing in words, as planned from the frame the model is expected to answer with. */
export function finishingWords(target: Pick<PackTarget, 'method' | 'background' | 'format' | 'quality' | 'maxBytes'>, from: { width: number; height: number }, to: { width: number; height: number }, keyOut: boolean): string {
  const steps: string[] = []
  const sameRatio = Math.abs(from.width / from.height - to.width / to.height) < 0.002
  if (from.width === to.width && from.height === to.height) steps.push('no resize')
  else if (sameRatio) steps.push(`resize ${from.width}×${from.height} → ${to.width}×${to.height}`)
  else if (target.method === 'pad') steps.push(`fit ${from.width}×${from.height} inside ${to.width}×${to.height}, pad the sides`)
  else steps.push(`scale ${from.width}×${from.height} to cover ${to.width}×${to.height}, crop the overflow`)
  const up = target.method === 'pad' ? Math.min(to.width / from.width, to.height / from.height) : Math.max(to.width / from.width, to.height / from.height)
  if (up > 1.0005) steps.push(`upscale ×${(Math.round(up * 100) / 100).toFixed(2)} (flagged)`)
  if (target.background === 'white') steps.push('flatten on white, edge whitened')
  if (target.background === 'transparent') steps.push(keyOut ? 'white edge keyed out to transparent' : 'keep transparency')
  steps.push(target.format === 'png' ? 'PNG' : `${FORMAT_NAMES[target.format]} q${target.quality}`)
  if (target.maxBytes) steps.push(`≤ ${mb(target.maxBytes)}`)
  return steps.join(', ')
}

export interface PlanOptions {
  pack: Pack
  model: ModelEntry
  provider: ProviderId
  images: number
  /** Credits for one request at these params; null when the catalog has no price (the jobs' own estimate). */
  price(params: RequestParams): number | null
  /** Said to the model after each target's own instructions. */
  extraPrompt?: string
  /** Quality setting for models that have one (GPT image); the model's default otherwise. */
  quality?: string
}

/** One target planned: the frame, the params sent, the prompt, the finishing and its price. */
export interface PlannedTarget extends PackTargetPlan {
  params: Partial<RequestParams>
  finish: PackFinish
}

export type PlannedPackPlan = Omit<PackPlan, 'targets'> & { targets: PlannedTarget[] }

export function planPack(options: PlanOptions): PlannedPackPlan {
  const { pack, model, provider } = options
  const caps = capabilitiesFor(model, provider)
  if (!caps) {
    throw new AppError({ code: 'validation', field: 'model', message: `${model.id} is not served by ${provider}; it is available through ${Object.keys(model.routes).join(', ')}.` })
  }
  const targets = pack.targets.map((target): PlannedTarget => {
    const choice = chooseFrame(model, caps, target)
    const transparentByModel = target.background === 'transparent' && caps.backgrounds.includes('transparent')
    const params: Partial<RequestParams> = { size: choice.frame.size }
    if (choice.frame.aspectRatio) params.aspectRatio = choice.frame.aspectRatio
    if (transparentByModel) {
      params.background = 'transparent'
      if (caps.outputFormats.includes('png')) params.outputFormat = 'png'
    }
    if (options.quality && caps.qualities.includes(options.quality)) params.quality = options.quality
    const keyOut = target.background === 'transparent' && !transparentByModel
    const to = { width: choice.width, height: choice.height }
    const problem = choice.upscale
      ? `${target.name} is ${to.width}×${to.height}; the largest ${model.id} makes at this aspect ratio is ${choice.frame.width}×${choice.frame.height}, so sharp would enlarge the answer ×${choice.upscale.toFixed(2)} (softer detail). Accept upscaling to run it, or choose a model with larger sizes.`
      : undefined
    return {
      target: target.name,
      ...to,
      format: target.format,
      background: target.background,
      method: target.method,
      ...(target.maxBytes ? { maxBytes: target.maxBytes } : {}),
      model: choice.frame,
      finishing: finishingWords(target, choice.frame, to, keyOut),
      upscale: choice.upscale,
      ...(problem ? { problem } : {}),
      price: options.price({ n: 1, ...params }),
      prompt: targetPrompt(target, to, transparentByModel, options.extraPrompt),
      params,
      finish: {
        packId: pack.id,
        packName: pack.name,
        target: target.name,
        ...to,
        format: target.format,
        quality: target.quality,
        ...(target.maxBytes ? { maxBytes: target.maxBytes } : {}),
        background: target.background,
        method: target.method,
        keyOutWhite: keyOut
      }
    }
  })
  const prices = targets.map((t) => t.price)
  const perImage = prices.some((p) => p === null) ? null : prices.reduce<number>((sum, p) => sum + (p ?? 0), 0)
  return {
    packId: pack.id,
    packName: pack.name,
    model: model.id,
    provider,
    targets,
    images: options.images,
    perImage,
    total: perImage === null ? null : perImage * options.images,
    needsUpscale: targets.flatMap((t) => (t.problem ? [t.problem] : []))
  }
}

/** The plan as shown (without the engine's params and finishing specs). */
export function planView(plan: PlannedPackPlan): PackPlan {
  return { ...plan, targets: plan.targets.map(({ params: _params, finish: _finish, ...view }: PlannedTarget): PackTargetPlan => view) }
}
