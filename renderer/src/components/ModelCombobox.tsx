import { useId, type RefObject } from 'react'
import type { ModelEntry } from '@shared/catalog'
import { providerFacts } from '@shared/providers'
import type { ModelFacts } from '../lib/modelFacts'
import { CostBadge } from './CostBadge'
import { FAMILIES, useModelCombobox, type ModelChoice, type Row } from './useModelCombobox'
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

interface Props extends ModelChoice {
  label: string
  invalid?: boolean
}

interface ModelOptionProps {
  id: string
  facts: ModelFacts
  active: boolean
  selected: boolean
  /** Why it may not be chosen now, when it may not. */
  why: string | null
  onChoose(): void
  onHover(): void
}

function ModelOption({ id, facts, active, selected, why, onChoose, onHover }: ModelOptionProps) {
  return (
    <div
      id={id}
      role="option"
      aria-selected={selected}
      aria-disabled={why ? true : undefined}
      title={why ?? undefined}
      className={`mp-option${active ? ' active' : ''}${selected ? ' selected' : ''}${why ? ' disabled' : ''}`}
      // The text box keeps the focus (and the list stays open) while an option is clicked.
      onMouseDown={(e) => e.preventDefault()}
      onClick={onChoose}
      onMouseMove={onHover}
    >
      <span className="mp-check" aria-hidden>
        {selected ? '✓' : ''}
      </span>
      <ModelFactsBlock facts={facts} />
    </div>
  )
}

interface ModelListboxProps extends Pick<ModelChoice, 'provider' | 'selected' | 'multiple' | 'blocked'> {
  listRef: RefObject<HTMLDivElement | null>
  id: string
  label: string
  show: boolean
  rows: readonly Row[]
  current: number
  optionId(i: number): string
  onChoose(row: Row): void
  onActive(i: number): void
}

function ModelListbox({ listRef, id, label, show, rows, current, optionId, provider, selected, multiple, blocked, onChoose, onActive }: ModelListboxProps) {
  const rowNodes = (family: ModelEntry['family']) =>
    rows.flatMap((row, i) => {
      if (row.kind !== 'model' || row.model.family !== family) return []
      const isSelected = selected.includes(row.model.id)
      const why = isSelected ? null : (blocked?.(row.model.id) ?? null)
      return [
        <ModelOption
          key={row.model.id}
          id={optionId(i)}
          facts={row.facts}
          active={i === current}
          selected={isSelected}
          why={why}
          onChoose={() => onChoose(row)}
          onHover={() => i !== current && onActive(i)}
        />
      ]
    })

  const customIndex = rows.findIndex((r) => r.kind === 'custom')
  const custom = customIndex >= 0 ? (rows[customIndex] as Extract<Row, { kind: 'custom' }>) : null

  return (
    // Kept mounted (empty and hidden when closed) so aria-controls always names an element.
    <div ref={listRef} id={id} role="listbox" aria-label={`${label} choices`} aria-multiselectable={multiple || undefined} className="mp-list" hidden={!show}>
      {show ? FAMILIES.map(({ family, label: heading }) => {
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
      {show && custom ? (
        <div
          id={optionId(customIndex)}
          role="option"
          aria-selected={false}
          className={`mp-option mp-custom${customIndex === current ? ' active' : ''}`}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => onChoose(custom)}
        >
          Use the model id <code>{custom.id}</code> (not in the catalog: routed to {providerFacts[provider].name}, price unknown until a request reports it)
        </div>
      ) : null}
    </div>
  )
}

/**
 * A searchable list of models (the ARIA 1.2 combobox pattern: the text box keeps focus, arrows move the
 * active option, Enter chooses, Escape closes). Each option shows where requests go, what the model
 * accepts and the price per image for the settings chosen now; a model id the catalog does not list can
 * be added from the same box.
 */
export function ModelCombobox({ label, invalid, ...choice }: Props) {
  const inputId = useId()
  const listId = useId()
  const hintId = useId()
  const { available, provider, selected, multiple, blocked } = choice
  const { query, open, setOpen, rows, current, setActive, showList, customError, listRef, optionId, choose, onKeyDown, onType } = useModelCombobox(choice, listId)

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
        onChange={(e) => onType(e.target.value)}
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
      <ModelListbox
        listRef={listRef}
        id={listId}
        label={label}
        show={showList}
        rows={rows}
        current={current}
        optionId={optionId}
        provider={provider}
        selected={selected}
        multiple={multiple}
        blocked={blocked}
        onChoose={(row) => void choose(row)}
        onActive={setActive}
      />
    </div>
  )
}
