import { describe, expect, it } from 'vitest'
import { isNetworkError, NetworkMonitor, wasNeverSent } from '../../electron/core/jobs/network'
import { isNotSent, NOT_SENT_CODES, transportError } from '../../electron/core/providers/errors'

describe('network errors', () => {
  it('counts only failures to connect as never sent', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']) {
      expect(wasNeverSent({ code: 'network', providerCode: code, message: 'x' }), code).toBe(true)
    }
    // A reset or a socket closed after connecting may have delivered the request.
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_BODY_TIMEOUT']) {
      expect(wasNeverSent({ code: 'network', providerCode: code, message: 'x' }), code).toBe(false)
    }
    expect(wasNeverSent({ code: 'network', message: 'no code' })).toBe(false)
    expect(wasNeverSent(undefined)).toBe(false)
  })

  it('agrees with the transport layer on what was never sent, code for code', () => {
    for (const code of NOT_SENT_CODES) {
      const error = transportError(Object.assign(new Error('x'), { code }), 'pixapi', 'https://api.pixapi.ai/v1', undefined)
      expect(error.sent, code).toBe(false)
      expect(wasNeverSent(error.data), code).toBe(true)
    }
    // A certificate for another host is refused during the handshake, before the request is written.
    expect(isNotSent('ERR_TLS_CERT_ALTNAME_INVALID')).toBe(true)
    const reset = transportError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'pixapi', 'https://api.pixapi.ai/v1', undefined)
    expect(reset.sent).toBe(true)
    expect(wasNeverSent(reset.data)).toBe(false)
  })

  it('treats network failures and connect timeouts as "offline", other timeouts and HTTP errors not', () => {
    expect(isNetworkError({ code: 'network', message: 'x' })).toBe(true)
    expect(isNetworkError({ code: 'timeout', providerCode: 'UND_ERR_CONNECT_TIMEOUT', message: 'x' })).toBe(true)
    expect(isNetworkError({ code: 'timeout', providerCode: 'UND_ERR_HEADERS_TIMEOUT', message: 'x' })).toBe(false)
    expect(isNetworkError({ code: 'rate_limited', message: 'x' })).toBe(false)
    expect(isNetworkError(undefined)).toBe(false)
  })
})

describe('network monitor', () => {
  it('goes offline on a failure, back online on any answer, and reports both', () => {
    const states: boolean[] = []
    const monitor = new NetworkMonitor({ probe: async () => false, baseMs: 60_000, maxMs: 60_000, now: () => 0, onChange: (s) => states.push(s.online) })
    monitor.reportFailure('connection refused')
    expect(monitor.isOnline()).toBe(false)
    expect(monitor.state()).toMatchObject({ online: false, reason: 'connection refused', nextProbeAt: new Date(60_000).toISOString() })
    monitor.reportSuccess()
    expect(monitor.isOnline()).toBe(true)
    expect(states).toEqual([false, true])
    monitor.close()
  })
})
