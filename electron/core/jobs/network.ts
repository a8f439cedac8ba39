import { request } from 'undici'
import type { AppErrorData } from '../../../shared/errors'
import type { NetworkState } from './model'
import { isNotSent } from '../providers/errors'


export function isNetworkError(error: AppErrorData | undefined): boolean {
  return error?.code === 'network' || (error?.code === 'timeout' && error.providerCode === 'UND_ERR_CONNECT_TIMEOUT')
}

/** The request never left this machine (the transport layer's own judgement, so the two cannot disagree). */
export function wasNeverSent(error: AppErrorData | undefined): boolean {
  return isNotSent(error?.providerCode)
}

/** Reachability of a base URL: any HTTP answer (even 404) means the network path works. */
export async function probeUrl(baseUrl: string, timeoutMs = 5000): Promise<boolean> {
  try {
    const res = await request(baseUrl, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs })
    await res.body.dump()
    return true
  } catch {
    return false
  }
}

export interface NetworkMonitorOptions {
  probe: () => Promise<boolean>
  baseMs: number
  maxMs: number
  now: () => number
  onChange: (state: NetworkState) => void
}

/**
 * "Waiting for network": entered when a request fails to reach the server, left when a probe gets an
 * answer. Probes back off (base·2^n up to max) so a long outage costs nothing.
 */
export class NetworkMonitor {
  private online = true
  private reason: string | undefined
  private nextProbeAt: number | undefined
  private timer: NodeJS.Timeout | undefined
  private failures = 0
  private closed = false

  constructor(private readonly options: NetworkMonitorOptions) {}

  state(): NetworkState {
    return this.online
      ? { online: true }
      : {
          online: false,
          reason: this.reason,
          nextProbeAt: this.nextProbeAt === undefined ? undefined : new Date(this.nextProbeAt).toISOString()
        }
  }

  isOnline(): boolean {
    return this.online
  }

  /** A request could not reach the server. */
  reportFailure(reason: string): void {
    if (this.closed) return
    if (this.online) {
      this.online = false
      this.failures = 0
      this.reason = reason
      this.schedule()
    }
  }

  /** A request got an HTTP answer: the network is there whatever the probe schedule says. */
  reportSuccess(): void {
    if (!this.online) this.goOnline()
  }

  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    const delay = Math.min(this.options.maxMs, this.options.baseMs * 2 ** this.failures)
    this.nextProbeAt = this.options.now() + delay
    this.options.onChange(this.state())
    this.timer = setTimeout(() => void this.runProbe(), delay)
    this.timer.unref?.()
  }

  private async runProbe(): Promise<void> {
    this.timer = undefined
    if (this.closed || this.online) return
    const ok = await this.options.probe().catch(() => false)
    if (this.closed || this.online) return
    if (ok) this.goOnline()
    else {
      this.failures++
      this.schedule()
    }
  }

  private goOnline(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.online = true
    this.reason = undefined
    this.nextProbeAt = undefined
    this.options.onChange(this.state())
  }
}
