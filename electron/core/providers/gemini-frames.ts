/**
 * Gemini's documented output sizes at 1K per aspect ratio; 2K and 4K double and quadruple them. The
 * Gemini 3 image models answer slightly larger 1K frames than Gemini 2.5 Flash Image.
 */
const GEMINI_1K: Record<'2.5' | '3', Record<string, [number, number]>> = {
  '2.5': {
    '1:1': [1024, 1024],
    '2:3': [832, 1248],
    '3:2': [1248, 832],
    '3:4': [864, 1184],
    '4:3': [1184, 864],
    '4:5': [896, 1152],
    '5:4': [1152, 896],
    '9:16': [768, 1344],
    '16:9': [1344, 768],
    '21:9': [1536, 672]
  },
  '3': {
    '1:1': [1024, 1024],
    '2:3': [848, 1264],
    '3:2': [1264, 848],
    '3:4': [896, 1200],
    '4:3': [1200, 896],
    '4:5': [928, 1152],
    '5:4': [1152, 928],
    '9:16': [768, 1376],
    '16:9': [1376, 768],
    '21:9': [1584, 672]
  }
}
/** A listed ratio the table does not know: its frame with a long edge of `long`. */
function ratioFrame(ratio: string, long: number): [number, number] | null {
  const [a, b] = ratio.split(':').map(Number)
  if (!a || !b) return null
  return a >= b ? [long, Math.round((long * b) / a / 16) * 16] : [Math.round((long * a) / b / 16) * 16, long]
}

/** Which table a Gemini model answers with: Gemini 3's image models make slightly larger frames. */
export type GeminiGeneration = keyof typeof GEMINI_1K
export const geminiGenerationOf = (modelId: string): GeminiGeneration => (/gemini-2\./.test(modelId) ? '2.5' : '3')

/** The pixels a Gemini model answers for a ratio at a tier (1 for 1K, 2 for 2K, 4 for 4K), or null for an unreadable ratio. */
export function geminiFrame(generation: GeminiGeneration, ratio: string, tier: number): { width: number; height: number } | null {
  const table = GEMINI_1K[generation]
  const base = (Object.hasOwn(table, ratio) ? table[ratio] : undefined) ?? ratioFrame(ratio, 1024)
  return base ? { width: base[0] * tier, height: base[1] * tier } : null
}
