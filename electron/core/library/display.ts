import sharp from 'sharp'
import type { Preview } from './types'
import { rasterFormatOf } from './raster'
import { HARD_MAX_PIXELS, type AssetInfo } from './types'

/** Long edges a display rendition is made at; a request for another size is served the next larger one. */
const DISPLAY_SIZES = [1024, 2048, 4096] as const
export const DEFAULT_DISPLAY_SIZE = 2048

/** Formats Chromium decodes itself, when the pixels are 8-bit RGB or grey. */
const BROWSER_FORMATS: ReadonlySet<string> = new Set(['png', 'jpeg', 'webp', 'gif', 'avif'])
/** libvips interpretations a browser shows as the file means: 8-bit sRGB and greyscale. */
const BROWSER_SPACES: ReadonlySet<string> = new Set(['srgb', 'b-w'])

/**
 * Whether the renderer can be handed the original bytes and show them as they are meant. Chromium has
 * no TIFF decoder, draws many CMYK JPEGs with inverted or shifted colours, and handles 16-bit PNG and
 * high-bit-depth AVIF inconsistently. It applies EXIF orientation to JPEG (CSS `image-orientation:
 * from-image` is the default since Chromium 81) but not reliably to the EXIF chunk of other formats,
 * so only JPEG keeps its orientation tag; anything else turned by EXIF gets an upright rendition.
 */
export function browserDisplayable(info: Pick<AssetInfo, 'format' | 'space' | 'bitsPerSample' | 'orientation'>): boolean {
  if (info.format === null || !BROWSER_FORMATS.has(info.format)) return false
  if (info.bitsPerSample > 8 || !BROWSER_SPACES.has(info.space)) return false
  return info.orientation === 1 || info.format === 'jpeg'
}

export const displaySizeFor = (requested: number): number => DISPLAY_SIZES.find((s) => s >= requested) ?? DISPLAY_SIZES[DISPLAY_SIZES.length - 1]!

/**
 * What the renderer shows instead of an original it cannot display: upright, sRGB, 8 bits per sample,
 * first frame, at most `size` px on the long edge. JPEG for opaque pictures; WebP with a lossless alpha
 * plane for transparent ones (a PNG of a 2048 px photo would be ten times larger for no visible gain).
 */
export async function renderDisplay(bytes: Buffer, size: number, alpha: boolean, maxPixels = HARD_MAX_PIXELS): Promise<Preview> {
  rasterFormatOf(bytes, 'The file')
  const pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, pages: 1 })
    .timeout({ seconds: 60 })
    .autoOrient()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    // Converts CMYK (through its profile, or libvips' default one) and casts 16-bit samples to 8.
    .toColourspace('srgb')
  const out = alpha ? pipeline.webp({ quality: 90, alphaQuality: 100, effort: 2 }) : pipeline.jpeg({ quality: 90, chromaSubsampling: '4:4:4' })
  const { data, info } = await out.toBuffer({ resolveWithObject: true })
  return { data, format: alpha ? 'webp' : 'jpeg', width: info.width, height: info.height }
}
