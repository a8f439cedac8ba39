/**
 * The blur the main process always applies to a mask's inner edge when it composites a result onto the
 * original (Gaussian sigma in image pixels), on top of any feather drawn in the editor, so no seam
 * shows. The editor's overlay previews it with the same number.
 */
export function compositeFeatherSigma(width: number, height: number): number {
  return Math.max(0.8, Math.max(width, height) / 800)
}
