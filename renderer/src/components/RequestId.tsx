import { useEffect, useState } from 'react'
import { useClipboard } from '../app/clipboard'
import { Icon } from './Icon'

/**
 * Keeps the start and the end of an id: ids differ at both ends (a prefix names the kind, the tail is
 * what support searches for), so cutting either would make two ids look alike.
 */
export function middleTruncate(text: string, max: number): string {
  if (text.length <= max) return text
  const keep = max - 1
  const head = Math.ceil(keep / 2)
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`
}

const COPIED_FOR_MS = 1500

/** A copy button for one value; it says "Copied" for a moment after it worked. */
export function CopyButton({ text, what, label }: { text: string; what: string; label?: string }) {
  const last = useClipboard((s) => s.last)
  const [now, setNow] = useState(() => Date.now())
  const copied = last !== null && last.text === text && now - last.at < COPIED_FOR_MS
  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setNow(Date.now()), COPIED_FOR_MS)
    return () => clearTimeout(timer)
  }, [copied])
  const name = label ?? `Copy ${what.toLowerCase()} ${text}`
  return (
    <button
      type="button"
      className="icon-btn copy-btn"
      aria-label={name}
      title={copied ? 'Copied' : name}
      onClick={() => {
        void useClipboard
          .getState()
          .copy(text, `${what} ${middleTruncate(text, 40)}`)
          .then(() => setNow(Date.now()))
      }}
    >
      <Icon name={copied ? 'check' : 'copy'} size={14} />
    </button>
  )
}

/**
 * A request id where space is short: the middle elided, the whole id on hover (title), on keyboard
 * focus (shown while the copy button has it) and for screen readers, and a button that copies it.
 */
export function RequestId({ id, max = 18, what = 'Request id' }: { id: string | undefined; max?: number; what?: string }) {
  if (!id) return <span className="muted">—</span>
  const short = middleTruncate(id, max)
  return (
    <span className="request-id" title={id} data-testid="request-id">
      <span className="mono request-id-text" aria-hidden={short !== id ? true : undefined}>
        {short}
      </span>
      {short !== id ? <span className="sr-only">{id}</span> : null}
      <CopyButton text={id} what={what} />
      {short !== id ? (
        <span className="request-id-full mono" aria-hidden>
          {id}
        </span>
      ) : null}
    </span>
  )
}
