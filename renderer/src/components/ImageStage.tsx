import { useEffect, useMemo, useState, type KeyboardEvent, type ReactNode } from 'react'
import { ReactCompareSlider } from 'react-compare-slider'
import { Icon } from './Icon'
import { ZoomGroup, ZoomPane } from './ZoomPane'

export interface StagePane {
  key: string
  url: string | null
  title: string
  /** Small line under the title: model, latency, credits, state. */
  meta?: ReactNode
  /** Shown instead of the image while it is not there (running, failed, missing file). */
  placeholder?: ReactNode
}

export type StageMode = 'side-by-side' | 'slider'

function PaneImage({ pane }: { pane: StagePane }) {
  const [failed, setFailed] = useState<string | null>(null)
  if (pane.url && failed !== pane.url) return <img className="stage-img" src={pane.url} alt={pane.title} draggable={false} onError={() => setFailed(pane.url)} />
  return <div className="stage-placeholder">{pane.url ? 'The image could not be loaded.' : (pane.placeholder ?? 'No image')}</div>
}

/**
 * Images judged together: side by side or under a slider, always with zoom and pan that move every
 * pane at once (unless unsynced), so the same detail is compared at the same place and scale.
 */
/** The two sides' titles above a slider, left and right. */
function SliderLabels({ left, right }: { left: StagePane; right: StagePane }) {
  return (
    <div className="stage-labels">
      <span className="stage-label">
        <strong>{left.title}</strong> {left.meta}
      </span>
      <span className="stage-label right">
        <strong>{right.title}</strong> {right.meta}
      </span>
    </div>
  )
}

export function ImageStage({ panes, mode, pair, sync = true, toolbar }: { panes: StagePane[]; mode: StageMode; pair?: [number, number]; sync?: boolean; toolbar?: ReactNode }) {
  const group = useMemo(() => new ZoomGroup(), [])
  useEffect(() => group.setEnabled(sync), [group, sync])
  const [a, b] = pair ?? [0, 1]
  const left = panes[a]
  const right = panes[b]
  const [zoomKey, setZoomKey] = useState(0)

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.metaKey || e.ctrlKey || e.altKey) return
    if (e.key === '+' || e.key === '=') group.drive((p) => p.zoomIn(0.4))
    else if (e.key === '-') group.drive((p) => p.zoomOut(0.4))
    else if (e.key === '0') setZoomKey((k) => k + 1)
    else return
    e.preventDefault()
  }

  return (
    // Focusable by click so + − 0 zoom the pictures the user is looking at, not every stage in the window.
    <div className="stage" tabIndex={-1} onKeyDown={onKeyDown}>
      <div className="stage-toolbar" role="toolbar" aria-label="Zoom">
        {toolbar}
        <span className="spacer" />
        <button type="button" className="icon-btn" aria-label="Zoom out" title="Zoom out (−)" onClick={() => group.drive((p) => p.zoomOut(0.4))}>
          <Icon name="zoomOut" />
        </button>
        <button type="button" className="icon-btn" aria-label="Zoom in" title="Zoom in (+)" onClick={() => group.drive((p) => p.zoomIn(0.4))}>
          <Icon name="zoomIn" />
        </button>
        <button type="button" className="icon-btn" aria-label="Fit to view" title="Fit (0)" onClick={() => setZoomKey((k) => k + 1)}>
          <Icon name="fit" />
        </button>
      </div>
      {mode === 'slider' && left && right && !right.url ? (
        // Nothing to slide against yet: the original alone, with the other side's state over it.
        <div className="stage-slider" key={`p${zoomKey}`}>
          <SliderLabels left={left} right={right} />
          <div className="stage-view">
            <ZoomPane group={group} label={left.title}>
              <PaneImage pane={left} />
            </ZoomPane>
            <div className="stage-overlay">{right.placeholder}</div>
          </div>
        </div>
      ) : mode === 'slider' && left && right ? (
        <div className="stage-slider" key={`s${zoomKey}`}>
          <SliderLabels left={left} right={right} />
          <ReactCompareSlider
            className="compare-slider"
            onlyHandleDraggable
            itemOne={
              <ZoomPane group={group} label={left.title}>
                <PaneImage pane={left} />
              </ZoomPane>
            }
            itemTwo={
              <ZoomPane group={group} label={right.title}>
                <PaneImage pane={right} />
              </ZoomPane>
            }
          />
        </div>
      ) : (
        <div className={`stage-grid n${Math.min(panes.length, 4)}`} key={`g${zoomKey}`}>
          {panes.map((pane) => (
            <figure className="stage-pane" key={pane.key}>
              <figcaption className="stage-caption">
                <strong>{pane.title}</strong>
                <span className="stage-meta">{pane.meta}</span>
              </figcaption>
              <div className="stage-view">
                <ZoomPane group={group} label={pane.title}>
                  <PaneImage pane={pane} />
                </ZoomPane>
              </div>
            </figure>
          ))}
        </div>
      )}
    </div>
  )
}
