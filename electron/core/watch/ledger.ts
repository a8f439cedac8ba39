import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'

/**
 * A rule's durable memory of what it has handled, one JSON line per fact, appended and flushed before
 * anything depends on it: the content hashes already sent (or deliberately passed over), and the
 * credits committed per day. Read back whole when the rule starts, so a restart never sends a file again.
 *
 * A file is claimed in two steps around queueing: `pending` (with a token the batch's name carries) is
 * flushed before the batch is created, `queued` (with the batch id) after. A `pending` line without its
 * `queued` one means the process stopped in between: the token tells whether the batch exists.
 */
const entrySchema = z.discriminatedUnion('t', [
  /** Written when the rule first starts: from then on, every file the ledger does not name is new. */
  z.object({ t: z.literal('opened'), at: z.string() }),
  /** Already in the folder when the rule first started, and the rule was not asked to process those. */
  z.object({ t: z.literal('baseline'), hash: z.string(), path: z.string(), size: z.number(), mtimeMs: z.number(), at: z.string() }),
  z.object({ t: z.literal('pending'), hash: z.string(), path: z.string(), size: z.number(), mtimeMs: z.number(), at: z.string(), token: z.string(), estimate: z.number() }),
  z.object({ t: z.literal('queued'), hash: z.string(), path: z.string(), at: z.string(), token: z.string(), batchId: z.string(), estimate: z.number() }),
  /** The claim was never turned into a batch (found so after a restart): the file is free again. */
  z.object({ t: z.literal('released'), hash: z.string(), token: z.string(), at: z.string() }),
  /** Not an image the models take; kept so it is not inspected again until its content changes. */
  z.object({ t: z.literal('unusable'), hash: z.string(), path: z.string(), size: z.number(), mtimeMs: z.number(), at: z.string(), reason: z.string() })
])
export type LedgerEntry = z.infer<typeof entrySchema>

interface Claim {
  hash: string
  path: string
  token: string
  at: string
  estimate: number
  batchId?: string
}

export interface FileFacts {
  size: number
  mtimeMs: number
  hash: string
}

export class RuleLedger {
  /** Hash → why it is done (baseline, unusable, or a claim). */
  private readonly done = new Map<string, 'baseline' | 'unusable' | 'claimed'>()
  private readonly claims = new Map<string, Claim>()
  /** Path → what it held when last hashed, so an unchanged file is not read again at every start. */
  private readonly known = new Map<string, FileFacts>()
  private exists = false
  private torn = 0
  /** The file ends in a torn line: the next write starts on a line of its own, or it would be lost with it. */
  private endsTorn = false

  private constructor(private readonly file: string) {}

  static async open(dataDir: string, ruleId: string): Promise<RuleLedger> {
    const dir = join(dataDir, 'watch')
    await mkdir(dir, { recursive: true })
    const ledger = new RuleLedger(join(dir, `${ruleId}.jsonl`))
    await ledger.load()
    return ledger
  }

  static async remove(dataDir: string, ruleId: string): Promise<void> {
    await rm(join(dataDir, 'watch', `${ruleId}.jsonl`), { force: true })
  }

  /** False on a rule's very first start (nothing was ever written). */
  started(): boolean {
    return this.exists
  }

  /** Lines that could not be read (a torn last line after a crash); skipped. */
  unreadableLines(): number {
    return this.torn
  }

  has(hash: string): boolean {
    return this.done.has(hash)
  }

  factsOf(path: string): FileFacts | undefined {
    return this.known.get(path)
  }

  /** Claims whose batch was not confirmed (the process stopped between claim and queue). */
  unconfirmed(): Claim[] {
    return [...this.claims.values()].filter((c) => !c.batchId)
  }

  /** Credits committed by claims made since `since` (the start of the local day). */
  committedSince(since: Date): number {
    let sum = 0
    for (const claim of this.claims.values()) if (Date.parse(claim.at) >= since.getTime()) sum += claim.estimate
    return sum
  }

  async append(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return
    const text = (this.endsTorn ? '\n' : '') + entries.map((e) => JSON.stringify(e)).join('\n') + '\n'
    // One write and one flush per group: a crash leaves whole lines, at worst a torn last one.
    const handle = await open(this.file, 'a')
    try {
      await handle.write(text)
      await handle.sync()
    } catch (err) {
      // Part of the text may be on disk: the next write starts a new line (an empty line is skipped).
      this.endsTorn = true
      throw err
    } finally {
      await handle.close()
    }
    this.exists = true
    this.endsTorn = false
    for (const entry of entries) this.apply(entry)
  }

  private async load(): Promise<void> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    this.exists = true
    this.endsTorn = text.length > 0 && !text.endsWith('\n')
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      let parsed: ReturnType<typeof entrySchema.safeParse>
      try {
        parsed = entrySchema.safeParse(JSON.parse(line))
      } catch {
        this.torn++
        continue
      }
      if (parsed.success) this.apply(parsed.data)
      else this.torn++
    }
  }

  private apply(entry: LedgerEntry): void {
    switch (entry.t) {
      case 'opened':
        return
      case 'baseline':
      case 'unusable':
        this.done.set(entry.hash, entry.t)
        this.known.set(entry.path, { size: entry.size, mtimeMs: entry.mtimeMs, hash: entry.hash })
        return
      case 'pending':
        this.done.set(entry.hash, 'claimed')
        this.claims.set(entry.token + entry.hash, { hash: entry.hash, path: entry.path, token: entry.token, at: entry.at, estimate: entry.estimate })
        this.known.set(entry.path, { size: entry.size, mtimeMs: entry.mtimeMs, hash: entry.hash })
        return
      case 'queued': {
        this.done.set(entry.hash, 'claimed')
        const claim = this.claims.get(entry.token + entry.hash)
        if (claim) claim.batchId = entry.batchId
        else this.claims.set(entry.token + entry.hash, { hash: entry.hash, path: entry.path, token: entry.token, at: entry.at, estimate: entry.estimate, batchId: entry.batchId })
        return
      }
      case 'released':
        this.claims.delete(entry.token + entry.hash)
        if (![...this.claims.values()].some((c) => c.hash === entry.hash)) this.done.delete(entry.hash)
        return
    }
  }
}
