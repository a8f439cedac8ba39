import sharp from 'sharp'

/**
 * Mean absolute difference (0–255) between two pictures after scaling both to the same small grid,
 * ignoring size: small when they show the same thing the same way up, large when turned or mirrored.
 */
export async function pictureDistance(a: Buffer | string, b: Buffer | string, w = 24, h = 16): Promise<number> {
  const grid = (input: Buffer | string) =>
    sharp(input).autoOrient().resize(w, h, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer()
  const [pa, pb] = await Promise.all([grid(a), grid(b)])
  let sum = 0
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i]! - pb[i]!)
  return sum / pa.length
}
