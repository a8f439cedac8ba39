import type { ProviderId } from '@shared/records'
import { defaultSettings, type Settings } from '@shared/settings'
import { useSettings } from './store'

/** Where new requests go: the provider chosen in Settings, the settings' default until they are known. */
export function activeProvider(settings: Settings | null | undefined): ProviderId {
  return settings?.provider.active ?? defaultSettings.provider.active
}

export function useProvider(): ProviderId {
  return useSettings((s) => activeProvider(s.settings))
}
