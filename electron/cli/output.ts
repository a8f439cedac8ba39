import type { AppErrorData } from '../../shared/errors'

export interface Streams {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
}

/**
 * Everything the CLI prints goes through here, so the two modes never mix: with --json stdout carries
 * exactly one JSON object per line (events, then a summary) and nothing else; without it stdout carries
 * tables and lines for people, and a progress bar is drawn on stderr only when stderr is a terminal.
 */
export class Output {
  private bar: ProgressBar | null = null

  constructor(
    readonly json: boolean,
    private readonly streams: Streams = { stdout: process.stdout, stderr: process.stderr }
  ) {}

  /** One JSON line (only in --json mode). */
  event(type: string, fields: Record<string, unknown> = {}): void {
    if (!this.json) return
    this.write(this.streams.stdout, `${JSON.stringify({ type, ...fields })}\n`)
  }

  /** A line for people on stdout (only without --json). */
  line(text = ''): void {
    if (this.json) return
    this.write(this.streams.stdout, `${text}\n`)
  }

  /** A note for people on stderr, in both modes (stdout stays machine-readable with --json). */
  note(text: string): void {
    this.write(this.streams.stderr, `${text}\n`)
  }

  /** The final error of a command: a JSON line with --json, and always a sentence on stderr. */
  error(error: AppErrorData, exitCode: number): void {
    this.event('error', { error, exitCode })
    const extra = [error.requestId ? `request id ${error.requestId}` : '', error.path && !error.message.includes(error.path) ? error.path : '']
      .filter(Boolean)
      .join(', ')
    this.note(`pixdesk: ${error.message}${extra ? ` (${extra})` : ''}`)
  }

  table(headers: string[], rows: Array<Array<string | number>>, align?: Array<'left' | 'right'>): void {
    if (this.json) return
    this.line(formatTable(headers, rows, align))
  }

  /** A progress bar on stderr when it is a terminal, otherwise nothing (logs stay clean). */
  progress(label: string, totalItems: number, totalBytes = 0): ProgressBar {
    const tty = !this.json && this.streams.stderr.isTTY === true
    this.bar = new ProgressBar(tty ? this.streams.stderr : null, label, totalItems, totalBytes)
    return this.bar
  }

  endProgress(): void {
    this.bar?.stop()
    this.bar = null
  }

  private write(stream: NodeJS.WriteStream, text: string): void {
    // The bar lives on the last line of stderr: lift it, print, redraw, so output never lands inside it.
    this.bar?.clear()
    stream.write(text)
    this.bar?.redraw()
  }
}

export class ProgressBar {
  done = 0
  failed = 0
  bytes = 0
  credits = 0
  private lastDraw = 0
  private drawn = false

  constructor(
    private readonly stream: NodeJS.WriteStream | null,
    private readonly label: string,
    public totalItems: number,
    public totalBytes: number
  ) {}

  update(fields: Partial<Pick<ProgressBar, 'done' | 'failed' | 'bytes' | 'credits' | 'totalItems' | 'totalBytes'>>): void {
    Object.assign(this, fields)
    const now = Date.now()
    // Redrawing more than ~10 times a second only costs CPU the requests could use.
    if (now - this.lastDraw >= 100 || this.done + this.failed >= this.totalItems) this.redraw()
  }

  clear(): void {
    if (this.stream && this.drawn) this.stream.write('\r\x1b[2K')
  }

  redraw(): void {
    if (!this.stream) return
    this.lastDraw = Date.now()
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 60))
    const finished = this.done + this.failed
    const ratio = this.totalItems > 0 ? Math.min(1, finished / this.totalItems) : 0
    const filled = Math.round(ratio * width)
    const bytes = this.totalBytes > 0 ? `  ${formatBytes(this.bytes)}/${formatBytes(this.totalBytes)}` : ''
    const failed = this.failed > 0 ? `  ${this.failed} failed` : ''
    const credits = this.credits > 0 ? `  ${formatCredits(this.credits)} cr` : ''
    this.stream.write(`\r\x1b[2K${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${finished}/${this.totalItems}${bytes}${failed}${credits}`)
    this.drawn = true
  }

  stop(): void {
    if (!this.stream || !this.drawn) return
    this.redraw()
    this.stream.write('\n')
    this.drawn = false
  }
}

function formatTable(headers: string[], rows: Array<Array<string | number>>, align: Array<'left' | 'right'> = []): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ''))))
  const render = (row: string[]) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(cell)))
        return align[i] === 'right' ? pad + cell : cell + pad
      })
      .join('  ')
      .trimEnd()
  return [render(headers), render(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(render)].join('\n')
}

function displayWidth(text: string): number {
  return [...text].length
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GB`
}

export function formatCredits(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2)
}
