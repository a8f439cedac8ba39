import { BrowserWindow, clipboard, dialog, shell } from 'electron'
import type { Dialogs } from '../core/dialogs'

const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'tif', 'tiff', 'heic', 'heif', 'svg']

export function electronDialogs(getWindow: () => BrowserWindow | null): Dialogs {
  const parent = () => getWindow() ?? BrowserWindow.getFocusedWindow() ?? undefined
  return {
    async openDirectories() {
      const win = parent()
      const options: Electron.OpenDialogOptions = { properties: ['openDirectory', 'multiSelections'] }
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
      return result.canceled ? [] : result.filePaths
    },
    async openFiles(opts) {
      const win = parent()
      const options: Electron.OpenDialogOptions = {
        properties: ['openFile', 'multiSelections'],
        filters: [...(opts?.images ? [{ name: 'Images', extensions: IMAGE_EXTENSIONS }] : []), ...(opts?.filters ?? [])]
      }
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
      return result.canceled ? [] : result.filePaths
    },
    async saveFile({ defaultName, extensions }) {
      const win = parent()
      const options: Electron.SaveDialogOptions = {
        defaultPath: defaultName,
        filters: extensions ? [{ name: extensions.join(', ').toUpperCase(), extensions }] : []
      }
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options)
      return result.canceled || !result.filePath ? null : result.filePath
    },
    async reveal(path) {
      shell.showItemInFolder(path)
    },
    async confirm({ message, detail, confirmLabel, cancelLabel }) {
      const win = parent()
      // Cancel is the default and the Escape answer: a stray Enter must not send a key somewhere new.
      const options: Electron.MessageBoxOptions = { type: 'warning', message, detail, buttons: [cancelLabel, confirmLabel], defaultId: 0, cancelId: 0, noLink: true }
      const result = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options)
      return result.response === 1
    },
    async copyText(text) {
      clipboard.writeText(text)
    }
  }
}
