/** Share (0..1) as a percentage that never rounds a real change to "0%" nor a tiny one up to a whole percent. */
function percent(share: number): string {
  const p = share * 100
  if (p > 0 && p < 0.1) return 'under 0.1%'
  return `${p < 10 ? p.toFixed(1) : Math.round(p)}%`
}

/**
 * What the model did outside the mask, measured before its result was composited over the original:
 * the composite keeps the original there, so this says how well the model held to the mask, not what
 * the output file contains.
 */
export function leakSentence(leak: number): string {
  if (leak <= 0) return 'No pixels outside the mask changed.'
  return `${percent(leak)} of pixels outside the mask changed; the original was kept there.`
}

export const maskRouteLabel = (route: 'native' | 'crop'): string =>
  route === 'native' ? 'sent to the model as its mask' : 'only the masked region sent (the model takes no mask), placed back'
