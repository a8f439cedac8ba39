import { memo, useState } from 'react'
import { Icon } from './Icon'

/**
 * A fixed-size frame whatever the image: the box never changes size when the picture arrives, so a
 * grid filling with streamed thumbnails does not move under the pointer. Only a picture known to have
 * an alpha channel sits on a transparency checkerboard; an opaque one (any JPEG) never does.
 */
export const Thumbnail = memo(function Thumbnail({ url, alt, problem, pending, alpha }: { url: string | null; alt: string; problem?: boolean; pending?: boolean; alpha?: boolean }) {
  const [failed, setFailed] = useState(false)
  const [loaded, setLoaded] = useState(false)
  return (
    <div className={`thumb${problem ? ' problem' : ''}${alpha ? ' alpha' : ''}`}>
      {url && !failed ? (
        <img src={url} alt={alt} decoding="async" draggable={false} className={loaded ? 'loaded' : ''} onLoad={() => setLoaded(true)} onError={() => setFailed(true)} />
      ) : problem ? (
        <Icon name="warning" size={22} title="Problem file" />
      ) : pending ? (
        <span className="thumb-spinner" aria-label="Inspecting" />
      ) : (
        <Icon name="file" size={22} />
      )}
    </div>
  )
})
