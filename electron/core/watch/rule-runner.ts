import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, opendir, readFile, stat } from 'node:fs/promises'
import { basename, relative, resolve, sep } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import type { AppErrorData } from '../../../shared/errors'
import { toAppErrorData } from '../../../shared/errors'
import type { WatchFileEvent, WatchRule, WatchRuleState, WatchRuleView } from '../../../shared/watch'
import type { JobEngine } from '../jobs/engine'
import type { BatchSpec, JobEvent } from '../jobs/model'
import { inspectFile } from '../library/inspect'
import { isHidden, scanFolder } from '../library/scan'
import { DEFAULT_OUTPUT_FOLDER } from '../outputs'
import { RuleLedger, type LedgerEntry } from './ledger'
import { compilePatterns } from './patterns'

/** The part of the jobs engine a rule uses. */
export type WatchEngine = Pick<JobEngine, 'createBatch' | 'estimate' | 'list' | 'on' | 'networkState'>

export interface WatchTiming {
  /** How long a file's size must stay the same before it counts as written. */
  stabilityMs: number
  /** How often a growing file's size is looked at. */
  pollMs: number
  /** Files that settle within this window go to the queue as one batch. */
  groupMs: number
  /** How often the folder itself is checked (gone, unreadable, back again) and the day rolled over. */
  healthMs: number
}

export const DEFAULT_WATCH_TIMING: WatchTiming = { stabilityMs: 2000, pollMs: 250, groupMs: 500, healthMs: 5000 }

export interface RuleRunnerDeps {
  dataDir: string
  engine(): Promise<WatchEngine>
  /**
   * The batch for these files (prompt or template, or a pack planned for them; models, parameters,
   * output folder, route). Refuses (throws) when the rule cannot be run as it is, e.g. its pack is gone.
   */
  specFor(rule: WatchRule, files: readonly string[], name: string): BatchSpec | Promise<BatchSpec>
  /** Refuses (throws) a rule that cannot run as it is (its pack gone): shown as the rule's state, tried again on each health check. */
  check?(rule: WatchRule): Promise<void>
  /** Where outputs of this rule go when it names no folder itself (the settings' chosen folder), if anywhere fixed. */
  defaultOutputDir(): string | undefined
  onChange(view: WatchRuleView): void
  /** Every file decided on (queued, passed over, held, refused), as it happens. */
  onFile?(event: WatchFileEvent): void
  timing?: Partial<WatchTiming>
  now?: () => Date
}

interface Settled {
  path: string
  hash: string
  size: number
  mtimeMs: number
}

/** What keeps a rule from running, as its state says it, with the sentence for people. */
interface Problem {
  state: Extract<WatchRuleState, 'folder_missing' | 'folder_unreadable' | 'error'>
  message: string
}

const sameProblem = (a: Problem | undefined, b: Problem | undefined) => a?.state === b?.state && a?.message === b?.message

const KEEP_EVENTS = 25
/** A group is sent at once when it reaches this many files, without waiting for the quiet window. */
const MAX_GROUP = 100

function startOfLocalDay(now: Date): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate())
}

