import type { OutputView } from '@shared/views'
import { useUi } from '../../app/uiStore'
import { useEditor } from './store'

/** "Continue from this": an earlier result becomes the image to edit, with the model that made it. */
export function continueInEditor(recordId: string, output: OutputView, model?: string) {
  useEditor.getState().continueFrom({ recordId, outputIndex: output.index, url: output.url, name: output.name, width: output.width, height: output.height }, model)
  useUi.getState().navigate('editor')
}
