import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The palettes in styles.css against WCAG 2.2 AA: 4.5:1 for text on every surface it is drawn on, 3:1 for
 * the outline of a control and the focus ring. axe checks the text it finds on screen; this checks the
 * pairs axe cannot see (outlines, focus rings, hover states) and every pair, shown or not.
 */
const css = readFileSync(join(__dirname, '..', '..', 'renderer', 'src', 'styles.css'), 'utf8')

type Rgba = [number, number, number, number]
type Theme = 'light' | 'dark'

function parseColour(text: string): Rgba {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(text.trim())
  if (hex) {
    const h = hex[1]!.length === 3 ? [...hex[1]!].map((c) => c + c).join('') : hex[1]!
    return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16), 1]
  }
  const rgb = /^rgb\(\s*(\d+)\s+(\d+)\s+(\d+)\s*(?:\/\s*([\d.]+))?\s*\)$/.exec(text.trim())
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3]), rgb[4] === undefined ? 1 : Number(rgb[4])]
  throw new Error(`Unsupported colour in the palette: ${text}`)
}

/** Every custom property of the :root block, per theme. */
function palette(theme: Theme): Map<string, Rgba> {
  const root = /:root\s*\{([^}]*)\}/.exec(css)?.[1]
  if (!root) throw new Error('styles.css has no :root block')
  const out = new Map<string, Rgba>()
  for (const [, name, value] of root.matchAll(/(--[\w-]+):\s*([^;]+);/g)) {
    const pair = /^light-dark\((.+),\s*((?:#|rgb).+)\)$/.exec(value!.trim())
    if (pair) out.set(name!, parseColour(theme === 'light' ? pair[1]! : pair[2]!))
    else if (/^(#|rgb\()/.test(value!.trim())) out.set(name!, parseColour(value!))
  }
  return out
}

const luminance = ([r, g, b]: Rgba) => {
  const channel = (c: number) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}
const over = (top: Rgba, base: Rgba): Rgba => [0, 1, 2].map((i) => top[i]! * top[3] + base[i]! * (1 - top[3])).concat(1) as Rgba
const contrast = (a: Rgba, b: Rgba) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

/** A surface: a token, or a translucent token laid over another (a tinted row on the page, say). */
type Surface = string | [tint: string, base: string]
const opaqueSurfaces = ['--bg', '--bg-raised', '--panel', '--panel-2']

const textPairs: Array<[fg: string, surfaces: Surface[]]> = [
  ['--text', [...opaqueSurfaces, '--hover', ['--accent-soft', '--panel'], ['--accent-soft', '--panel-2'], ['--veil', '--bg']]],
  ['--text-2', [...opaqueSurfaces, '--hover']],
  ['--text-3', [...opaqueSurfaces, '--hover', ['--accent-soft', '--panel-2'], ['--accent-soft', '--panel']]],
  ['--text-2', [['--accent-soft', '--panel-2'], ['--accent-soft', '--panel']]],
  ['--accent', ['--bg', '--bg-raised', '--panel', ['--accent-soft', '--bg'], ['--accent-soft', '--panel-2']]],
  ['--on-accent', ['--accent-strong', '--accent-hover']],
  ['--good', ['--bg', '--bg-raised', '--panel', ['--good-soft', '--bg'], ['--good-soft', '--bg-raised']]],
  ['--bad', ['--bg', '--bg-raised', '--panel', '--panel-2', ['--bad-soft', '--bg'], ['--bad-soft', '--bg-raised']]],
  ['--bad-text', [['--bad-soft', '--bg'], ['--bad-soft', '--bg-raised']]],
  ['--warn', ['--bg', '--bg-raised', '--panel', '--panel-2', ['--warn-soft', '--bg'], ['--warn-soft', '--bg-raised'], ['--warn-soft', '--panel']]]
]

const boundaryPairs: Array<[edge: string, surfaces: Surface[]]> = [
  // Inputs, buttons, chips, switches and segmented controls are outlined with --control-line.
  ['--control-line', [...opaqueSurfaces]],
  ['--control-line-hover', ['--bg', '--bg-raised', '--panel']],
  // The focus ring (--accent, 2px outside a 2px gap of --bg) and a switch that is on.
  ['--accent', [...opaqueSurfaces]],
  ['--accent-strong', ['--bg', '--bg-raised', '--panel']]
]

function surface(colours: Map<string, Rgba>, s: Surface): Rgba {
  const get = (name: string) => {
    const c = colours.get(name)
    if (!c) throw new Error(`styles.css defines no ${name}`)
    return c
  }
  return typeof s === 'string' ? over(get(s), get('--bg')) : over(get(s[0]), over(get(s[1]), get('--bg')))
}

describe.each(['light', 'dark'] as const)('the %s palette', (theme) => {
  const colours = palette(theme)

  it('defines both themes for every colour', () => {
    expect(colours.size).toBeGreaterThan(30)
    for (const name of ['--bg', '--text', '--text-3', '--control-line', '--accent']) expect(colours.has(name)).toBe(true)
  })

  it.each(textPairs)('%s reads at 4.5:1 on every surface it is drawn on', (fg, surfaces) => {
    for (const s of surfaces) {
      const ratio = contrast(surface(colours, fg), surface(colours, s))
      expect({ on: s, ratio: Number(ratio.toFixed(2)) }).toEqual({ on: s, ratio: expect.toSatisfy((r: number) => r >= 4.5) })
    }
  })

  it.each(boundaryPairs)('%s stands out at 3:1 from the surfaces a control sits on', (edge, surfaces) => {
    for (const s of surfaces) {
      const ratio = contrast(surface(colours, edge), surface(colours, s))
      expect({ on: s, ratio: Number(ratio.toFixed(2)) }).toEqual({ on: s, ratio: expect.toSatisfy((r: number) => r >= 3) })
    }
  })
})

it('the light theme is its own palette, not the dark one inverted', () => {
  const light = palette('light')
  const dark = palette('dark')
  expect(luminance(light.get('--bg')!)).toBeGreaterThan(0.85)
  expect(luminance(dark.get('--bg')!)).toBeLessThan(0.02)
  // Inverting would mirror the luminances; the light surfaces are tuned, not mirrored.
  const mirrored = [...light.keys()].filter((k) => dark.has(k) && Math.abs(luminance(light.get(k)!) + luminance(dark.get(k)!) - 1) < 0.005)
  expect(mirrored.length).toBeLessThan(5)
})
