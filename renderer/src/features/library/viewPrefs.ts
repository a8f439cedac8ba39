import { z } from 'zod'

/**
 * How the library is laid out (sort, thumbnail size and framing, details panel): a preference of this
 * window, not a setting the CLI or the jobs care about, so it is kept in the page's own storage. Read
 * through a schema, since an older or hand-edited value may hold anything.
 */
export const librarySorts = ['name', 'date', 'size', 'problems'] as const
export type LibrarySort = (typeof librarySorts)[number]

export const thumbSizes = { S: 120, M: 168, L: 240 } as const
export type ThumbSize = keyof typeof thumbSizes

const viewPrefsSchema = z.object({
  sort: z.enum(librarySorts).catch('name'),
  thumbSize: z.enum(['S', 'M', 'L']).catch('M'),
  fit: z.enum(['fit', 'fill']).catch('fit'),
  detailsOpen: z.boolean().catch(true)
})
export type LibraryViewPrefs = z.infer<typeof viewPrefsSchema>

const STORAGE_KEY = 'pixdesk.library.view'
export const defaultViewPrefs: LibraryViewPrefs = { sort: 'name', thumbSize: 'M', fit: 'fit', detailsOpen: true }

export function loadViewPrefs(): LibraryViewPrefs {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY)
    if (!raw) return defaultViewPrefs
    const parsed = viewPrefsSchema.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : defaultViewPrefs
  } catch {
    // Storage switched off or a value that is not JSON: the defaults are a fine layout.
    return defaultViewPrefs
  }
}

export function saveViewPrefs(prefs: LibraryViewPrefs): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(prefs))
  } catch {
    // Full or disabled storage: the layout still applies for this session.
  }
}
