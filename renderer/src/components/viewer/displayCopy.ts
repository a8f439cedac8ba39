/**
 * A display-copy URL (`display/<id>`, see the asset handler) asking for `longEdge` px on the long edge:
 * the handler rounds up to the sizes it keeps and never enlarges, so a 1024 px result is compared
 * with a 1024 px copy of its original rather than a 2048 px one the browser shrinks.
 */
export function displayCopyAt(url: string | null, longEdge?: number): string | null {
  if (!url || !longEdge || !/\/display\/[0-9a-f]+/.test(url)) return url
  const at = new URL(url)
  at.searchParams.set('size', String(Math.min(4096, Math.max(1, Math.round(longEdge)))))
  return at.href
}
