import { useEffect } from 'react'
import type { EventMap, MenuCommand } from '@shared/contract'
import { useBatchForm } from '../features/batches/formStore'
import { useCompare } from '../features/compare/store'
import { useEditor } from '../features/editor/store'
import { useLibrary } from '../features/library/store'
import { activeProvider } from '../features/settings/selectors'
import { useSettings } from '../features/settings/store'
import { copySelectedSupportBundle } from '../features/history/store'
import { copyRequestIdInFocus } from './clipboard'
import { useUi, type ViewId } from './uiStore'
import { viewRegistry } from './views'

/** "view-history" → "history", for every view the registry knows. */
function viewOf(command: MenuCommand): ViewId | undefined {
  const id = command.startsWith('view-') ? command.slice('view-'.length) : ''
  return id in viewRegistry ? (id as ViewId) : undefined
}

/** Carries out what the app menu or a clicked notification asks for, with the stores the views use. */
export function runMenuCommand({ command, batchId }: EventMap['app.command']): void {
  const ui = useUi.getState()
  const provider = activeProvider(useSettings.getState().settings)
  const view = viewOf(command)
  if (view) return ui.navigate(view)
  switch (command) {
    case 'import-folder':
    case 'import-files':
      ui.navigate('library')
      void useLibrary.getState().pick(command === 'import-folder' ? 'folders' : 'files')
      return
    case 'run':
      // The view in front decides what Run means; elsewhere it is the single edit.
      if (ui.view === 'compare') void useCompare.getState().run(provider)
      else {
        ui.navigate('editor')
        void useEditor.getState().run(provider)
      }
      return
    case 'run-compare':
      ui.navigate('compare')
      void useCompare.getState().run(provider)
      return
    case 'new-batch':
      useBatchForm.getState().setAssets(useLibrary.getState().selected)
      useBatchForm.getState().setOpen(true)
      ui.navigate('batches')
      return
    case 'command-palette':
      ui.setPalette(!ui.paletteOpen)
      return
    case 'open-batch':
      if (batchId) useBatchForm.getState().selectBatch(batchId)
      ui.navigate('batches')
      return
    case 'copy-request-id':
      copyRequestIdInFocus()
      return
    case 'copy-support-bundle':
      copySelectedSupportBundle()
      return
  }
}

/** Listens for app commands for as long as the app is mounted. */
export function useMenuCommands(): void {
  useEffect(() => useUi.getState().onAppCommand(runMenuCommand), [])
}
