import { useEffect, useMemo } from 'react'
import { useShallow } from 'zustand/react/shallow'
import { Icon } from '../../../components/Icon'
import { modKey } from '../../../lib/format'
import { typingIn } from '../../../lib/keyboard'
import { coverage, renderOps, type MaskTool } from './maskModel'
import { MAX_RADIUS, useMask, type MaskTarget } from './maskStore'
import './mask.css'

const tools: Array<{ id: MaskTool; label: string; key?: string; hint: string }> = [
  { id: 'brush', label: 'Brush', key: 'B', hint: 'Paint where the edit may happen' },
  { id: 'eraser', label: 'Eraser', key: 'E', hint: 'Take area out of the mask' },
  { id: 'rect', label: 'Rectangle', hint: 'Drag a rectangle to add to the mask' },
  { id: 'lasso', label: 'Lasso', hint: 'Draw round an area to add it to the mask' }
]

const SIZE_STEP = 1.25

/** The mask's keys while the tools are out: B brush, E eraser, [ ] size, Ctrl+Z undo, Shift+Ctrl+Z (or Ctrl+Y) redo. */
function useMaskKeys(enabled: boolean) {
  useEffect(() => {
    if (!enabled) return
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || typingIn(e.target)) return
      const mask = useMask.getState()
      const key = e.key.toLowerCase()
      if (e.ctrlKey || e.metaKey) {
        if (key === 'z' && e.shiftKey) mask.redo()
        else if (key === 'z') mask.undo()
        else if (key === 'y') mask.redo()
        else return
      } else if (key === 'b') mask.setTool('brush')
      else if (key === 'e') mask.setTool('eraser')
      else if (e.key === '[') mask.setRadius(Math.min(mask.radius - 1, mask.radius / SIZE_STEP))
      else if (e.key === ']') mask.setRadius(Math.max(mask.radius + 1, mask.radius * SIZE_STEP))
      else return
      e.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [enabled])
}

function Slider({ label, value, min, max, unit, onChange }: { label: string; value: number; min: number; max: number; unit: string; onChange(v: number): void }) {
  return (
    <label className="mask-slider">
      <span>{label}</span>
      <input type="range" min={min} max={max} value={value} onChange={(e) => onChange(Number(e.target.value))} aria-valuetext={`${value}${unit}`} />
      <output>
        {value}
        {unit}
      </output>
    </label>
  )
}

/** The tools for drawing a mask over the picture on the stage; shown while the mask is being drawn. */
export function MaskTools() {
  const { target, tool, radius, hardness, feather, history } = useMask(
    useShallow((s) => ({ target: s.target, tool: s.tool, radius: s.radius, hardness: s.hardness, feather: s.feather, history: s.history }))
  )
  const mask = useMask.getState()
  useMaskKeys(true)
  const covered = useMemo(() => (target && history.done.length ? coverage(renderOps(target.size, history.done, 512)) : 0), [target, history.done])
  if (!target) return null
  return (
    <div className="mask-tools" role="toolbar" aria-label="Mask tools" data-testid="mask-tools">
      <div className="segmented small" role="radiogroup" aria-label="Mask tool">
        {tools.map((t) => (
          <button key={t.id} type="button" role="radio" aria-checked={tool === t.id} className={tool === t.id ? 'on' : ''} title={t.key ? `${t.hint} (${t.key})` : t.hint} aria-keyshortcuts={t.key} onClick={() => mask.setTool(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      <Slider label="Size" value={radius} min={1} max={MAX_RADIUS} unit=" px" onChange={mask.setRadius} />
      <Slider label="Hardness" value={hardness} min={0} max={100} unit="%" onChange={mask.setHardness} />
      <Slider label="Feather" value={feather} min={0} max={100} unit=" px" onChange={mask.setFeather} />
      <span className="mask-actions">
        <button type="button" className="btn small" onClick={() => mask.push({ kind: 'invert' })} title="Swap the area to edit and the area to keep">
          Invert
        </button>
        <button type="button" className="btn small" onClick={() => mask.push({ kind: 'clear' })} disabled={!history.done.length} title="Empty the mask (can be undone)">
          Clear
        </button>
        <button type="button" className="btn small" title={`Undo (${modKey}+Z)`} aria-keyshortcuts="Control+Z" onClick={mask.undo} disabled={!history.done.length}>
          Undo
        </button>
        <button type="button" className="btn small" title={`Redo (Shift+${modKey}+Z)`} aria-keyshortcuts="Shift+Control+Z" onClick={mask.redo} disabled={!history.undone.length}>
          Redo
        </button>
      </span>
      <span className="mask-coverage" role="status" data-testid="mask-coverage">
        {covered > 0 ? `Mask: ${(covered * 100).toFixed(covered < 0.01 ? 1 : 0)}% of the picture` : 'Paint where the edit may happen'}
      </span>
      <button type="button" className="btn small primary" onClick={mask.close}>
        <Icon name="check" /> Done
      </button>
    </div>
  )
}

/** The stage toolbar's way into the mask: draw one, go back to it, or remove it. */
export function MaskButton({ target }: { target: MaskTarget | null }) {
  const { current, drawing, steps } = useMask(useShallow((s) => ({ current: s.target, drawing: s.drawing, steps: s.history.done.length })))
  if (!target) return null
  const hasMask = current?.key === target.key && steps > 0
  return (
    <>
      <button
        type="button"
        className={`btn small${drawing && current?.key === target.key ? ' on' : ''}`}
        aria-pressed={drawing && current?.key === target.key}
        title="Mark where the edit may happen; everything outside keeps the original's pixels"
        onClick={() => (drawing ? useMask.getState().close() : useMask.getState().open(target))}
      >
        {hasMask ? 'Edit mask' : 'Draw mask'}
      </button>
      {hasMask ? (
        <button type="button" className="btn small" onClick={() => useMask.getState().discard()} title="Edit the whole picture again">
          Remove mask
        </button>
      ) : null}
    </>
  )
}
