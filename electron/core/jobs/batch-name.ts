import { basename, dirname } from 'node:path'
import { jobInputSource, type ParsedBatchSpec } from './model'

const PROMPT_WORDS_MAX_CHARS = 40

/**
 * A name people recognise in a list when they gave none: what was asked (the template's name, or the
 * prompt's first words), on what (the folder, or the one file), and when. "Remove background ·
 * catalogue · 30 Nov, 14:05" reads better in a list of twenty than "12 items · gpt-image-1.5".
 */
export function batchName(spec: ParsedBatchSpec, context: { templateName?: string; now: number }): string {
  const what = context.templateName ?? promptWords(spec.prompt ?? '') ?? spec.models.map((m) => m.model).join(' vs ')
  const parts = [spec.compare ? `Compare: ${what}` : what]
  const where = sourcesLabel([...spec.files.map((f) => jobInputSource(f)), ...spec.skipped.map((s) => ({ kind: 'file' as const, path: s.path }))])
  if (where) parts.push(where)
  parts.push(new Date(context.now).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }))
  return parts.join(' · ')
}

/** The prompt's opening words, cut at a word boundary; undefined when there is no prompt. */
function promptWords(prompt: string): string | undefined {
  const text = prompt.replace(/\s+/g, ' ').trim()
  if (!text) return undefined
  if (text.length <= PROMPT_WORDS_MAX_CHARS) return text
  const cut = text.slice(0, PROMPT_WORDS_MAX_CHARS)
  const space = cut.lastIndexOf(' ')
  return `${(space > PROMPT_WORDS_MAX_CHARS / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, '')}…`
}

/** One file: its name. Files in one folder: the folder's name. Several folders: the first and how many more. */
function sourcesLabel(sources: ReturnType<typeof jobInputSource>[]): string | undefined {
  const files = sources.filter((s): s is { kind: 'file'; path: string } => s.kind === 'file')
  if (files.length === 0) return sources.length ? `${sources.length} web image${sources.length === 1 ? '' : 's'}` : undefined
  if (files.length === 1 && sources.length === 1) return basename(files[0]!.path)
  const folders = [...new Set(files.map((f) => dirname(f.path)))]
  const first = basename(folders[0]!) || folders[0]!
  return folders.length === 1 ? first : `${first} +${folders.length - 1} folder${folders.length === 2 ? '' : 's'}`
}
