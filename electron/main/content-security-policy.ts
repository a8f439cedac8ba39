/**
 * The renderer's Content Security Policy, built in one place: the renderer build writes it into
 * index.html, and the main process sends it as a response header where it serves the pages itself.
 *
 * Only what the packaged app loads is allowed: its own bundle ('self'), images through the asset scheme,
 * and the inline stylesheets listed by hash. No http: source, no inline or eval'd script, no plugins,
 * frames, forms or <base>.
 */
import { APP_ASSET_SCHEME as ASSET_SCHEME } from '../ipc/asset-scheme'

export interface PolicyOptions {
  /**
   * 'sha256-…' sources of inline <style> elements the UI needs; none today (the image viewer is plain
   * React and bundled CSS). Allowing one stylesheet by hash keeps every other inline style out, where
   * 'unsafe-inline' would let injected markup restyle the UI (clickjacking, data exfiltration through
   * attribute selectors). React style props are applied through the CSSOM, which style-src does not
   * govern, so they need nothing here.
   */
  styleHashes: readonly string[]
}

export function rendererContentSecurityPolicy({ styleHashes }: PolicyOptions): string {
  const directives: Array<[string, ...string[]]> = [
    ['default-src', "'none'"],
    ['script-src', "'self'"],
    ['style-src', "'self'", ...styleHashes.map((h) => `'${h}'`)],
    ['img-src', "'self'", `${ASSET_SCHEME}:`],
    ['font-src', "'self'"],
    ['connect-src', "'self'"],
    ['object-src', "'none'"],
    ['frame-src', "'none'"],
    ['worker-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    // Ignored in a <meta> policy; it takes effect where the policy is sent as a header (see security.ts).
    ['frame-ancestors', "'none'"]
  ]
  return directives.map((d) => d.join(' ')).join('; ')
}
