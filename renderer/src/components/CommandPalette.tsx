import { useEffect, useMemo, useRef, useState } from 'react'

export interface Command {
  id: string
  title: string
  hint?: string
  run(): void
}

/** Ctrl/Cmd+K: every navigation and action by name, so nothing needs the mouse. */
export function CommandPalette({ commands, onClose }: { commands: Command[]; onClose(): void }) {
  const [query, setQuery] = useState('')
  const [active, setActive] = useState(0)
  const inputRef = useRef<HTMLInputElement>(null)
  useEffect(() => inputRef.current?.focus(), [])

  const matches = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean)
    return commands.filter((c) => words.every((w) => c.title.toLowerCase().includes(w)))
  }, [commands, query])
  const current = Math.min(active, Math.max(0, matches.length - 1))

  const runAt = (i: number) => {
    const cmd = matches[i]
    if (!cmd) return
    onClose()
    cmd.run()
  }

  return (
    <div className="overlay" onMouseDown={onClose}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()}>
        <input
          ref={inputRef}
          type="text"
          value={query}
          placeholder="Type a command…"
          aria-label="Command"
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-list"
          aria-activedescendant={matches[current] ? `cmd-${matches[current].id}` : undefined}
          onChange={(e) => {
            setQuery(e.target.value)
            setActive(0)
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault()
              onClose()
            } else if (e.key === 'ArrowDown') {
              e.preventDefault()
              setActive((current + 1) % Math.max(1, matches.length))
            } else if (e.key === 'ArrowUp') {
              e.preventDefault()
              setActive((current - 1 + matches.length) % Math.max(1, matches.length))
            } else if (e.key === 'Enter') {
              e.preventDefault()
              runAt(current)
            }
          }}
        />
        <ul id="palette-list" role="listbox" aria-label="Commands">
          {matches.map((c, i) => (
            <li key={c.id} id={`cmd-${c.id}`} role="option" aria-selected={i === current} className={i === current ? 'active' : ''} onMouseEnter={() => setActive(i)} onClick={() => runAt(i)}>
              <span>{c.title}</span>
              {c.hint ? <kbd>{c.hint}</kbd> : null}
            </li>
          ))}
        </ul>
        {!matches.length ? (
          <p className="palette-empty" role="status">
            No command matches “{query}”
          </p>
        ) : null}
      </div>
    </div>
  )
}
