import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { watchRuleInputSchema, watchRuleSchema, type WatchRule, type WatchRuleInput } from '../../../shared/watch'
import { backupFile, readJsonFile, writeJsonAtomic } from '../atomic'

/**
 * Watch rules in `watch-rules.json` in the data folder, replaced whole on every change (temporary file,
 * flush, rename) after re-reading it, so the app and a command editing it never lose each other's
 * rules. An entry that no longer validates is kept in the file as it is and reported, never dropped; a
 * file that is not JSON is copied aside before a new one is started.
 */
const FILE = 'watch-rules.json'

interface Loaded {
  rules: WatchRule[]
  kept: unknown[]
  warnings: string[]
}

export class WatchRuleStore {
  private warnings: string[] = []

  constructor(
    private readonly dataDir: string,
    private readonly now: () => Date = () => new Date()
  ) {}

  private get file(): string {
    return join(this.dataDir, FILE)
  }

  async list(): Promise<WatchRule[]> {
    return (await this.load()).rules
  }

  problems(): string[] {
    return [...this.warnings]
  }

  async get(id: string): Promise<WatchRule> {
    const rule = (await this.list()).find((r) => r.id === id)
    if (!rule) throw new AppError({ code: 'not_found', field: 'id', message: `There is no watch rule "${id}" (it may have been deleted).` })
    return rule
  }

  async create(input: WatchRuleInput): Promise<WatchRule> {
    const parsed = parseInput(input)
    const at = this.now().toISOString()
    const rule: WatchRule = { ...parsed, id: randomUUID(), name: parsed.name || defaultName(parsed.folder), paused: false, createdAt: at, updatedAt: at }
    await this.change((rules) => [...rules, rule])
    return rule
  }

  async update(id: string, input: WatchRuleInput): Promise<WatchRule> {
    const parsed = parseInput(input)
    let updated: WatchRule | undefined
    await this.change((rules) =>
      rules.map((r) => {
        if (r.id !== id) return r
        updated = { ...r, ...parsed, name: parsed.name || defaultName(parsed.folder), updatedAt: this.now().toISOString() }
        // Fields the form left out are cleared, not kept from before.
        if (input.outputDir === undefined) delete updated.outputDir
        if (input.templateId === undefined) delete updated.templateId
        if (input.prompt === undefined) delete updated.prompt
        if (input.packId === undefined) delete updated.packId
        if (input.allowUpscale === undefined) delete updated.allowUpscale
        return updated
      })
    )
    if (!updated) throw new AppError({ code: 'not_found', field: 'id', message: `There is no watch rule "${id}" (it may have been deleted).` })
    return updated
  }

  async setPaused(id: string, paused: boolean): Promise<WatchRule> {
    let updated: WatchRule | undefined
    await this.change((rules) => rules.map((r) => (r.id === id ? (updated = { ...r, paused, updatedAt: this.now().toISOString() }) : r)))
    if (!updated) throw new AppError({ code: 'not_found', field: 'id', message: `There is no watch rule "${id}" (it may have been deleted).` })
    return updated
  }

  async remove(id: string): Promise<void> {
    let found = false
    await this.change((rules) => rules.filter((r) => (r.id === id ? ((found = true), false) : true)))
    if (!found) throw new AppError({ code: 'not_found', field: 'id', message: `There is no watch rule "${id}" (it may have been deleted).` })
  }

  private async change(edit: (rules: WatchRule[]) => WatchRule[]): Promise<void> {
    const loaded = await this.load()
    const rules = edit(loaded.rules)
    await writeJsonAtomic(this.file, { version: 1, rules: [...rules, ...loaded.kept] })
  }

  private async load(): Promise<Loaded> {
    const read = await readJsonFile(this.file)
    const loaded: Loaded = { rules: [], kept: [], warnings: [] }
    if (read.kind === 'missing') return this.remember(loaded)
    if (read.kind === 'unreadable') throw new AppError({ code: 'internal', path: this.file, message: `The watch rules cannot be read: ${read.reason}` })
    const entries = read.kind === 'ok' ? (read.value as { rules?: unknown })?.rules : undefined
    if (read.kind === 'corrupt' || !Array.isArray(entries)) {
      const backup = await backupFile(this.file, 'corrupt', this.now())
      await writeJsonAtomic(this.file, { version: 1, rules: [] })
      loaded.warnings.push(`The watch rules file could not be read (${read.kind === 'corrupt' ? read.reason : 'no rule list'}); it was kept as ${backup} and a new one started.`)
      return this.remember(loaded)
    }
    for (const entry of entries) {
      const parsed = watchRuleSchema.safeParse(entry)
      if (parsed.success) loaded.rules.push(parsed.data)
      else {
        loaded.kept.push(entry)
        const id = typeof (entry as { id?: unknown })?.id === 'string' ? (entry as { id: string }).id : '(no id)'
        loaded.warnings.push(`Watch rule ${id} is not valid (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); it is kept in the file but not run.`)
      }
    }
    return this.remember(loaded)
  }

  private remember(loaded: Loaded): Loaded {
    this.warnings = loaded.warnings
    return loaded
  }
}

function parseInput(input: WatchRuleInput) {
  const parsed = watchRuleInputSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new AppError({ code: 'validation', field: issue?.path.join('.') || undefined, message: issue?.message ?? 'The watch rule is not valid.' })
  }
  return { ...parsed.data, folder: resolve(parsed.data.folder), ...(parsed.data.outputDir ? { outputDir: resolve(parsed.data.outputDir) } : {}) }
}

function defaultName(folder: string): string {
  return folder.split(/[\\/]/).filter(Boolean).at(-1) ?? folder
}