async function hashFile(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

/**
 * One rule at work: watches its folder, waits for each file to stop growing, hashes it, passes over
 * what the ledger already holds, keeps the daily budget and hands the rest to the jobs engine in small
 * batches. Its outputs (and anything else Pixdesk wrote) never count as new files.
 */
export class RuleRunner {
  private watcher: FSWatcher | undefined
  private ledger: RuleLedger | undefined
  private readonly timing: WatchTiming
  private readonly now: () => Date
  private chain: Promise<void> = Promise.resolve()
  private group: Settled[] = []
  private groupTimer: NodeJS.Timeout | undefined
  private healthTimer: NodeJS.Timeout | undefined
  private unsubscribe: (() => void) | undefined
  private stopped = true
  private ready = false
  private checking = false
  private folderProblem: Problem | undefined
  private budgetProblem: string | undefined
  private budgetDay = ''
  private offline = false
  private queuedCount = 0
  private lastFiles: WatchFileEvent[] = []
  private failures: WatchFileEvent[] = []
  private lastError: AppErrorData | undefined
  /** Files whose batch could not be created (the queue busy): offered again on the next health check. */
  private readonly retry = new Set<string>()
  /** Batches this runner created, so their failures are listed with the rule. */
  private readonly batchIds = new Set<string>()
  /** The folder or what counts in it changed: what is there now is the new starting point. */
  private rebaseline = false
  /** Hashes and paths of images Pixdesk wrote, learnt from the engine: never new work. */
  private readonly written = new Set<string>()
  private matches: (relativePath: string) => boolean

  constructor(
    private rule: WatchRule,
    private readonly deps: RuleRunnerDeps
  ) {
    this.timing = { ...DEFAULT_WATCH_TIMING, ...deps.timing }
    this.now = deps.now ?? (() => new Date())
    this.matches = compilePatterns(rule.patterns)
  }

  get id(): string {
    return this.rule.id
  }

  view(): WatchRuleView {
    const state = this.state()
    return {
      rule: this.rule,
      state,
      ...(this.message(state) ? { message: this.message(state) } : {}),
      spentToday: this.ledger?.committedSince(startOfLocalDay(this.now())) ?? 0,
      queuedCount: this.queuedCount,
      lastFiles: [...this.lastFiles],
      failures: [...this.failures],
      ...(this.lastError ? { error: this.lastError } : {})
    }
  }

  private state(): WatchRuleState {
    if (this.rule.paused) return 'paused'
    if (this.folderProblem) return this.folderProblem.state
    if (this.budgetProblem) return 'budget_reached'
    if (this.offline) return 'waiting_network'
    return this.ready ? 'watching' : 'starting'
  }

  private message(state: WatchRuleState): string | undefined {
    if (this.folderProblem && state === this.folderProblem.state) return this.folderProblem.message
    if (state === 'budget_reached') return this.budgetProblem
    if (state === 'waiting_network') return 'The server cannot be reached; queued files are sent when it answers again.'
    return undefined
  }

  /** Starts watching (a paused rule only reports itself). Resolves once existing files have been looked at. */
  async start(): Promise<void> {
    this.stopped = false
    this.ready = false
    if (this.rule.paused) return this.changed()
    if (this.rule.dailyBudget === 0) {
      this.budgetProblem = 'The daily budget is 0 credits, so nothing is sent. Raise the budget to start this rule.'
      return this.changed()
    }
    this.budgetProblem = undefined
    this.budgetDay = startOfLocalDay(this.now()).toISOString()
    this.healthTimer = setInterval(() => void this.checkHealth(), this.timing.healthMs)
    this.healthTimer.unref()
    await this.begin()
  }

  /** Stops watching; work already handed to the queue goes on there. Waits for the file being handled. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.healthTimer)
    clearTimeout(this.groupTimer)
    this.unsubscribe?.()
    this.unsubscribe = undefined
    await this.closeWatcher()
    // Files waiting in a group were never claimed: the next start finds them again.
    this.group = []
    await this.chain
    this.ready = false
  }

  /** Applies an edited rule: stopped and started again, so its folder and patterns take effect. */
  async update(rule: WatchRule): Promise<void> {
    await this.stop()
    const before = this.rule
    const scope = (r: WatchRule) => JSON.stringify([r.folder, r.recursive, r.patterns])
    if (scope(before) !== scope(rule) && !rule.includeExisting) this.rebaseline = true
    this.rule = rule
    this.matches = compilePatterns(rule.patterns)
    this.folderProblem = undefined
    await this.start()
  }

  private async begin(): Promise<void> {
    const problem = await this.problem()
    if (problem) {
      this.folderProblem = problem
      return this.changed()
    }
    this.folderProblem = undefined
    try {
      this.ledger ??= await RuleLedger.open(this.deps.dataDir, this.rule.id)
      const engine = await this.deps.engine()
      this.listen(engine)
      await this.reconcile(engine)
      if (!this.ledger.started() || this.rebaseline) await this.recordBaseline()
      this.rebaseline = false
    } catch (err) {
      this.lastError = toAppErrorData(err)
      this.folderProblem = { state: 'error', message: `The rule could not start: ${this.lastError.message}` }
      return this.changed()
    }
    if (this.stopped) return
    await this.openWatcher()
    // Existing files are examined before the rule reads as watching.
    await this.chain
    this.ready = true
    this.changed()
  }

  private listen(engine: WatchEngine): void {
    if (this.unsubscribe) return
    this.offline = !engine.networkState().online
    this.unsubscribe = engine.on((event: JobEvent) => {
      if (event.type === 'network') {
        if (this.offline === !event.network.online) return
        this.offline = !event.network.online
        this.changed()
      } else if (event.type === 'item.updated') {
        for (const output of event.item.outputs) {
          this.written.add(output.sha256)
          this.written.add(resolve(output.path))
        }
        if (event.item.state === 'failed' && this.isOurs(event.batchId)) {
          const source = event.item.snapshot.inputs[0]?.path ?? ''
          this.note('failures', { path: source, at: this.now().toISOString(), outcome: 'failed', batchId: event.batchId, message: event.item.error?.message ?? 'The request failed.' })
        }
      }
    })
  }

  private isOurs(batchId: string): boolean {
    return this.batchIds.has(batchId)
  }

  /** Claims from a run that stopped between claiming files and queueing them: confirmed, or released. */
  private async reconcile(engine: WatchEngine): Promise<void> {
    const ledger = this.ledger!
    const open = ledger.unconfirmed()
    if (open.length === 0) return
    const batches = engine.list()
    const entries: LedgerEntry[] = open.map((claim) => {
      const batch = batches.find((b) => b.name.endsWith(`#${claim.token}`))
      const at = this.now().toISOString()
      return batch
        ? { t: 'queued', hash: claim.hash, path: claim.path, at: claim.at, token: claim.token, batchId: batch.id, estimate: claim.estimate }
        : { t: 'released', hash: claim.hash, token: claim.token, at }
    })
    await ledger.append(entries)
  }

  /** First start without "include existing": what is in the folder now is the starting point, not work. */
  private async recordBaseline(): Promise<void> {
    const ledger = this.ledger!
    const at = this.now().toISOString()
    let entries: LedgerEntry[] = ledger.started() ? [] : [{ t: 'opened', at }]
    if (!this.rule.includeExisting) {
      for await (const item of scanFolder(this.rule.folder)) {
        if (item.kind !== 'file' || this.ignored(item.path, false) || !this.wanted(item.path)) continue
        const st = await stat(item.path).catch(() => null)
        if (!st) continue
        const hash = await hashFile(item.path)
        if (!ledger.has(hash)) entries.push({ t: 'baseline', hash, path: item.path, size: st.size, mtimeMs: st.mtimeMs, at })
        if (entries.length >= 500) {
          await ledger.append(entries)
          entries = []
        }
      }
    }
    await ledger.append(entries)
  }

  private async openWatcher(): Promise<void> {
    const watcher = watch(this.rule.folder, {
      ignoreInitial: false,
      followSymlinks: false,
      ...(this.rule.recursive ? {} : { depth: 0 }),
      awaitWriteFinish: { stabilityThreshold: this.timing.stabilityMs, pollInterval: this.timing.pollMs },
      ignored: (path, stats) => this.ignored(path, stats?.isDirectory() ?? false)
    })
    this.watcher = watcher
    const seen = (path: string) => {
      if (this.wanted(path)) this.enqueue(path)
    }
    watcher.on('add', seen)
    watcher.on('change', seen)
    // Deleted files need nothing: a claim stays a claim, and a file that vanished before it settled is never read.
    watcher.on('error', () => void this.checkHealth())
    await new Promise<void>((done) => watcher.once('ready', () => done()))
  }

  private async closeWatcher(): Promise<void> {
    const watcher = this.watcher
    this.watcher = undefined
    await watcher?.close()
  }

  private outputDirs(): string[] {
    return [this.rule.outputDir, this.deps.defaultOutputDir()].filter((d): d is string => Boolean(d)).map((d) => resolve(d))
  }

  /** `isDir` only when known to be a folder: the watcher asks about some paths before it has their stats. */
  private ignored(path: string, isDir: boolean): boolean {
    const root = this.rule.folder
    if (path === root) return false
    const parts = relative(root, path).split(sep)
    if (parts.some(isHidden)) return true
    const folders = isDir ? parts : parts.slice(0, -1)
    // Outputs go to a "pixdesk" folder beside their source unless a folder is chosen.
    if (folders.some((p) => p.toLowerCase() === DEFAULT_OUTPUT_FOLDER)) return true
    // Subfolders of a rule that is not recursive (the watcher's depth says so too; the first scan needs it here).
    if (!this.rule.recursive && folders.length > 0) return true
    const abs = resolve(path)
    return this.outputDirs().some((dir) => abs === dir || abs.startsWith(dir + sep))
  }

  private wanted(path: string): boolean {
    return this.matches(relative(this.rule.folder, path))
  }

  private enqueue(path: string): void {
    this.chain = this.chain.then(() => this.examine(path)).catch((err: unknown) => this.fail(path, err))
  }

  /** One settled file: hashed (unless the ledger knows it unchanged), checked, and added to the group. */
  private async examine(path: string): Promise<void> {
    if (this.stopped || !this.ledger) return
    const before = await stat(path).catch(() => null)
    // Deleted (or renamed away) before its turn: nothing to do.
    if (!before?.isFile()) return
    if (this.written.has(resolve(path))) return
    const known = this.ledger.factsOf(path)
    const hash = known && known.size === before.size && known.mtimeMs === before.mtimeMs ? known.hash : await hashFile(path)
    const after = await stat(path).catch(() => null)
    // Still being written after all: its next change event brings it back once it settles.
    if (!after || after.size !== before.size || after.mtimeMs !== before.mtimeMs) return
    if (this.written.has(hash)) return
    if (this.ledger.has(hash) || this.group.some((g) => g.hash === hash)) {
      // Said only for files that arrive while watching; at start every known file would be listed.
      if (this.ready) this.note('lastFiles', { path, at: this.now().toISOString(), outcome: 'skipped_duplicate', message: 'Already processed (same content).' })
      return
    }
    const info = await inspectFile(path)
    if (!info.verdict.ok) {
      const reason = info.verdict.error.message
      await this.ledger.append([{ t: 'unusable', hash, path, size: before.size, mtimeMs: before.mtimeMs, at: this.now().toISOString(), reason }])
      this.note('failures', { path, at: this.now().toISOString(), outcome: 'unusable', message: reason })
      return
    }
    this.group.push({ path, hash, size: before.size, mtimeMs: before.mtimeMs })
    clearTimeout(this.groupTimer)
    if (this.group.length >= MAX_GROUP) this.chain = this.chain.then(() => this.flush())
    else this.groupTimer = setTimeout(() => this.scheduleFlush(), this.timing.groupMs)
  }

  private scheduleFlush(): void {
    this.chain = this.chain.then(() => this.flush()).catch((err: unknown) => this.fail(this.rule.folder, err))
  }

  /** Hands the settled files to the queue, as many as today's budget allows; the rest wait for tomorrow. */
  private async flush(): Promise<void> {
    const files = this.group
    this.group = []
    if (files.length === 0 || this.stopped || !this.ledger) return
    const engine = await this.deps.engine()
    const token = randomBytes(4).toString('hex')
    const name = (list: Settled[]) => `Watch ${this.rule.name}: ${basename(list[0]!.path)}${list.length > 1 ? ` +${list.length - 1}` : ''} #${token}`
    const estimate = await engine.estimate(await this.deps.specFor(this.rule, files.map((f) => f.path), name(files)))
    const perFile = files.length ? estimate.total / files.length : 0
    const fit = this.affordable(files.length, perFile)
    const sending = files.slice(0, fit)
    const held = files.slice(fit)
    const at = this.now().toISOString()
    for (const file of held) this.note('lastFiles', { path: file.path, at, outcome: 'held_budget', message: this.budgetProblem })
    if (sending.length === 0) return this.changed()
    await this.ledger.append(sending.map((f) => ({ t: 'pending', hash: f.hash, path: f.path, size: f.size, mtimeMs: f.mtimeMs, at, token, estimate: perFile })))
    let batchId: string
    try {
      batchId = (await engine.createBatch(await this.deps.specFor(this.rule, sending.map((f) => f.path), name(sending)))).id
    } catch (err) {
      await this.ledger.append(sending.map((f) => ({ t: 'released', hash: f.hash, token, at: this.now().toISOString() })))
      // A refused request stays refused until the rule is changed; anything else (the queue busy) is tried again.
      if (toAppErrorData(err).code !== 'validation') for (const file of sending) this.retry.add(file.path)
      throw err
    }
    await this.ledger.append(sending.map((f) => ({ t: 'queued', hash: f.hash, path: f.path, at, token, batchId, estimate: perFile })))
    this.queuedCount += sending.length
    this.batchIds.add(batchId)
    for (const file of sending) this.note('lastFiles', { path: file.path, at, outcome: 'queued', batchId })
    this.changed()
  }

  /** How many files of `count` fit in what is left of today's budget; sets the budget state when not all do. */
  private affordable(count: number, perFile: number): number {
    const cap = this.rule.dailyBudget
    if (cap === null || perFile <= 0) return count
    const spent = this.ledger!.committedSince(startOfLocalDay(this.now()))
    const fit = Math.max(0, Math.min(count, Math.floor((cap - spent + 1e-9) / perFile)))
    if (fit < count) {
      this.budgetProblem = `Daily budget reached: ${round(spent + fit * perFile)} of ${round(cap)} credits committed today; the next file needs ${round(perFile)}. New files wait until tomorrow (or a higher budget).`
    }
    return fit
  }

  /** What keeps the rule from running now: its folder, or the rule itself (a pack that is gone). */
  private async problem(): Promise<Problem | undefined> {
    const folder = await this.folderState()
    if (folder) return folder
    try {
      await this.deps.check?.(this.rule)
      return undefined
    } catch (err) {
      this.lastError = toAppErrorData(err)
      return { state: 'error', message: `The rule cannot run: ${this.lastError.message}` }
    }
  }

  /**
   * The folder as this process can use it: there, a folder, and readable (listed and entered). The
   * folder is opened for real, since a permission check alone does not see every way a read is refused.
   */
  private async folderState(): Promise<Problem | undefined> {
    const folder = this.rule.folder
    try {
      const st = await stat(folder)
      if (!st.isDirectory()) return { state: 'folder_missing', message: `${folder} is not a folder. Choose a folder to watch; the rule is kept.` }
      await access(folder, constants.R_OK | constants.X_OK)
      await (await opendir(folder)).close()
      return undefined
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        return { state: 'folder_missing', message: `The folder ${folder} is missing (moved, deleted or its drive is not connected). The rule is kept and starts again when the folder is back.` }
      }
      if (code === 'EACCES' || code === 'EPERM') {
        return {
          state: 'folder_unreadable',
          message: `The folder ${folder} cannot be read (permission denied), so nothing in it is sent. Give the user running Pixdesk permission to read and open it (on macOS and Linux, e.g. chmod u+rx on the folder; on macOS also allow Pixdesk under Privacy & Security › Files and Folders). The rule is kept and starts again by itself once the folder can be read.`
        }
      }
      return { state: 'folder_unreadable', message: `The folder ${folder} cannot be read (${code ?? 'error'}), so nothing in it is sent. Check the folder or its drive; the rule is kept and tries again.` }
    }
  }

  /** The folder gone or back, the day rolled over (a new budget), files the queue refused offered again. */
  private async checkHealth(): Promise<void> {
    if (this.stopped || this.checking) return
    this.checking = true
    try {
      await this.checkHealthOnce()
    } finally {
      this.checking = false
    }
  }

  private async checkHealthOnce(): Promise<void> {
    const problem = await this.problem()
    if (this.stopped) return
    if (problem) {
      if (sameProblem(problem, this.folderProblem)) return
      const wasWatching = !this.folderProblem
      this.folderProblem = problem
      if (wasWatching) {
        await this.closeWatcher()
        this.ready = false
      }
      return this.changed()
    }
    if (this.folderProblem) return this.begin()
    const day = startOfLocalDay(this.now()).toISOString()
    if (day !== this.budgetDay && this.budgetProblem) {
      this.budgetDay = day
      this.budgetProblem = undefined
      // Held files were never claimed: watching again from the start finds them.
      await this.closeWatcher()
      return this.begin()
    }
    for (const path of [...this.retry]) {
      this.retry.delete(path)
      this.enqueue(path)
    }
  }

  private fail(path: string, err: unknown): void {
    this.lastError = toAppErrorData(err)
    this.note('failures', { path, at: this.now().toISOString(), outcome: 'failed', message: this.lastError.message })
  }

  private note(list: 'lastFiles' | 'failures', event: WatchFileEvent): void {
    this[list] = [event, ...this[list]].slice(0, KEEP_EVENTS)
    this.deps.onFile?.(event)
    if (list === 'failures') this.changed()
  }

  private changed(): void {
    this.deps.onChange(this.view())
  }
}

function round(credits: number): string {
  return String(Math.round(credits * 100) / 100)
}
