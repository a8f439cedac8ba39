import { request } from 'undici'
import { providerNamesWhere, type ProviderId } from '../../shared/providers'
import { normaliseBaseUrl } from '../core/providers/execute'
import { originOf, type BoundKey } from '../core/providers/key-origin'
import { providerAdapter } from '../core/providers/registry'
import { readCapped } from '../core/providers/http'
import { isLoopback } from '../core/providers/inputs'
import type { Services } from '../core/services'
import { CliError, ExitCode, usageError } from './exit'

/** Where requests go and with which key, decided once per command before anything is queued. */
export interface Connection {
  /** Requests go to a sandbox server (simulated results, no real credits). */
  sandbox: boolean
  baseUrl(provider: ProviderId): string
  apiKey(provider: ProviderId): BoundKey | undefined
  describe(): string
}

/** What a command was started with that decides the connection: its global flags and environment. */
export interface ConnectionOrigin {
  flags: { sandbox?: boolean; trustBaseUrl?: boolean }
  env: NodeJS.ProcessEnv
}

export interface ConnectionFlags {
  provider?: ProviderId
  baseUrl?: string
}

/**
 * Three ways to reach the sandbox, all explicit: `--sandbox` starts one in this process; the settings'
 * sandbox switch (the desktop app's toggle) does the same; and PIXAPI_BASE_URL or --base-url may point at
 * a sandbox started with `pixdesk sandbox`, recognised by its health endpoint. Otherwise the real API is
 * used and a key is required up front (exit 3), so nothing is queued that cannot be sent.
 */
export async function connect(ctx: ConnectionOrigin, services: Services, providers: readonly ProviderId[], flags: ConnectionFlags): Promise<Connection> {
  const settings = services.settings.get()
  if (ctx.flags.sandbox || settings.provider.sandbox) {
    const direct = providers.find((p) => !providerAdapter(p).sandboxed)
    if (direct) {
      const why = ctx.flags.sandbox ? '--sandbox' : 'The sandbox switch in settings'
      const simulated = providerNamesWhere((f) => f.sandboxed)
      throw usageError(`${why} simulates ${simulated} only; ${direct} models cannot run in it. Drop --provider ${direct} or pick a ${simulated} model.`, 'provider')
    }
    if (flags.baseUrl) throw usageError('--base-url cannot be combined with the sandbox; use one or the other.', 'baseUrl')
    // The services' own sandbox: the engine sends sandbox items there, and disposing the services stops it.
    const url = await services.sandbox.ensure()
    return { sandbox: true, baseUrl: () => url, apiKey: () => undefined, describe: () => `sandbox at ${url}` }
  }

  const bases = new Map<ProviderId, string>()
  for (const provider of providers) {
    const envVar = providerAdapter(provider).baseUrlEnvVar
    const fromEnv = envVar ? ctx.env[envVar]?.trim() || undefined : undefined
    const raw = (provider === flags.provider || (flags.provider === undefined && providers.length === 1) ? flags.baseUrl : undefined)
      ?? fromEnv
      ?? settings.provider.baseUrls[provider]
    try {
      bases.set(provider, normaliseBaseUrl(raw, provider))
    } catch (err) {
      const source = raw === flags.baseUrl ? '--base-url' : fromEnv !== undefined && raw === fromEnv ? `${envVar}` : 'the base URL in settings'
      throw usageError(`${source}: ${(err as Error).message}`, 'baseUrl')
    }
  }
  // Only a request set the sandbox can answer in full is treated as a try-out that needs no key.
  const simulable = providers.length > 0 && providers.every((p) => providerAdapter(p).sandboxed)
  const isSandbox = simulable && (await Promise.all([...bases.values()].map(looksLikeSandbox))).every(Boolean)

  const keys = new Map<ProviderId, BoundKey>()
  for (const provider of providers) {
    const base = bases.get(provider)!
    if (isSandbox) {
      // A sandbox takes any key or none: an unreachable keychain must not stop a try-out, and a key
      // bound elsewhere is simply not sent (one given beside PIXAPI_BASE_URL is, for --require-key).
      const key = await services.keyOrigins.boundKey(provider).catch(() => null)
      if (key && key.origin === originOf(base)) keys.set(provider, key)
      continue
    }
    const key = await services.keyOrigins.boundKey(provider)
    if (key) keys.set(provider, keyForBase(ctx, provider, key, base))
    else {
      throw new CliError(ExitCode.auth, {
        code: 'auth',
        message: `No ${provider} API key. Store one with "pixdesk key set --provider ${provider}" (it reads standard input), set ${providerAdapter(provider).keyEnvVar}, or try the sandbox with --sandbox. Nothing was sent.`
      })
    }
  }
  return {
    sandbox: isSandbox,
    baseUrl: (p) => bases.get(p) ?? normaliseBaseUrl(settings.provider.baseUrls[p], p),
    apiKey: (p) => keys.get(p),
    describe: () => [...bases.entries()].map(([p, url]) => `${p} at ${url}${isSandbox ? ' (sandbox)' : ''}`).join(', ')
  }
}

/**
 * The person typing --base-url or PIXAPI_BASE_URL is the user, but a key saved for one address still
 * goes to another only when the command says so: the flag makes sending it there a decision, not an
 * accident of a leftover variable.
 */
function keyForBase(ctx: ConnectionOrigin, provider: ProviderId, key: BoundKey, base: string): BoundKey {
  const target = originOf(base)
  if (key.origin === target) return key
  if (ctx.flags.trustBaseUrl) return { value: key.value, origin: target }
  const { name } = providerAdapter(provider)
  throw new CliError(ExitCode.auth, {
    code: 'auth',
    field: 'keyOrigin',
    message: `The stored ${name} key was saved for ${new URL(key.origin).host}; the base URL now points at ${new URL(target).host}. Add --trust-base-url to send the key there, or store a key for that address. Nothing was sent.`
  })
}

const SANDBOX_HEALTH_MAX_BYTES = 16 * 1024

/** A sandbox answers /__sandbox/health with `simulated: true`; only asked of servers on this computer. */
export async function looksLikeSandbox(baseUrl: string): Promise<boolean> {
  const url = new URL(baseUrl)
  if (!isLoopback(url.hostname)) return false
  try {
    const res = await request(`${baseUrl}/__sandbox/health`, { method: 'GET', signal: AbortSignal.timeout(3000) })
    // Whatever listens there is unknown: a health answer is a few bytes, anything longer is not a sandbox.
    const text = (await readCapped(res, SANDBOX_HEALTH_MAX_BYTES, 'The sandbox health answer')).toString('utf8')
    const body = JSON.parse(text) as { simulated?: unknown } | null
    return res.statusCode === 200 && body?.simulated === true
  } catch {
    return false
  }
}
