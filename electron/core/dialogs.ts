/**
 * Native file dialogs, the one piece of UI the main process owns. Electron implements it in the app;
 * tests substitute answers. A dialog the user cancels returns an empty list or null.
 */
export interface Dialogs {
  openDirectories(): Promise<string[]>
  openFiles(options?: { images?: boolean }): Promise<string[]>
  saveFile(options: { defaultName: string; extensions?: string[] }): Promise<string | null>
}

/** Where there is no window (the CLI), asking is a programming error, not a user error. */
export const noDialogs: Dialogs = {
  openDirectories: () => Promise.reject(new Error('No dialogs without a window')),
  openFiles: () => Promise.reject(new Error('No dialogs without a window')),
  saveFile: () => Promise.reject(new Error('No dialogs without a window'))
}
