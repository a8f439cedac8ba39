import { useLayoutEffect, useRef, useState } from 'react'

/**
 * How many characters stay visible at the end. File names keep their extension and the few characters
 * before it (where "_v2", "_final" and numbering live), ids their last characters.
 */
function tailLength(text: string): number {
  const extension = /\.[A-Za-z0-9]{1,5}$/.exec(text)?.[0].length ?? 0
  return Math.min(Math.max(0, text.length - 4), Math.max(8, extension + 6))
}

/**
 * How much of a model name's end stays visible: its last words ("… Flash Image)", "… Image Preview)"),
 * which tell a family's models apart. Cut where a word starts, so the name still reads (and is read out)
 * as words.
 */
export function modelNameTail(name: string): number {
  for (let at = name.length - 10; at >= Math.max(0, name.length - 20); at--) {
    if (name[at] === ' ') return name.length - at
  }
  return Math.min(name.length, 14)
}

/**
 * A long name cut in the middle ("Fossa_by_Ja…Roks.jpg", "req_04e7…c34dae80b50"), where the start and
 * the end that tell names apart both stay visible. The whole text is always in the DOM (screen readers
 * and find-in-page see it), in the tooltip on hover, and, when it is cut and the name may take focus,
 * shown whole on focus. Names inside a button or link pass `focusable={false}`: the control
 * itself is the tab stop. Model names pass `keepEnd={modelNameTail}`: a family's models share their
 * start and differ in their last words.
 */
export function MiddleTruncate({ text, className, focusable = true, keepEnd }: { text: string; className?: string; focusable?: boolean; keepEnd?: number | ((text: string) => number) }) {
  const headRef = useRef<HTMLSpanElement>(null)
  const tailRef = useRef<HTMLSpanElement>(null)
  const [cut, setCut] = useState(false)
  const [tailWidth, setTailWidth] = useState(0)
  const kept = typeof keepEnd === 'function' ? keepEnd(text) : (keepEnd ?? tailLength(text))
  const split = text.length - Math.min(text.length, kept)
  const head = text.slice(0, split)
  const tail = text.slice(split)

  useLayoutEffect(() => {
    const el = headRef.current
    if (!el) return
    const measure = () => {
      setTailWidth(tailRef.current?.getBoundingClientRect().width ?? 0)
      setCut(el.scrollWidth > el.clientWidth + 0.5)
    }
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(el)
    return () => observer.disconnect()
  }, [text])

  // Both parts are inline boxes (not flex items), so copying the name or reading its text gives it in one
  // piece; the head makes room for the measured tail.
  return (
    <span className={`middle-truncate${className ? ` ${className}` : ''}`} title={text} data-full={text} data-cut={cut || undefined} tabIndex={focusable && cut ? 0 : undefined}>
      <span className="middle-truncate-head" ref={headRef} style={{ maxWidth: `calc(100% - ${tailWidth}px)` }}>
        {head}
      </span>
      {tail ? (
        <span className="middle-truncate-tail" ref={tailRef}>
          {tail}
        </span>
      ) : null}
    </span>
  )
}
