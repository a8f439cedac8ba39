import { useEffect, useState } from 'react'
import { formatTime } from '../lib/format'
import { useUi } from './uiStore'

/** Shown only while the jobs engine reports the network down; queued work waits rather than fails. */
export function NetworkBanner() {
  const network = useUi((s) => s.network)
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (network.online) return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [network.online])
  if (network.online) return null
  const next = network.nextProbeAt ? Date.parse(network.nextProbeAt) : NaN
  const seconds = Number.isNaN(next) ? null : Math.max(0, Math.round((next - now) / 1000))
  return (
    <div className="network-banner" role="status">
      <strong>Offline{network.reason ? ` (${network.reason})` : ''}.</strong> Requests are paused and will resume by themselves when the connection is back
      {seconds !== null ? ` (next check ${seconds > 0 ? `in ${seconds} s` : `at ${formatTime(network.nextProbeAt)}`})` : ''}.
    </div>
  )
}
