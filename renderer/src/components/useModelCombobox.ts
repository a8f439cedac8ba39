import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { customModelSchema, findModel, type ModelEntry } from '@shared/catalog'
import type { ProviderId } from '@shared/records'
import { modelFacts, modelMatches, type ModelFacts } from '../lib/modelFacts'
import type { ParamChoice } from '../lib/models'

export interface ModelChoice {
  /** Every model the catalog knows (to tell a custom id from a known one). */
  models: readonly ModelEntry[]
  /** Those the provider serves, in the list. */
  available: readonly ModelEntry[]
  provider: ProviderId
  selected: readonly string[]
  multiple: boolean
  /** A model that may not be added now (the limit is reached), with why. */
  blocked?(id: string): string | null
  params: ParamChoice
  onChoose(id: string): void
  onAddCustom?(id: string): Promise<void>
}

export type Row = { kind: 'model'; model: ModelEntry; facts: ModelFacts } | { kind: 'custom'; id: string }

export const FAMILIES: Array<{ family: ModelEntry['family']; label: string }> = [
  { family: 'gemini', label: 'Gemini' },
  { family: 'gpt', label: 'GPT' },
  { family: 'other', label: 'Other' }
]

// Rows come in the order the listbox shows them (by family), so the arrow keys follow what is seen.
function matchingRows({ available, models, provider, params, query, onAddCustom }: Pick<ModelChoice, 'available' | 'models' | 'provider' | 'params' | 'onAddCustom'> & { query: string }): Row[] {
  const found: Row[] = []
  for (const { family } of FAMILIES) {
    for (const model of available) {
      if (model.family !== family || !modelMatches(model, query)) continue
      const facts = modelFacts(model, provider, params)
      if (facts) found.push({ kind: 'model', model, facts })
    }
  }
  const typed = query.trim()
  if (onAddCustom && typed && !findModel(models, typed) && customModelSchema.shape.id.safeParse(typed).success) found.push({ kind: 'custom', id: typed })
  return found
}

/**
 * The combobox's state and keys (the ARIA 1.2 pattern: the text box keeps focus, arrows move the active
 * option, Enter chooses, Escape closes), apart from what it draws.
 */
export function useModelCombobox(choice: ModelChoice, listId: string) {
  const { models, available, provider, selected, multiple, blocked, params, onChoose, onAddCustom } = choice
  const [query, setQuery] = useState('')
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(0)
  const [customError, setCustomError] = useState<string | null>(null)
  const listRef = useRef<HTMLDivElement>(null)

  const rows = useMemo<Row[]>(() => matchingRows({ available, models, provider, params, query, onAddCustom }), [available, models, provider, params, query, onAddCustom])

  const current = Math.min(active, Math.max(0, rows.length - 1))
  const optionId = (i: number) => `${listId}-opt-${i}`
  const showList = open && rows.length > 0

  useEffect(() => {
    if (!showList) return
    listRef.current?.querySelector(`#${CSS.escape(optionId(current))}`)?.scrollIntoView({ block: 'nearest' })
    // optionId only depends on listId, which never changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current, showList])

  const choose = async (row: Row) => {
    setCustomError(null)
    if (row.kind === 'custom') {
      try {
        await onAddCustom?.(row.id)
        setQuery('')
        setOpen(false)
      } catch (err) {
        setCustomError((err as { message?: string }).message ?? String(err))
      }
      return
    }
    if (blocked?.(row.model.id) && !selected.includes(row.model.id)) return
    onChoose(row.model.id)
    if (!multiple) {
      setQuery('')
      setOpen(false)
    }
  }

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (e.altKey) return setOpen(e.key === 'ArrowDown')
      if (!open) {
        setOpen(true)
        return setActive(Math.max(0, rows.findIndex((r) => r.kind === 'model' && selected.includes(r.model.id))))
      }
      setActive(e.key === 'ArrowDown' ? Math.min(rows.length - 1, current + 1) : Math.max(0, current - 1))
    } else if ((e.key === 'Home' || e.key === 'End') && showList && !query) {
      e.preventDefault()
      setActive(e.key === 'Home' ? 0 : rows.length - 1)
    } else if (e.key === 'Enter' && showList) {
      e.preventDefault()
      void choose(rows[current]!)
    } else if (e.key === 'Escape' && (open || query)) {
      e.preventDefault()
      e.stopPropagation()
      if (open) setOpen(false)
      else setQuery('')
    } else if (e.key === 'Tab') setOpen(false)
  }

  const onType = (value: string) => {
    setQuery(value)
    setActive(0)
    setOpen(true)
    setCustomError(null)
  }

  return { query, open, setOpen, rows, current, setActive, showList, customError, listRef, optionId, choose, onKeyDown, onType }
}
