/**
 * Native file dialogs, the file manager and the clipboard, the only pieces of UI the main process owns. Electron implements it in the app;
 * tests substitute answers. A dialog the user cancels returns an empty list or null.
 */
export interface Dialogs {
  openDirectories(): Promise<string[]>
  /** `filters`: the file types offered besides images (a template import's JSON and CSV). */
  openFiles(options?: { images?: boolean; filters?: Array<{ name: string; extensions: string[] }> }): Promise<string[]>
  saveFile(options: { defaultName: string; extensions?: string[] }): Promise<string | null>
  /** Shows a file in the system's file manager (Finder, Explorer, Files). */
  reveal(path: string): Promise<void>
  /** A native yes/no question the page cannot answer for the user; true only for `confirmLabel`. */
  confirm(question: { message: string; detail: string; confirmLabel: string; cancelLabel: string }): Promise<boolean>
  /** Puts text on the system clipboard: the sandboxed window is denied the clipboard permission. */
  copyText(text: string): Promise<void>
}

/** Where there is no window (the CLI), asking is a programming error, not a user error. */
export const noDialogs: Dialogs = {
  openDirectories: () => Promise.reject(new Error('No dialogs without a window')),
  openFiles: () => Promise.reject(new Error('No dialogs without a window')),
  saveFile: () => Promise.reject(new Error('No dialogs without a window')),
  reveal: () => Promise.reject(new Error('No file manager without a window')),
  confirm: () => Promise.reject(new Error('No dialogs without a window')),
  copyText: () => Promise.reject(new Error('No clipboard without a window'))
}
