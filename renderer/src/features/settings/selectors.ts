import type { ProviderId } from '@shared/records'
import { useSettings } from './store'

/** Where new requests go: the provider chosen in Settings, Pixapi until settings are known. */
export function useProvider(): ProviderId {
  return useSettings((s) => s.settings?.provider.active ?? 'pixapi')
}
