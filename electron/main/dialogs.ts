import { BrowserWindow, dialog, shell } from 'electron'
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
        filters: opts?.images ? [{ name: 'Images', extensions: IMAGE_EXTENSIONS }] : []
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
    }
  }
}
