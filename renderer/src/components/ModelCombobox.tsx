import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { customModelSchema, findModel, type ModelEntry } from '@shared/catalog'
import { providerFacts } from '@shared/providers'
import type { ProviderId } from '@shared/records'
import { modelFacts, modelMatches, type ModelFacts } from '../lib/modelFacts'
import type { ParamChoice } from '../lib/models'
import { CostBadge } from './CostBadge'
import './model-picker.css'

/** One model's facts: name and id in full (they wrap, never cut), route, price per image, capabilities. */
export function ModelFactsBlock({ facts }: { facts: ModelFacts }) {
  return (
    <div className="mp-facts">
      <div className="mp-title">
        <span className={`family-dot ${facts.family}`} aria-hidden />
        <span className="mp-name">
          <strong>{facts.label}</strong> <code className="mp-id">{facts.id}</code>
        </span>
        {facts.billedByProvider ? (
          <span className="cost-badge unknown" title={`${facts.routeLabel} bills its own account; no credit price applies`}>
            billed by provider
          </span>
        ) : (
          <span className="mp-price">
            <CostBadge credits={facts.pricePerImage} kind="estimate" /> <span className="mp-per">per image</span>
          </span>
        )}
      </div>
      <dl className="mp-caps">
        <div>
          <dt>Route</dt>
          <dd>
            {facts.familyLabel} via {facts.routeLabel}
            {facts.custom ? ' · custom id' : ''}
            {facts.retires ? ` · retires ${facts.retires}` : ''}
          </dd>
        </div>
        <div>
          <dt>Does</dt>
          <dd>{facts.kinds}</dd>
        </div>
        <div>
          <dt>Inputs</dt>
          <dd>{facts.inputs}</dd>
        </div>
        <div>
          <dt>Sizes</dt>
          <dd>{facts.sizes}</dd>
        </div>
        <div>
          <dt>Aspect</dt>
          <dd>{facts.aspectRatios}</dd>
        </div>
        <div>
          <dt>Quality</dt>
          <dd>{facts.qualities}</dd>
        </div>
        <div>
          <dt>Masks</dt>
          <dd>{facts.masks === 'native' ? 'native: sent as the model’s mask' : 'by crop: only the masked region is sent, then placed back'}</dd>
        </div>
        <div>
          <dt>Async</dt>
          <dd>{facts.asyncTasks ? 'yes: tasks resume after a restart' : 'no: answered while connected'}</dd>
        </div>
      </dl>
    </div>
  )
}

interface Props {
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
  label: string
  invalid?: boolean
  onChoose(id: string): void
  onAddCustom?(id: string): Promise<void>
}

type Row = { kind: 'model'; model: ModelEntry; facts: ModelFacts } | { kind: 'custom'; id: string }

const FAMILIES: Array<{ family: ModelEntry['family']; label: string }> = [
  { family: 'gemini', label: 'Gemini' },
  { family: 'gpt', label: 'GPT' },
  { family: 'other', label: 'Other' }
]

/**
 * A searchable list of models (the ARIA 1.2 combobox pattern: the text box keeps focus, arrows move the
 * active option, Enter chooses, Escape closes). Each option shows where requests go, what the model
 * accepts and the price per image for the settings chosen now; a model id the catalog does not list can
 * be added from the same box.
 */
export function ModelCombobox({ models, available, provider, selected, multiple, blocked, params, label, invalid, onChoose, onAddCustom }: Props) {
  const inputId = useId()
  const listId = useId()
  const hintId = useId()
  const [query, setQuery] = useState('')
  const [open, setOpen] = useState(false)
  const [active, setActive] = useState(0)
  const [customError, setCustomError] = useState<string | null>(null)
  const listRef = useRef<HTMLDivElement>(null)

  const rows = useMemo<Row[]>(() => {
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
  }, [available, models, provider, params, query, onAddCustom])

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

  const rowNodes = (family: ModelEntry['family']) =>
    rows.flatMap((row, i) => {
      if (row.kind !== 'model' || row.model.family !== family) return []
      const isSelected = selected.includes(row.model.id)
      const why = isSelected ? null : (blocked?.(row.model.id) ?? null)
      return [
        <div
          key={row.model.id}
          id={optionId(i)}
          role="option"
          aria-selected={isSelected}
          aria-disabled={why ? true : undefined}
          title={why ?? undefined}
          className={`mp-option${i === current ? ' active' : ''}${isSelected ? ' selected' : ''}${why ? ' disabled' : ''}`}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => void choose(row)}
          onMouseMove={() => i !== current && setActive(i)}
        >
          <span className="mp-check" aria-hidden>
            {isSelected ? '✓' : ''}
          </span>
          <ModelFactsBlock facts={row.facts} />
        </div>
      ]
    })

  const customIndex = rows.findIndex((r) => r.kind === 'custom')
  const custom = customIndex >= 0 ? (rows[customIndex] as Extract<Row, { kind: 'custom' }>) : null

  return (
    <div className="mp-combo">
      <label className="field-label" htmlFor={inputId}>
        {label}
      </label>
      <input
        id={inputId}
        type="text"
        role="combobox"
        autoComplete="off"
        spellCheck={false}
        value={query}
        placeholder={multiple ? 'Search models to add, or type a model id' : 'Search by name, id or family, or type a model id'}
        aria-autocomplete="list"
        aria-expanded={showList}
        aria-controls={listId}
        aria-activedescendant={showList ? optionId(current) : undefined}
        aria-describedby={hintId}
        aria-invalid={invalid || undefined}
        onChange={(e) => {
          setQuery(e.target.value)
          setActive(0)
          setOpen(true)
          setCustomError(null)
        }}
        onClick={() => setOpen(true)}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(false)}
      />
      <span id={hintId} className="hint">
        {customError ? (
          <span className="field-error" role="alert">
            {customError}
          </span>
        ) : open && !rows.length ? (
          `No model matches “${query.trim()}”.`
        ) : (
          `↓ lists the ${available.length} models ${providerFacts[provider].name} serves; prices are per image with the settings below.`
        )}
      </span>
      {/* Kept mounted (empty and hidden when closed) so aria-controls always names an element. */}
      <div ref={listRef} id={listId} role="listbox" aria-label={`${label} choices`} aria-multiselectable={multiple || undefined} className="mp-list" hidden={!showList}>
        {showList ? FAMILIES.map(({ family, label: heading }) => {
          const nodes = rowNodes(family)
          return nodes.length ? (
            <div key={family} role="group" aria-label={heading} className="mp-group">
              <div className="mp-group-label" aria-hidden>
                {heading}
              </div>
              {nodes}
            </div>
          ) : null
        }) : null}
        {showList && custom ? (
          <div
            id={optionId(customIndex)}
            role="option"
            aria-selected={false}
            className={`mp-option mp-custom${customIndex === current ? ' active' : ''}`}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => void choose(custom)}
          >
            Use the model id <code>{custom.id}</code> (not in the catalog: routed to {providerFacts[provider].name}, price unknown until a request reports it)
          </div>
        ) : null}
      </div>
    </div>
  )
}
