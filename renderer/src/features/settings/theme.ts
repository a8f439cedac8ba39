import { useEffect } from 'react'
import type { ThemeChoice } from '@shared/settings'
import { useSettings } from './store'

/**
 * Pins the stylesheet's palette to the chosen theme. Without a pin the stylesheet follows the system
 * (prefers-color-scheme), which is also what shows while the settings are still loading.
 */
export function applyTheme(theme: ThemeChoice, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset.theme
  else root.dataset.theme = theme
}

export function useAppliedTheme(): void {
  const theme = useSettings((s) => s.settings?.appearance.theme ?? 'system')
  useEffect(() => applyTheme(theme), [theme])
}
