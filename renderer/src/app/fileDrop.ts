import { useEffect, useState, type DragEvent } from 'react'
import { useLibrary } from '../features/library/store'
import { useUi } from './uiStore'

/** Dropped or pasted files go to the library; folders need the desktop app, which knows their paths. */
function importDropped(files: FileList | null | undefined) {
  if (!files?.length) return
  useUi.getState().navigate('library')
  void useLibrary
    .getState()
    .importFiles([...files])
    .then(({ added, refused }) => {
      for (const reason of refused) useUi.getState().toast('error', reason)
      if (added) useUi.getState().toast('info', `${added === 1 ? 'One image' : `${added} images`} added to the library.`)
    })
}

/** Files dropped on the window or pasted anywhere in it are imported; `dragging` drives the drop overlay. */
export function useFileDrop() {
  const [dragging, setDragging] = useState(false)

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      if (e.clipboardData?.files.length) {
        e.preventDefault()
        importDropped(e.clipboardData.files)
      }
    }
    window.addEventListener('paste', onPaste)
    return () => window.removeEventListener('paste', onPaste)
  }, [])

  const handlers = {
    onDragOver(e: DragEvent) {
      if ([...e.dataTransfer.types].includes('Files')) {
        e.preventDefault()
        setDragging(true)
      }
    },
    onDragLeave(e: DragEvent) {
      if (e.currentTarget === e.target) setDragging(false)
    },
    onDrop(e: DragEvent) {
      e.preventDefault()
      setDragging(false)
      importDropped(e.dataTransfer.files)
    }
  }
  return { dragging, handlers }
}
