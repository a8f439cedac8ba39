import type { PixdeskApi } from '@shared/contract'

declare global {
  interface Window {
    pixdesk: PixdeskApi
  }
}

/** The renderer's only way out: the typed bridge the preload (or test harness) installed. */
export const api: PixdeskApi = window.pixdesk
