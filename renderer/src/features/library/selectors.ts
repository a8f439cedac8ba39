import type { AssetView, ImportProgressView, RootView } from '@shared/views'

/** Selected images that can be sent to a model. */
export function usableSelection(selected: readonly string[], assets: Record<string, AssetView>): string[] {
  return selected.filter((id) => assets[id]?.ok)
}

/** Imports still running, summed: how many files were found and how many of them are checked. */
export function importProgress(progress: Record<string, ImportProgressView>): { running: boolean; inspected: number; scanned: number } {
  const importing = Object.values(progress).filter((p) => !p.done)
  return { running: importing.length > 0, inspected: importing.reduce((n, p) => n + p.inspected, 0), scanned: importing.reduce((n, p) => n + p.scanned, 0) }
}

export function problemCount(roots: readonly RootView[]): number {
  return roots.reduce((n, r) => n + r.counts.problems, 0)
}
