import { spawn, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'

/**
 * Runs the `pixdesk` command line as a child process, the way `npx pixdesk` does, for the integration
 * tests: to completion, or left running (watch, a sandbox server) with its output readable as it comes.
 */

/** The launcher `npx pixdesk` starts; it runs the build when current, the sources otherwise. */
export const pixdeskBin = join(resolve(import.meta.dirname, '..', '..'), 'bin', 'pixdesk.cjs')

/** One `--json` line: every command writes objects with a `type`. */
export type CliEvent = { type: string } & Record<string, unknown>

export interface CliOptions {
  /** PIXDESK_HOME: a run never touches the real settings, keychain fallback, history or queue. */
  home: string
  /** PIXAPI_BASE_URL (a sandbox). Without it the variable is removed, so a runner's own cannot leak in. */
  baseUrl?: string
  /** Set (or, with undefined, remove) after the rest: a key given on purpose, HOME, a bus address. */
  env?: Record<string, string | undefined>
  cwd?: string
  /** Written to standard input, which is then closed; without it the command gets no standard input. */
  input?: string
  /**
   * Run without root's power to read and enter any folder: a permission test means nothing otherwise.
   * The command stays root (so a checkout only root can enter still works) with the two file-permission
   * capabilities dropped for good, so folder modes hold it back as they hold back anyone else.
   */
  withoutFileOverride?: boolean
}

/** setpriv drops the capabilities from the bounding and inheritable sets, so the command cannot regain them. */
const WITHOUT_FILE_OVERRIDE = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search', '--']

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  events: CliEvent[]
}

export interface CliProcess {
  child: ChildProcess
  /** The output so far. */
  stdout(): string
  stderr(): string
  events(): CliEvent[]
  /**
   * Resolves once `check` holds, looking again at each piece of output; rejects after `timeoutMs`, or at
   * once if the command ends first (with its stderr, so the failure says why). Standard output and
   * error are separate pipes: what one says may reach us a moment after what the other says next.
   */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>
  /** Sends the signal (as Ctrl-C or a service manager would) and gives the result once it has ended. */
  stop(signal: 'SIGINT' | 'SIGTERM'): Promise<CliResult>
  finished: Promise<CliResult>
}

/** Keys a developer or a CI runner may have set: a test that needs one passes it in `env`. */
const PROVIDER_KEYS = ['PIXAPI_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY']

function cliEnv({ home, baseUrl, env = {} }: CliOptions): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env, PIXDESK_HOME: home }
  for (const name of [...PROVIDER_KEYS, 'PIXAPI_BASE_URL']) delete result[name]
  if (baseUrl !== undefined) result.PIXAPI_BASE_URL = baseUrl
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete result[name]
    else result[name] = value
  }
  return result
}

/**
 * The objects among the lines of standard output. Other lines are passed over, not failed on: text
 * around the JSON (warnings), and documents printed whole (`history export --format json` pretty-prints).
 */
export function jsonLines(stdout: string): CliEvent[] {
  return stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return []
    try {
      return [JSON.parse(line) as CliEvent]
    } catch {
      return []
    }
  })
}

/** Starts `pixdesk <args>` and leaves it running. */
export function startCli(args: string[], options: CliOptions): CliProcess {
  const { cwd, input } = options
  const command = [process.execPath, pixdeskBin, ...args]
  const [file, ...rest] = options.withoutFileOverride ? ['setpriv', ...WITHOUT_FILE_OVERRIDE, ...command] : command
  const child = spawn(file!, rest, { cwd, env: cliEnv(options), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  // Decoded as a stream: a chunk may end inside a multi-byte character (×, ≤, … in the tables).
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  child.stdin?.end(input)
  let closed = false
  const finished = new Promise<CliResult>((done, fail) => {
    child.once('error', fail)
    child.once('close', (code, signal) => {
      closed = true
      done({ code, signal, stdout, stderr, events: jsonLines(stdout) })
    })
  })

  function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    return new Promise((done, fail) => {
      const stopWatching = () => {
        clearTimeout(timer)
        child.stdout!.off('data', look)
        child.stderr!.off('data', look)
        child.off('close', ended)
      }
      const look = () => {
        if (!check()) return
        stopWatching()
        done()
      }
      const ended = (code: number | null, signal: NodeJS.Signals | null) => {
        // The last output arrives before 'close': look once more before calling it a failure.
        if (check()) return look()
        stopWatching()
        fail(new Error(`pixdesk ${args.join(' ')} ended (${signal ?? `exit ${code}`}) before ${what}; stderr: ${stderr}`))
      }
      const timer = setTimeout(() => {
        stopWatching()
        fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from pixdesk ${args.join(' ')}; stderr: ${stderr}`))
      }, timeoutMs)
      // Listeners added after the accumulating ones above, so `check` sees the chunk that just came.
      child.stdout!.on('data', look)
      child.stderr!.on('data', look)
      child.once('close', ended)
      if (closed) ended(child.exitCode, child.signalCode)
      else look()
    })
  }

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    events: () => jsonLines(stdout),
    until,
    stop: (signal) => {
      child.kill(signal)
      return finished
    },
    finished
  }
}

/** Runs `pixdesk <args>` to the end. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).finished
}
