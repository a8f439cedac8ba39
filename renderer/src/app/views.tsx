import type { ComponentType } from 'react'
import type { IconName } from '../components/Icon'
import { BatchesView } from '../features/batches/BatchesView'
import { CompareView } from '../features/compare/CompareView'
import { EditorView } from '../features/editor/EditorView'
import { HistoryView } from '../features/history/HistoryView'
import { KitsView } from '../features/kits/KitsView'
import { LibraryView } from '../features/library/LibraryView'
import { PacksView } from '../features/packs/PacksView'
import { SettingsView } from '../features/settings/SettingsView'
import { TemplatesView } from '../features/templates/TemplatesView'
import { WatchView } from '../features/watch/WatchView'
import type { ViewId } from './uiStore'

export interface ViewDefinition {
  /** Sidebar label; the palette offers "Go to <label>". */
  label: string
  icon: IconName
  /** Ctrl/Cmd + this key opens the view (with Shift when `shift`: the plain letter is taken by a command). */
  shortcut: string
  shift?: boolean
  component: ComponentType
}

/**
 * Every view the sidebar offers, in sidebar order. Keyed by ViewId so a view named in the union but
 * missing here (or the reverse) fails to compile.
 */
export const viewRegistry: Record<ViewId, ViewDefinition> = {
  library: { label: 'Library', icon: 'library', shortcut: '1', component: LibraryView },
  editor: { label: 'Edit', icon: 'edit', shortcut: '2', component: EditorView },
  compare: { label: 'Compare', icon: 'compare', shortcut: '3', component: CompareView },
  batches: { label: 'Batches', icon: 'batches', shortcut: '4', component: BatchesView },
  history: { label: 'History', icon: 'history', shortcut: '5', component: HistoryView },
  settings: { label: 'Settings', icon: 'settings', shortcut: '6', component: SettingsView },
  templates: { label: 'Templates', icon: 'sparkle', shortcut: '7', component: TemplatesView },
  packs: { label: 'Packs', icon: 'fit', shortcut: '8', component: PacksView },
  watch: { label: 'Watch', icon: 'folder', shortcut: '9', component: WatchView },
  // Ctrl/Cmd+B is "New batch from selection", and Ctrl/Cmd+0 resets the zoom.
  kits: { label: 'Brand kits', icon: 'swatches', shortcut: 'b', shift: true, component: KitsView }
}

export const views: ReadonlyArray<ViewDefinition & { id: ViewId }> = (Object.keys(viewRegistry) as ViewId[]).map((id) => ({ id, ...viewRegistry[id] }))

export function viewForShortcut(key: string, shift: boolean): ViewId | undefined {
  return views.find((v) => v.shortcut === key.toLowerCase() && Boolean(v.shift) === shift)?.id
}

/** "Ctrl+5", "Ctrl+Shift+B": how a view's shortcut is written in titles and the palette. */
export const shortcutLabel = (view: Pick<ViewDefinition, 'shortcut' | 'shift'>, modKey: string): string =>
  `${modKey}+${view.shift ? 'Shift+' : ''}${view.shortcut.toUpperCase()}`
