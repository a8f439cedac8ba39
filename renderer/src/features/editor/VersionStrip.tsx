import type { LineageVersionView, LineageView } from '@shared/views'
import { CostBadge } from '../../components/CostBadge'
import { Thumbnail } from '../../components/Thumbnail'
import { formatTime } from '../../lib/format'
import { MiddleTruncate, modelNameTail } from '../../components/MiddleTruncate'
import { modelLabel } from '../../lib/models'
import { useCatalog } from '../settings/catalogStore'
import './versions.css'
import { MaskTag } from './mask/MaskTag'

/** "v2" for the second version in chain order: the name the strip, the stage and the compare labels share. */
export function versionName(lineage: LineageView, recordId: string): string {
  return `v${lineage.versions.findIndex((v) => v.recordId === recordId) + 1}`
}

interface VersionStripProps {
  lineage: LineageView
  /** The version the next run continues from. */
  baseRecordId: string | null
  /** Up to two versions chosen for comparison. */
  comparing: readonly string[]
  onBranch(version: LineageVersionView): void
  onToggleCompare(version: LineageVersionView): void
}

/**
 * The chain of the image on the stage, parents before children (a branch is indented by its depth):
 * pick a version to edit it again, tick two to compare them; the chain's total cost sits on top.
 */
export function VersionStrip({ lineage, baseRecordId, comparing, onBranch, onToggleCompare }: VersionStripProps) {
  const models = useCatalog((s) => s.models)
  return (
    <section className="version-strip" aria-label="Versions">
      <header className="version-strip-header">
        <span className="field-label">Versions</span>
        <span className="muted" data-testid="chain-total">
          Chain total <CostBadge credits={lineage.credits} kind="charged" title="Credits of every version in this chain" />
        </span>
      </header>
      <ol className="version-list">
        {lineage.versions.map((version, i) => {
          const output = version.outputs[0]
          const missing = !output || output.missing
          const name = `v${i + 1}`
          return (
            <li key={version.recordId} className={`version-chip${version.recordId === baseRecordId ? ' on' : ''}${version.recordId === lineage.focusId ? ' focus' : ''}`} data-testid="version-chip" data-depth={version.depth}>
              <button
                type="button"
                className="version-pick"
                disabled={missing}
                aria-pressed={version.recordId === baseRecordId}
                title={missing ? 'The output file is missing: this version cannot be edited again' : 'Edit this version (a new branch when it already has a next version)'}
                onClick={() => onBranch(version)}
              >
                <Thumbnail url={missing ? null : output.url} alt="" problem={missing} />
                {/* The button is named by what it shows (version, prompt, model, cost, time), so speech and sight agree. */}
                <span className="version-name">
                  <span aria-hidden>{'↳'.repeat(Math.min(version.depth, 1))}</span>
                  {name}
                </span>
                <span className="chip-caption" title={version.prompt}>
                  {version.prompt || 'No prompt'}
                </span>
                <span className="version-meta">
                  <MiddleTruncate text={modelLabel(models, version.model)} keepEnd={modelNameTail} focusable={false} />
                  <CostBadge credits={version.credits} kind={version.estimated ? 'estimate' : 'charged'} />
                  <time dateTime={version.at}>{formatTime(version.at)}</time>
                </span>
                {version.mask ? <MaskTag leak={version.mask.leak} /> : null}
                {missing ? <span className="missing-tag">file missing</span> : null}
              </button>
              <label className="version-compare">
                <input type="checkbox" disabled={missing} checked={comparing.includes(version.recordId)} onChange={() => onToggleCompare(version)} /> Compare {name}
              </label>
            </li>
          )
        })}
      </ol>
    </section>
  )
}
