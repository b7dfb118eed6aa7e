/**
 * The WebSocket framing of the contract: the browser host speaks exactly the invoke/event
 * map of contract.ts, wrapped in these envelopes.
 */
import { z } from 'zod'
import { AppErrorShape } from './errors'

export const ClientMessage = z.strictObject({
  type: z.literal('invoke'),
  id: z.number().int().nonnegative(),
  channel: z.string(),
  input: z.unknown(),
})
export type ClientMessage = z.infer<typeof ClientMessage>

export const ServerMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('result'),
    id: z.number().int().nonnegative(),
    result: z.union([
      z.strictObject({ ok: z.literal(true), value: z.unknown() }),
      z.strictObject({ ok: z.literal(false), error: AppErrorShape }),
    ]),
  }),
  z.strictObject({ type: z.literal('event'), event: z.string(), payload: z.unknown() }),
  /** Sent once, before closing, when a connection is refused after the handshake. */
  z.strictObject({ type: z.literal('error'), error: AppErrorShape }),
])
export type ServerMessage = z.infer<typeof ServerMessage>

/** Close code used when the access token is missing or wrong (4000–4999 are free for applications). */
export const WS_CLOSE_UNAUTHORIZED = 4401
export const WS_PATH = '/ws'
