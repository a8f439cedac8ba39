import type { Command } from 'commander'
import { providerIds, type ProviderId } from '../../../shared/providers'
import type { KeyStatus } from '../../core/keychain'
import type { CliContext } from '../context'
import type { Runner } from '../types'
import { CliError, ExitCode, usageError } from '../exit'
import { parseProvider } from '../flags'

const MAX_STDIN_BYTES = 64 * 1024

export function registerKey(program: Command, run: Runner): void {
  const key = program
    .command('key')
    .description('API keys in the OS keychain (one entry per provider; the environment variables override it)')

  key
    .command('set')
    .description('store a key: reads it from standard input (pasted at a hidden prompt, or piped), never from the command line')
    .option('--provider <id>', `${providerIds.join(' | ')} (default: the active provider in settings)`)
    .option('--json', 'print the result as one JSON line')
    .action(
      run(async (ctx, opts: { provider?: string }) => {
        const { services, provider } = await keyTarget(ctx, opts.provider)
        const secret = await readSecret(provider, ctx.signal)
        await services.saveKey(provider, secret)
        const status = await services.keychain.status(provider)
        const { providerAdapter } = await import('../../core/providers/registry')
        ctx.out.event('key', { action: 'set', ...status })
        ctx.out.line(`Saved the ${provider} key in the keychain${status.last4 ? ` (…${status.last4})` : ''}.`)
        if (status.source === 'environment') {
          ctx.out.note(`Note: ${providerAdapter(provider).keyEnvVar} is set in this environment and overrides the keychain entry.`)
        }
        return ExitCode.ok
      })
    )

  key
    .command('status')
    .description('which keys are set and where from (never the key itself)')
    .option('--provider <id>', providerIds.join(' | '))
    .option('--json', 'one JSON line per provider')
    .action(
      run(async (ctx, opts: { provider?: string }) => {
        const provider = parseProvider(opts.provider)
        const services = await ctx.services()
        const statuses = provider ? [await services.keychain.status(provider)] : await services.keychain.statusAll()
        const { providerAdapter } = await import('../../core/providers/registry')
        for (const s of statuses) ctx.out.event('key', { ...s })
        ctx.out.table(
          ['provider', 'set', 'source', 'key', 'problem'],
          statuses.map((s) => [s.provider, s.set ? 'yes' : 'no', describeSource(s, providerAdapter(s.provider).keyEnvVar), s.last4 ? `…${s.last4}` : '', s.error ? 'keychain unavailable (reason below)' : ''])
        )
        // Exit 3 only when the keychain itself could not be asked: "not set" is an answer, not a failure.
        const broken = statuses.find((s) => s.error && !s.set)
        if (broken?.error) throw new CliError(ExitCode.auth, broken.error)
        return ExitCode.ok
      })
    )

  key
    .command('delete')
    .description('remove a key from the keychain')
    .option('--provider <id>', `${providerIds.join(' | ')} (default: the active provider in settings)`)
    .option('--json', 'print the result as one JSON line')
    .action(
      run(async (ctx, opts: { provider?: string }) => {
        const { services, provider } = await keyTarget(ctx, opts.provider)
        const deleted = await services.keychain.deleteKey(provider)
        ctx.out.event('key', { action: 'delete', provider, deleted })
        ctx.out.line(deleted ? `Deleted the ${provider} key from the keychain.` : `There was no ${provider} key in the keychain.`)
        const envVar = (await import('../../core/providers/registry')).providerAdapter(provider).keyEnvVar
        if (ctx.env[envVar]?.trim()) {
          ctx.out.note(`Note: ${envVar} is still set in this environment and will be used.`)
        }
        return ExitCode.ok
      })
    )
}

/** The provider a key command is about: the flag's, else the active one in settings. */
async function keyTarget(ctx: CliContext, flag: string | undefined) {
  const explicit = parseProvider(flag)
  const services = await ctx.services()
  return { services, provider: explicit ?? services.settings.get().provider.active }
}

function describeSource(s: KeyStatus, keyEnvVar: string): string {
  if (s.source === 'environment') return `environment (${keyEnvVar})`
  return s.source ?? ''
}

/**
 * The key comes from standard input only: argv is visible to every user of the machine (ps) and lands
 * in shell history. At a terminal the prompt hides what is typed; from a pipe the first line is taken.
 */
async function readSecret(provider: ProviderId, signal: AbortSignal): Promise<string> {
  const stdin = process.stdin
  const text = stdin.isTTY ? await readHidden(`Paste the ${provider} API key and press Enter: `, signal) : await readPiped(signal)
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? ''
  if (!firstLine.trim()) {
    throw usageError(`No ${provider} key on standard input. Pipe it in, e.g. "printenv MY_KEY | pixdesk key set --provider ${provider}". Nothing was saved.`, 'key')
  }
  return firstLine.trim()
}

function readPiped(signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stdin = process.stdin
    const done = (err?: Error) => {
      stdin.off('data', onData).off('end', onEnd).off('error', onError)
      signal.removeEventListener('abort', onAbort)
      stdin.pause()
      if (err) reject(err)
      else resolve(Buffer.concat(chunks).toString('utf8'))
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_STDIN_BYTES) {
        done(usageError(`Standard input is longer than ${MAX_STDIN_BYTES / 1024} KB; pipe in only the key. Nothing was saved.`, 'key'))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => done()
    const onError = (err: Error) => done(err)
    const onAbort = () => done(new CliError(ExitCode.interrupted, { code: 'interrupted', message: 'Interrupted; nothing was saved.' }))
    stdin.on('data', onData).on('end', onEnd).on('error', onError)
    signal.addEventListener('abort', onAbort)
  })
}

function readHidden(prompt: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(prompt)
    let value = ''
    stdin.setRawMode(true)
    stdin.resume()
    const finish = (err?: Error) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      signal.removeEventListener('abort', onAbort)
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onAbort = () => finish(new CliError(ExitCode.interrupted, { code: 'interrupted', message: 'Interrupted; nothing was saved.' }))
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        // Raw mode swallows Ctrl-C, so it is handled here as the interrupt it means.
        if (ch === '\u0003') return onAbort()
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish()
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
    signal.addEventListener('abort', onAbort)
  })
}
