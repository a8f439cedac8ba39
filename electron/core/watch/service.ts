import type { Settings } from '../../../shared/settings'
import type { WatchRule, WatchRuleInput, WatchRuleView } from '../../../shared/watch'
import type { Catalog } from '../catalog'
import type { BatchSpec } from '../jobs/model'
import { chosenOutputFolder } from '../outputs'
import { openPackStore, type PackStore } from '../packs/store'
import { providerAdapter } from '../providers/registry'
import { RuleLedger } from './ledger'
import { checkPackRule, packRuleSpec, type PackLookup } from './pack-rule'
import { RuleRunner, type WatchEngine, type WatchTiming } from './rule-runner'
import { WatchRuleStore } from './rules-store'

export interface WatchServiceOptions {
  dataDir: string
  engine(): Promise<WatchEngine>
  settings(): Settings
  /** Prices and model sizes, for rules that run a pack. */
  catalog: Catalog
  timing?: Partial<WatchTiming>
  now?: () => Date
}

/**
 * The watch rules of this data folder at work while the app is open: each rule's runner is started
 * with the service, and again after every edit; pausing stops its watcher and is remembered in the
 * rule, so a paused rule stays paused after a restart.
 */
export class WatchService {
  private readonly store: WatchRuleStore
  private readonly runners = new Map<string, RuleRunner>()
  private readonly listeners = new Set<(view: WatchRuleView) => void>()
  private started = false
  private packStore: Promise<PackStore> | undefined

  constructor(private readonly options: WatchServiceOptions) {
    this.store = new WatchRuleStore(options.dataDir, options.now)
  }

  private readonly findPack: PackLookup = async (id) => (await (this.packStore ??= openPackStore({ dataDir: this.options.dataDir }))).find(id)

  /** Starts every stored rule; resolves once each has looked at its folder. */
  async start(): Promise<void> {
    this.started = true
    for (const rule of await this.store.list()) {
      if (!this.runners.has(rule.id)) await this.runnerFor(rule).start()
    }
  }

  on(listener: (view: WatchRuleView) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Problems with the rules file (entries kept but not run). */
  problems(): string[] {
    return this.store.problems()
  }

  async list(): Promise<WatchRuleView[]> {
    const rules = await this.store.list()
    return rules.map((rule) => this.runners.get(rule.id)?.view() ?? idleView(rule))
  }

  async get(id: string): Promise<WatchRuleView> {
    const rule = await this.store.get(id)
    return this.runners.get(id)?.view() ?? idleView(rule)
  }

  async create(input: WatchRuleInput): Promise<WatchRuleView> {
    await this.checkPack(input)
    const rule = await this.store.create(input)
    return this.run(rule)
  }

  async update(id: string, input: WatchRuleInput): Promise<WatchRuleView> {
    await this.checkPack(input)
    const rule = await this.store.update(id, input)
    return this.run(rule)
  }

  async setPaused(id: string, paused: boolean): Promise<WatchRuleView> {
    const rule = await this.store.setPaused(id, paused)
    return this.run(rule)
  }

  /** Deletes the rule and its ledger; work it already queued goes on in the queue. */
  async remove(id: string): Promise<void> {
    await this.store.remove(id)
    const runner = this.runners.get(id)
    this.runners.delete(id)
    await runner?.stop()
    await RuleLedger.remove(this.options.dataDir, id)
  }

  async close(): Promise<void> {
    this.started = false
    const all = [...this.runners.values()]
    this.runners.clear()
    await Promise.all(all.map((r) => r.stop()))
  }

  /** A rule naming a pack that does not exist is refused when saved, with the packs there are. */
  private async checkPack(input: WatchRuleInput): Promise<void> {
    if (input.packId) await this.findPack(input.packId)
  }

  private async run(rule: WatchRule): Promise<WatchRuleView> {
    if (!this.started) return idleView(rule)
    const runner = this.runners.get(rule.id)
    if (runner) await runner.update(rule)
    else await this.runnerFor(rule).start()
    return this.runners.get(rule.id)!.view()
  }

  private runnerFor(rule: WatchRule): RuleRunner {
    const runner = new RuleRunner(rule, {
      dataDir: this.options.dataDir,
      engine: this.options.engine,
      specFor: (r, files, name) => appSpecFor(r, files, name, this.options.settings(), { catalog: this.options.catalog, findPack: this.findPack }),
      check: async (r) => {
        if (r.packId) await checkPackRule(r, this.findPack, { catalog: this.options.catalog, provider: this.options.settings().provider.active })
      },
      defaultOutputDir: () => chosenOutputFolder(this.options.settings().output),
      onChange: (view) => {
        for (const listener of [...this.listeners]) listener(view)
      },
      timing: this.options.timing,
      now: this.options.now
    })
    this.runners.set(rule.id, runner)
    return runner
  }
}

function idleView(rule: WatchRule): WatchRuleView {
  return { rule, state: rule.paused ? 'paused' : 'starting', spentToday: 0, queuedCount: 0, lastFiles: [], failures: [] }
}

/** A rule's batch as the app sends it: the active provider, its route and the settings' output folder. */
export function appSpecFor(
  rule: WatchRule,
  files: readonly string[],
  name: string,
  settings: Settings,
  packs: { catalog: Catalog; findPack: PackLookup }
): BatchSpec | Promise<BatchSpec> {
  const provider = settings.provider.active
  const outputDir = rule.outputDir ?? chosenOutputFolder(settings.output)
  const route = providerAdapter(provider).routeFromSettings?.(settings) ?? 'sync'
  if (rule.packId) return packRuleSpec(rule, files, name, packs.findPack, { catalog: packs.catalog, provider, route, outputDir, sandbox: settings.provider.sandbox })
  return {
    ...ruleRequest(rule, files, name),
    models: rule.models.map((model) => ({ model, provider })),
    route,
    ...(outputDir ? { outputDir } : {}),
    sandbox: settings.provider.sandbox
  }
}

/** What every rule's batch carries, whoever sends it. */
export function ruleRequest(rule: WatchRule, files: readonly string[], name: string) {
  return {
    name,
    kind: 'edit' as const,
    files: files.map((path) => ({ path })),
    ...(rule.templateId ? { templateId: rule.templateId, variables: rule.variables } : {}),
    ...(rule.prompt?.trim() ? { prompt: rule.prompt } : {}),
    params: { n: 1, ...rule.params },
    // The rule's ledger decides what is new; an identical request succeeded before is still not paid twice.
    duplicates: 'skip' as const
  }
}
