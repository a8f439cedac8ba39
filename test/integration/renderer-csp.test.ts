import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/** The Content Security Policy the build ships, read from the built files (npm test builds first). */
const root = resolve(import.meta.dirname, '..', '..')
const builtHtml = join(root, 'out', 'renderer', 'index.html')
const builtMain = join(root, 'out', 'main', 'index.js')

function builtPolicy(): { html: string; policy: string; directives: Map<string, string[]> } {
  if (!existsSync(builtHtml)) throw new Error(`${builtHtml} is missing: run \`npm run build\` first (npm test does).`)
  const html = readFileSync(builtHtml, 'utf8').replace(/<!--[\s\S]*?-->/g, '')
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)]
  expect(metas, 'exactly one CSP <meta> in the built page').toHaveLength(1)
  const policy = metas[0]![1]!
  const directives = new Map<string, string[]>()
  for (const part of policy.split(';').map((p) => p.trim()).filter(Boolean)) {
    const [name, ...sources] = part.split(/\s+/)
    expect(directives.has(name!), `directive ${name} appears once`).toBe(false)
    directives.set(name!.toLowerCase(), sources)
  }
  return { html, policy, directives }
}

/** What a fetch of `kind` falls back to when its own directive is absent (CSP level 3). */
function effective(directives: Map<string, string[]>, name: string): string[] {
  const fallback: Record<string, string[]> = {
    'script-src': ['default-src'],
    'style-src': ['default-src'],
    'img-src': ['default-src'],
    'connect-src': ['default-src'],
    'object-src': ['default-src'],
    'frame-src': ['child-src', 'default-src'],
    'worker-src': ['child-src', 'script-src', 'default-src']
  }
  for (const candidate of [name, ...(fallback[name] ?? [])]) {
    const sources = directives.get(candidate)
    if (sources) return sources
  }
  return ['*']
}

describe('the built renderer Content Security Policy', () => {
  it('comes before anything it governs', () => {
    const { html } = builtPolicy()
    const meta = html.search(/<meta\s+http-equiv="Content-Security-Policy"/i)
    const firstResource = html.search(/<(script|link|style|img)\b/i)
    expect(meta).toBeGreaterThan(-1)
    expect(firstResource === -1 || meta < firstResource).toBe(true)
  })

  it('names no http: source, no wildcard and no data:, blob: or filesystem: for code', () => {
    const { policy, directives } = builtPolicy()
    expect(policy).not.toMatch(/http:/i)
    expect(policy).not.toMatch(/(^|\s)(\*|https:|ws:|wss:)(\s|;|$)/i)
    for (const name of ['script-src', 'object-src', 'worker-src', 'frame-src']) {
      expect(effective(directives, name).join(' '), name).not.toMatch(/data:|blob:|filesystem:|\*/)
    }
  })

  it('closes plugins, <base>, forms and framing', () => {
    const { directives } = builtPolicy()
    for (const name of ['object-src', 'base-uri', 'form-action', 'frame-ancestors']) {
      expect(directives.get(name), name).toEqual(["'none'"])
    }
    expect(effective(directives, 'frame-src')).toEqual(["'none'"])
  })

  it('runs only the bundled scripts: no inline script, no eval', () => {
    const { html, directives } = builtPolicy()
    expect(effective(directives, 'script-src')).toEqual(["'self'"])
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i)
  })

  it('allows no inline stylesheet: every style is a bundled file', () => {
    const { html, directives } = builtPolicy()
    expect(effective(directives, 'style-src')).toEqual(["'self'"])
    expect(html).not.toMatch(/<style[\s>]/i)
  })

  it('loads images only from the app and its asset scheme', () => {
    const { directives } = builtPolicy()
    expect(effective(directives, 'img-src').sort()).toEqual(["'self'", 'pixdesk-asset:'])
    expect(directives.get('default-src')).toEqual(["'none'"])
  })

  it('is the same policy the main process sends as a header', () => {
    const { policy } = builtPolicy()
    expect(readFileSync(builtMain, 'utf8')).toContain(JSON.stringify(policy))
  })
})
