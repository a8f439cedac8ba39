/**
 * Simulated outputs kept by what decides them (the first input's content, the prompt, the size and the
 * number of outputs), so a submission seen before is answered without rendering again. Benchmarks of
 * the client turn this on and warm it before timing: otherwise the sandbox's image work, on the same
 * cores, is counted as the client's.
 */

export interface RenderedOutput {
  bytes: Buffer
  mime: string
}

export interface RenderKey {
  inputSha256: string | undefined
  prompt: string
  size: string | undefined
  n: number
}

const MAX_ENTRIES = 1000

export class RenderCache {
  private readonly entries = new Map<string, Promise<RenderedOutput[]>>()

  /** The outputs for `key`, rendered by `render` only the first time (a failed render is not kept). */
  get(key: RenderKey, render: () => Promise<RenderedOutput[]>): Promise<RenderedOutput[]> {
    const id = JSON.stringify([key.inputSha256 ?? null, key.prompt, key.size ?? null, key.n])
    const known = this.entries.get(id)
    if (known) return known
    const rendered = render()
    this.entries.set(id, rendered)
    rendered.catch(() => this.entries.delete(id))
    // Oldest first out: a long-running sandbox with reuse on stays bounded.
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string)
    return rendered
  }
}
