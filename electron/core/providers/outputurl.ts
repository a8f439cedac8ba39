import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { Agent } from 'undici'
import { AppError } from '../../../shared/errors'
import { providerFacts, type ProviderId } from '../../../shared/providers'
import { isLoopback } from './inputs'

/**
 * Where output images may be fetched from. A provider's answer names the URL, so a hostile or
 * compromised server could point it at this computer, the local network or a cloud metadata service;
 * only public addresses over https are fetched, unless the API itself is on this computer (the sandbox).
 */
export interface OutputUrlPolicy {
  /**
   * The API base is on loopback (the sandbox, a local server): its outputs live there too, so loopback
   * addresses and plain http to them are allowed. Private, link-local and metadata addresses never are.
   */
  allowLoopback: boolean
}

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

const refused = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT (also Alibaba's metadata address)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4] // reserved and broadcast
] as const) {
  refused.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
  ['fc00::', 7], // unique local, including fd00:ec2::254 metadata
  ['ff00::', 8]
] as const) {
  refused.addSubnet(net, prefix, 'ipv6')
}

/** Why an address may not be fetched from, or undefined when it is public (or loopback, when allowed). */
export function refusedAddressReason(address: string, allowLoopback = false): string | undefined {
  const family = isIP(address)
  if (family === 0) return `"${address}" is not an IP address`
  // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) reaches the IPv4 host it names.
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined
  const [plain, type] = mapped ? [mapped, 'ipv4' as const] : [address, family === 4 ? ('ipv4' as const) : ('ipv6' as const)]
  if (allowLoopback && loopback.check(plain, type)) return undefined
  return refused.check(plain, type) ? `${address} is a loopback, link-local, private or reserved address` : undefined
}

export class RefusedAddressError extends Error {
  readonly code = 'PIXDESK_ADDRESS_REFUSED'
}

/**
 * A DNS lookup that drops every address the policy refuses, so the address that is checked is the one
 * the connection uses (no second lookup in between for a rebinding server to answer differently).
 */
export function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 4)
      const allowed = addresses.filter((a) => refusedAddressReason(a.address, allowLoopback) === undefined)
      if (!allowed.length) {
        const listed = addresses.map((a) => a.address).join(', ')
        return callback(new RefusedAddressError(`${hostname} resolves only to addresses outputs may not come from (${listed})`), '', 4)
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed)
      const first = allowed[0]!
      callback(null, first.address, first.family)
    })
  }
}

const guardedAgents = new Map<string, Agent>()
/** Connections for output downloads: every connect to a host name goes through the guarded lookup. */
export function guardedAgent(connectMs: number, policy: OutputUrlPolicy): Agent {
  const key = `${connectMs}:${policy.allowLoopback}`
  let agent = guardedAgents.get(key)
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: connectMs, lookup: guardedLookup(policy.allowLoopback) } })
    guardedAgents.set(key, agent)
  }
  return agent
}

function downloadRefused(provider: ProviderId, why: string): AppError {
  return new AppError({
    code: 'download_failed',
    message: `${providerFacts[provider].name} answered with an output URL that is not fetched: ${why}. The request itself went through; nothing was downloaded.`
  })
}

/**
 * Checks one URL (the first, or a redirect target) before anything is sent to it: https only, and no
 * literal address the policy refuses. Host names are checked again after resolution by guardedAgent.
 */
export function checkOutputUrl(raw: string, provider: ProviderId, policy: OutputUrlPolicy, previous?: URL): URL {
  let url: URL
  try {
    url = previous ? new URL(raw, previous) : new URL(raw)
  } catch {
    throw downloadRefused(provider, 'it is not a valid URL')
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const local = policy.allowLoopback && url.protocol === 'http:' && isLoopback(host)
  if (url.protocol !== 'https:' && !local) throw downloadRefused(provider, `${url.protocol.replace(':', '')}:// is not accepted, only https://`)
  if (previous && previous.protocol === 'https:' && url.protocol !== 'https:') throw downloadRefused(provider, `a redirect from https to ${url.protocol} was refused`)
  const name = host.toLowerCase()
  if (!policy.allowLoopback && (name === 'localhost' || name.endsWith('.localhost'))) throw downloadRefused(provider, `${host} is this computer`)
  if (isIP(host)) {
    const why = refusedAddressReason(host, policy.allowLoopback)
    if (why) throw downloadRefused(provider, why)
  }
  return url
}
