// Runs in the page before the renderer: the same bridge the preload builds, over a Playwright binding.
import { createPixdeskApi } from '../../shared/bridge'
import type { Envelope } from '../../shared/contract'

type HarnessWindow = Window & {
  __pixdeskInvoke(channel: string, payload: unknown): Promise<Envelope>
  __pixdeskEmit?: (event: string, payload: unknown) => void
  pixdesk: unknown
}

const w = window as unknown as HarnessWindow
w.pixdesk = createPixdeskApi({
  invoke: (channel, payload) => w.__pixdeskInvoke(channel, payload),
  subscribe: (listener) => {
    w.__pixdeskEmit = listener
  }
})
