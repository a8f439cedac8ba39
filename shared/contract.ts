import { z } from 'zod'
import type { AppErrorData } from './errors'

/**
 * The IPC contract, declared once. Every renderer → main call is a channel with a zod schema for its
 * payload (validated in the main process before any service runs) and a result type. Every
 * main → renderer notification is an event. The preload and the browser test harness both build
 * `window.pixdesk` from this file, so the UI cannot call anything that is not declared here.
 */
type Phantom<T> = { readonly __type?: T }
const returns = <T>(): Phantom<T> => ({})

export interface ChannelDef<P extends z.ZodType = z.ZodType, R = unknown> {
  payload: P
  result: Phantom<R>
}

const channel = <P extends z.ZodType, R>(payload: P, result: Phantom<R>): ChannelDef<P, R> => ({ payload, result })
const empty = z.object({}).strict()

export interface AppInfo {
  name: string
  version: string
  platform: string
  dataDir: string
}

export const channels = {
  'app.info': channel(empty, returns<AppInfo>()),
  'app.ping': channel(z.object({ message: z.string().max(1000) }).strict(), returns<{ echo: string; at: string }>())
} satisfies Record<string, ChannelDef>

export interface EventMap {
  'app.notice': { level: 'info' | 'warning' | 'error'; message: string }
}

export type Channel = keyof typeof channels
export type Payload<C extends Channel> = z.input<(typeof channels)[C]['payload']>
export type Result<C extends Channel> = (typeof channels)[C]['result'] extends Phantom<infer R> ? R : never
export type EventName = keyof EventMap

export const channelNames = Object.keys(channels) as Channel[]

/** What crosses the wire for every call: errors travel as data so their code and fields survive. */
export type Envelope<T = unknown> = { ok: true; value: T } | { ok: false; error: AppErrorData }

export interface PixdeskApi {
  invoke<C extends Channel>(channel: C, payload: Payload<C>): Promise<Result<C>>
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void
}
