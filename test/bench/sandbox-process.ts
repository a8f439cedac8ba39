/**
 * The sandbox in its own process, for benchmarks of the client: a real provider's work happens on its
 * own machine, so the sandbox's request parsing and answers must not queue on the event loop being
 * measured. The benchmark drives it through the same calls as an in-process sandbox (faults, reset,
 * stats), over the process's IPC channel.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FaultPlan } from '../../electron/core/sandbox/faults'
import type { Sandbox, SandboxOptions } from '../../electron/core/sandbox/server'

type Control = { op: 'setFaults'; plan: FaultPlan } | { op: 'reset' } | { op: 'stats' } | { op: 'close' }
type Call = Control & { id: number }

/** A sandbox in a child process, with its controls as promises. */
export interface RemoteSandbox extends Omit<Sandbox, 'stats' | 'setFaults' | 'reset'> {
  stats(): Promise<ReturnType<Sandbox['stats']>>
  setFaults(plan: FaultPlan): Promise<void>
  reset(): Promise<void>
}

export async function startSandboxProcess(options: SandboxOptions): Promise<RemoteSandbox> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const { url, port } = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`The sandbox process exited with ${code} before it was ready.`)))
    child.once('message', (ready) => resolve(ready as { url: string; port: number }))
  })
  child.removeAllListeners('exit')
  const pending = new Map<number, (value: unknown) => void>()
  let seq = 0
  child.on('message', (msg) => {
    const { id, value } = msg as { id: number; value: unknown }
    pending.get(id)?.(value)
    pending.delete(id)
  })
  const call = <T>(body: Control): Promise<T> =>
    new Promise((resolve) => {
      const id = ++seq
      pending.set(id, (value) => resolve(value as T))
      child.send({ ...body, id })
    })
  return {
    url,
    port,
    stats: () => call({ op: 'stats' }),
    setFaults: (plan) => call({ op: 'setFaults', plan }),
    reset: () => call({ op: 'reset' }),
    close: async () => {
      await call({ op: 'close' })
      child.disconnect()
    }
  }
}

async function serve(options: SandboxOptions): Promise<void> {
  const { startSandbox } = await import('../../electron/core/sandbox/server')
  const sandbox = await startSandbox(options)
  process.send!({ url: sandbox.url, port: sandbox.port })
  process.on('message', (msg: Call) => {
    const answer = (value?: unknown) => process.send!({ id: msg.id, value })
    if (msg.op === 'setFaults') answer(sandbox.setFaults(msg.plan))
    else if (msg.op === 'reset') answer(sandbox.reset())
    else if (msg.op === 'stats') answer(sandbox.stats())
    else void sandbox.close().then(() => answer())
  })
}

// Started by startSandboxProcess: the options come as the one argument.
if (process.send && process.argv[2]) void serve(JSON.parse(process.argv[2]) as SandboxOptions)
