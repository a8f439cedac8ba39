import { useUi } from '../../app/uiStore'
import { useBatchForm } from '../batches/formStore'
import { useCompare } from '../compare/store'
import { useEditor } from '../editor/store'

/** Library images handed to another view: its store takes them, then the app switches to it. */
export function openInEditor(ids: string[]) {
  useEditor.getState().setAssets(ids)
  useEditor.getState().clearResult()
  useUi.getState().navigate('editor')
}

export function openInCompare(id: string) {
  useCompare.getState().setAsset(id)
  useCompare.getState().reset()
  useUi.getState().navigate('compare')
}

export function openInBatch(ids: string[]) {
  useBatchForm.getState().setAssets(ids)
  useBatchForm.getState().setOpen(true)
  useUi.getState().navigate('batches')
}
