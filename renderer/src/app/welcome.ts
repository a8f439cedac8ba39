import { useState } from 'react'
import { anyKeySet, useKeys } from '../features/settings/keysStore'
import { useSettings } from '../features/settings/store'

/**
 * Whether to show the welcome screen. Decided once, when settings and keys are first known: deleting a
 * key later must not throw the user out of Settings into the welcome screen.
 */
export function useWelcome(): { needsWelcome: boolean; skip(): void } {
  const settings = useSettings((s) => s.settings)
  const keys = useKeys((s) => s.statuses)
  const keysLoaded = useKeys((s) => s.loaded)
  const keysError = useKeys((s) => s.error)
  const [welcome, setWelcome] = useState<boolean | null>(null)

  const ready = settings !== null && keysLoaded
  if (welcome === null && ready) setWelcome(!keysError && !anyKeySet(keys) && !settings.provider.sandbox)
  if (welcome === true && ready && (anyKeySet(keys) || settings.provider.sandbox)) setWelcome(false)
  return { needsWelcome: welcome === true, skip: () => setWelcome(false) }
}
