import type { Settings } from '@shared/settings'
import type { Command } from '../components/CommandPalette'
import { openInBatch } from '../features/library/openIn'
import { useCompare } from '../features/compare/store'
import { useEditor } from '../features/editor/store'
import { useLibrary } from '../features/library/store'
import { activeProvider } from '../features/settings/selectors'
import { useSettings } from '../features/settings/store'
import { modKey } from '../lib/format'
import { copySelectedSupportBundle } from '../features/history/store'
import { copyRequestIdInFocus } from './clipboard'
import { useUi } from './uiStore'
import { shortcutLabel, views } from './views'

/** What the command palette offers: one "Go to" per view, then the actions that work from anywhere. */
export function paletteCommands(settings: Settings | null): Command[] {
  const go = views.map((v) => ({ id: `go-${v.id}`, title: `Go to ${v.label}`, hint: shortcutLabel(v, modKey), run: () => useUi.getState().navigate(v.id) }))
  const provider = activeProvider(settings)
  return [
    ...go,
    { id: 'add-folder', title: 'Add folder to library', run: () => void useLibrary.getState().pick('folders') },
    { id: 'add-files', title: 'Add files to library', run: () => void useLibrary.getState().pick('files') },
    { id: 'run-edit', title: 'Run edit', hint: `${modKey}+Enter`, run: () => void useEditor.getState().run(provider) },
    { id: 'run-compare', title: 'Run comparison', run: () => void useCompare.getState().run(provider) },
    { id: 'new-batch', title: 'New batch from selection', run: () => openInBatch(useLibrary.getState().selected) },
    { id: 'copy-request-id', title: 'Copy request id of the focused or selected request', hint: `${modKey}+Shift+C`, run: copyRequestIdInFocus },
    { id: 'copy-support-bundle', title: 'Copy support bundle of the selected History entry', run: copySelectedSupportBundle },
    {
      id: 'sandbox',
      title: settings?.provider.sandbox ? 'Turn Sandbox mode off' : 'Turn Sandbox mode on',
      run: () => void useSettings.getState().update({ provider: { sandbox: !settings?.provider.sandbox } }).catch((err: { message: string }) => useUi.getState().toast('error', err.message))
    }
  ]
}
