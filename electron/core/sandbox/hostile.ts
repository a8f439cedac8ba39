import type { ServerResponse } from 'node:http'
import type { FaultSpec } from './faults'

/**
 * Answers a client must survive without letting the server decide for it: a body that crawls, one
 * that never ends, one that claims an impossible size. Each keeps going until the client hangs up
 * (or the sandbox closes), so only the client's own bounds can end the exchange.
 */
export function hostileBody(fault: FaultSpec, res: ServerResponse, requestId: string, contentType: string, signal: AbortSignal): boolean {
  const stop = () => clearInterval(timer)
  let timer: NodeJS.Timeout | undefined
  switch (fault.kind) {
    case 'trickle':
      res.writeHead(200, { 'content-type': contentType, 'x-request-id': requestId })
      res.write(' ')
      timer = setInterval(() => res.write(' '), fault.intervalMs)
      break
    case 'endless': {
      res.writeHead(200, { 'content-type': contentType, 'x-request-id': requestId })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {
          /* fill the socket until it pushes back */
        }
      }
      res.on('drain', pump)
      pump()
      break
    }
    case 'huge':
      // Claims 16 GiB, then streams as if it meant it.
      res.writeHead(200, { 'content-type': contentType, 'content-length': String(16 * 1024 ** 3), 'x-request-id': requestId })
      res.write(Buffer.alloc(64 * 1024, 0x20))
      timer = setInterval(() => res.write(Buffer.alloc(64 * 1024, 0x20)), 10)
      break
    default:
      return false
  }
  res.on('close', stop)
  signal.addEventListener('abort', () => {
    stop()
    res.destroy()
  })
  return true
}

/** The output URLs an answer carries: the sandbox's own, or (foreign_url) the same paths on another host. */
export function answerUrls(fault: FaultSpec | undefined, urls: string[]): string[] {
  if (fault?.kind === 'foreign_url' && fault.target) return urls.map((u) => `${fault.target!.replace(/\/+$/, '')}${new URL(u).pathname}`)
  if (fault?.kind === 'excess_outputs') return Array.from({ length: fault.count }, (_, i) => urls[i % urls.length]!)
  return urls
}
